# -*- coding: utf-8 -*-
"""The check registry and the root-cause rule table hold together."""
from __future__ import annotations

import ast
import inspect
import os

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils import checks
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._cause import UNEXPLAINED
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.checks import CHECKS, CODES, FAMILIES, Code, register
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.checks.rules import REPAIRED_CODES, RULES

FAMILY_FILES = [m.__name__.rsplit(".", 1)[-1] for m in checks.FAMILY_MODULES]


def test_every_check_takes_ctx_only():
    assert CHECKS
    for check in CHECKS:
        assert list(inspect.signature(check).parameters) == ["ctx"], check.__name__
        assert check.family in FAMILIES and check.codes


def test_codes_are_registered_with_their_check():
    by_name = {check.__name__: check for check in CHECKS}
    for code, info in CODES.items():
        assert info.family in FAMILIES and info.meaning and info.evidence, code
        assert code in by_name[info.check].codes
    assert sum(len(check.codes) for check in CHECKS) == len(CODES)


def test_every_family_has_a_check():
    assert {info.family for info in CODES.values()} == set(FAMILIES)


def test_no_check_imports_another_check():
    folder = os.path.dirname(checks.__file__)
    for name in FAMILY_FILES:
        with open(os.path.join(folder, name + ".py"), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported.update([node.module] if node.module else [a.name for a in node.names])
        assert not imported & (set(FAMILY_FILES) | {"rules"}), (name, imported)


def test_register_refuses_a_code_twice_a_bad_severity_and_an_unknown_family():
    before = (dict(CODES), list(CHECKS))
    with pytest.raises(ValueError, match="registered twice"):
        register("sessions", Code("SESSION_DOWN", "error", "again", ("from",)))(lambda ctx: [])
    with pytest.raises(ValueError, match="severity"):
        register("sessions", Code("NOT_A_CODE", "fatal", "bad severity", ("x",)))(lambda ctx: [])
    with pytest.raises(ValueError, match="family"):
        register("no_such_family", Code("NOT_A_CODE", "error", "bad family", ("x",)))
    assert (CODES, CHECKS) == before


def test_rules_name_registered_codes():
    seen = set()
    for rule in RULES:
        if rule.scope == UNEXPLAINED:
            continue
        assert set(rule.codes) <= set(CODES), rule.codes
        assert set(rule.trigger) <= set(rule.codes) and set(rule.also_explains) <= set(CODES)
        assert not seen & set(rule.codes), "a code is the cause of two rules: %s" % rule.codes
        seen.update(rule.codes)
    assert len({rule.priority for rule in RULES}) == len(RULES)
    assert sum(1 for rule in RULES if rule.scope == UNEXPLAINED) == 1


def test_remediate_repairs_what_it_did_before_the_table():
    assert REPAIRED_CODES == {"ADDRESS_ON_DOCKER_BRIDGE", "ADDRESS_ON_EXCLUDED_INTERFACE", "ADDRESS_MISMATCH",
                              "CALICO_NODE_DOWN", "BIRD_UNREACHABLE"}
