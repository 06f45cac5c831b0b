# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check registry: every finding code, the check that emits it, and the order they run in.

A check is a function ``check(ctx)`` (ctx: plugin_utils._context.Context, i.e. the cluster
model, the session matrix, the route coverage and the task's options) that returns a list of
findings (checks._finding.finding). It is registered with its family and every code it may
emit, each declared once, here and nowhere else::

    @register("sessions",
              Code("SESSION_DOWN", "error", "A's Mesh_ protocol for B is not Established, nor is B's for A",
                   ("from", "to", "state")))
    def check_sessions(ctx):
        return [finding("SESSION_DOWN", ...) for ...]

``CODES`` maps each code to its CodeInfo (severity, family, meaning, evidence keys, check
name); ``CHECKS`` lists the check functions in the order they run; ``FAMILIES`` is the order
the reports list the families in (JUnit: one testsuite per family). A family file under
checks/ holds the checks of one concern and imports no other check file; root-cause rules
are in checks/rules.py, docs/findings.md is generated from both (docs/gen_findings.py).
"""
from __future__ import annotations

from collections import namedtuple

from .._findings import SEVERITIES

# Every family, in the order the reports list them (JUnit: one testsuite per family).
FAMILIES = ("collection", "calico_node", "docker", "datastore", "address", "duplicates",
            "sessions", "peering", "routes", "mtu", "vxlan", "autodetection", "docker_bridges")

# A code as a check declares it: evidence is the tuple of evidence keys every finding of it carries.
Code = namedtuple("Code", "name severity meaning evidence")
# A code as the registry holds it (CODES[code].severity, CODES[code].family, ...).
CodeInfo = namedtuple("CodeInfo", "severity family meaning evidence check")

CODES = {}
CHECKS = []


def register(family, *codes):
    """Decorator: registers check(ctx) under family, with every Code it may emit."""
    if family not in FAMILIES:
        raise ValueError("check family %r is not one of FAMILIES" % family)

    def decorate(func):
        for code in codes:
            if code.name in CODES:
                raise ValueError("finding code %s is registered twice (%s, %s)"
                                 % (code.name, CODES[code.name].check, func.__name__))
            if code.severity not in SEVERITIES:
                raise ValueError("finding code %s: severity %r is not one of %s"
                                 % (code.name, code.severity, ", ".join(SEVERITIES)))
            CODES[code.name] = CodeInfo(code.severity, family, code.meaning, tuple(code.evidence), func.__name__)
        func.codes = tuple(code.name for code in codes)
        func.family = family
        CHECKS.append(func)
        return func
    return decorate


def run_checks(ctx):
    """Every registered check on ctx, in registration order: the findings, not yet numbered."""
    findings = []
    for check in CHECKS:
        findings.extend(check(ctx))
    return findings


# The family files, in the order their checks run; importing them registers their checks.
from . import health, identity, stale, address, duplicates, latent, sessions, peering, routes, mtu, vxlan  # noqa: E402  pylint: disable=wrong-import-position

FAMILY_MODULES = (health, identity, stale, address, duplicates, latent, sessions, peering, routes, mtu, vxlan)
