# -*- coding: utf-8 -*-
"""The analysis on facts recorded from the real lab in each failure mode of issue 13
(tests/unit/fixtures/clusters/lab_*.json, made by capture_lab_faults.py): the error root causes
are exactly the mode's code on the broken node, and the healthy lab has none."""
from __future__ import annotations

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse

from conftest import load_cluster

EXPECTED = {   # capture -> the error root causes (code, node)
    "healthy": [],
    "bgp_blocked": [("PEERING_BLOCKED", "hp")],
    "as_mismatch": [("BGP_AS_MISMATCH", "hp")],
    "port_taken": [("BGP_PORT_IN_USE", "hp")],
    "hostname_change": [("NODE_NAME_CONFLICT", "hp")],
    "mtu": [],
    "calico_node_down": [("CALICO_NODE_DOWN", "hp")],
    "blocked_and_outage": [("ADDRESS_ON_DOCKER_BRIDGE", "ai"), ("PEERING_BLOCKED", "hp")],
    "stale_node": [("STALE_CALICO_NODE", "hp")],
}


def _analyse(name):
    cluster = load_cluster("lab_%s.json" % name)
    return analyse(cluster["hosts"], cluster["hostvars"], datastore=cluster["datastore"], results=cluster["results"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_mode(name):
    analysis = _analyse(name)
    got = sorted((c["code"], c["node"]) for c in analysis.root_causes if c["severity"] == "error")
    assert got == EXPECTED[name], [c["message"] for c in analysis.root_causes]


def test_recorded_mtu_is_a_warning_on_hp():
    analysis = _analyse("mtu")
    assert [(c["code"], c["node"]) for c in analysis.root_causes if c["code"] == "MTU_MISMATCH"] == [("MTU_MISMATCH", "hp")]


def test_recorded_facts_carry_the_evidence():
    port = load_cluster("lab_port_taken.json")["hostvars"]["hp"]["meshdoctor"]
    assert [entry["program"] for entry in port["bgp_listeners"]] == ["python3"]
    blocked = load_cluster("lab_bgp_blocked.json")["hostvars"]["master"]["meshdoctor"]["probe"]["peers"]
    assert blocked["192.168.1.172"]["result"] == "refused"
    assert {r["result"] for a, r in blocked.items() if a != "192.168.1.172"} == {"established"}
