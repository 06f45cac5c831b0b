# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: what a check reports, with a stable code, a severity and the evidence used.

A finding is a plain dict (so it serialises as it is)::

    {"id": "F0001", "code": "SESSION_DOWN", "severity": "error", "check": "sessions",
     "node": "master", "message": "...", "evidence": {...}}

``id`` is given after all checks ran (findings sorted by severity, code, node); ``node`` is
``None`` for cluster-wide findings. ``evidence`` holds the facts the check looked at; where a
finding involves a second node it names it in ``evidence.peer_node`` (or ``evidence.nodes``),
which is what root-cause grouping follows.

Codes (also in docs/findings.md):

=============================  ========  ==============  ===================================================
code                           severity  check           meaning
=============================  ========  ==============  ===================================================
HOST_UNREACHABLE               error     collection      Ansible could not reach the host
COLLECTION_FAILED              error     collection      node_facts failed or left no facts
CALICO_NODE_DOWN               error     calico_node     calico-node is not running on the node
BIRD_UNREACHABLE               error     calico_node     calico-node runs but BIRD's control socket does not answer
DOCKER_UNREACHABLE             info      docker          Docker could not be asked about its bridges
DATASTORE_UNREACHABLE          warning   datastore       the Calico datastore could not be read
NODE_NOT_IN_DATASTORE          warning   datastore       no Calico node resource carries the node's name
EXPECTED_ADDRESS_UNKNOWN       warning   address         no source gives the address the node should peer on
ADDRESS_MISMATCH               error     address         Calico's address for the node is not the expected one
ADDRESS_ON_DOCKER_BRIDGE       error     address         Calico's address sits on a Docker bridge
ADDRESS_ON_EXCLUDED_INTERFACE  error     address         Calico's address sits on an interface autodetection should skip
DUPLICATE_ADDRESS              error     duplicates      two nodes carry the same Calico address
DUPLICATE_ROUTER_ID            error     duplicates      two nodes' BIRD use the same router id
SESSION_DOWN                   error     sessions        the Mesh_ session to a node is not Established (either end)
SESSION_ASYMMETRIC             error     sessions        one end is Established, the other is not
SESSION_MISSING                error     sessions        no Mesh_ protocol for a node at all
SESSION_TO_UNKNOWN_PEER        error     sessions        a Mesh_ protocol peers with an address that is no node's
MESH_DISABLED                  info      sessions        no node has a Mesh_ protocol: session checks skipped
ROUTE_MISSING                  error     routes          no route to another node's block
ROUTE_WRONG_GATEWAY            error     routes          the route to another node's block goes elsewhere
BLACKHOLE_MISSING              warning   routes          no blackhole route for the node's own block
AUTODETECTION_RISK             warning   autodetection   the next calico-node start would pick another address
ORPHANED_DOCKER_BRIDGE         warning   docker_bridges  a Docker-looking bridge no Docker network owns
STRAY_DOCKER_BRIDGE            info      docker_bridges  a leftover Docker bridge network with no containers
=============================  ========  ==============  ===================================================
"""
from __future__ import annotations

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# code -> (severity, check)
CODES = {
    "HOST_UNREACHABLE": ("error", "collection"),
    "COLLECTION_FAILED": ("error", "collection"),
    "CALICO_NODE_DOWN": ("error", "calico_node"),
    "BIRD_UNREACHABLE": ("error", "calico_node"),
    "DOCKER_UNREACHABLE": ("info", "docker"),
    "DATASTORE_UNREACHABLE": ("warning", "datastore"),
    "NODE_NOT_IN_DATASTORE": ("warning", "datastore"),
    "EXPECTED_ADDRESS_UNKNOWN": ("warning", "address"),
    "ADDRESS_MISMATCH": ("error", "address"),
    "ADDRESS_ON_DOCKER_BRIDGE": ("error", "address"),
    "ADDRESS_ON_EXCLUDED_INTERFACE": ("error", "address"),
    "DUPLICATE_ADDRESS": ("error", "duplicates"),
    "DUPLICATE_ROUTER_ID": ("error", "duplicates"),
    "SESSION_DOWN": ("error", "sessions"),
    "SESSION_ASYMMETRIC": ("error", "sessions"),
    "SESSION_MISSING": ("error", "sessions"),
    "SESSION_TO_UNKNOWN_PEER": ("error", "sessions"),
    "MESH_DISABLED": ("info", "sessions"),
    "ROUTE_MISSING": ("error", "routes"),
    "ROUTE_WRONG_GATEWAY": ("error", "routes"),
    "BLACKHOLE_MISSING": ("warning", "routes"),
    "AUTODETECTION_RISK": ("warning", "autodetection"),
    "ORPHANED_DOCKER_BRIDGE": ("warning", "docker_bridges"),
    "STRAY_DOCKER_BRIDGE": ("info", "docker_bridges"),
}

# Every check, in the order the reports list them (JUnit: one testcase per check per node).
CHECKS = ("collection", "calico_node", "docker", "datastore", "address", "duplicates",
          "sessions", "routes", "autodetection", "docker_bridges")


def finding(code, node, message, evidence=None, severity=None):
    """One finding; severity and check come from CODES unless severity is given."""
    default_severity, check = CODES[code]
    return {
        "id": None,
        "code": code,
        "severity": severity or default_severity,
        "check": check,
        "node": node,
        "message": message,
        "evidence": evidence or {},
    }


def sort_and_number(findings):
    """Sort findings (severity, code, node, message) and give each an id F0001, F0002, ..."""
    findings.sort(key=lambda f: (SEVERITY_RANK[f["severity"]], f["code"], f["node"] or "", f["message"]))
    for i, item in enumerate(findings, 1):
        item["id"] = "F%04d" % i
    return findings


def count_by_severity(findings):
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for item in findings:
        counts[item["severity"] + "s"] += 1
    return counts


def worst_severity(findings):
    """'error', 'warning', 'info' or None for no findings."""
    best = None
    for item in findings:
        rank = SEVERITY_RANK[item["severity"]]
        if best is None or rank < best:
            best = rank
            if rank == 0:
                break
    return None if best is None else SEVERITIES[best]


def meets_threshold(findings, fail_on):
    """True when a finding at least as bad as fail_on (error|warning) exists; never for 'never'."""
    if fail_on == "never":
        return False
    limit = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK[f["severity"]] <= limit for f in findings)
