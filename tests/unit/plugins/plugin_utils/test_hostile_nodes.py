# -*- coding: utf-8 -*-
"""Issue 11 items 7, 10 and 12: what one node reports never runs on the controller, never takes
another node's identity, and never ends up unquoted in a command a finding suggests."""
from __future__ import annotations

import copy
import json
import shlex
import signal

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis

EVIL = "a" * 30 + "!"


def _run(cluster, hostvars=None, **args):
    base = {"hosts": cluster["hosts"], "datastore": cluster["datastore"], "results": cluster["results"], "formats": [],
            "report_dir": None, "fail_on": "never"}
    base.update(args)
    return run_analysis(base, hostvars or cluster["hostvars"])


def _with(cluster, host, facts):
    return dict(cluster["hostvars"], **{host: dict(cluster["hostvars"][host], meshdoctor=facts)})


@pytest.fixture
def alarm():
    """Fail instead of hanging: the analysis of four nodes takes milliseconds."""
    def expired(*_args):
        raise TimeoutError("the analysis took more than 5 s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------ item 7: ReDoS
def test_exclusion_patterns_a_node_reports_are_never_run(seed_outage, alarm):
    """ai's Calico address sits on an interface named aaa...!, and ai reports the exclusion ^(a+)+$:
    with Python's re that search takes ~40 s. The controller uses its own per-release table."""
    facts = copy.deepcopy(seed_outage["hostvars"]["ai"]["meshdoctor"])
    for iface in facts["interfaces"]:
        if iface["name"] == "br-cddff8a3b81c":
            iface["name"], iface["kind"] = EVIL, "ether"
    facts["docker"]["bridges"] = []
    facts["calico_node"]["detected_interface"] = EVIL
    facts["autodetection"]["exclusions"] = ["^(a+)+$"]
    result = _run(seed_outage, _with(seed_outage, "ai", facts))
    assert "^(a+)+$" not in json.dumps(result)
    assert any(f["node"] == "ai" and f["code"] == "ADDRESS_MISMATCH" for f in result["findings"])


# ------------------------------------------------------------------ item 10: identity
def test_a_node_claiming_another_hostname_does_not_take_its_place(seed_outage):
    facts = copy.deepcopy(seed_outage["hostvars"]["hp"]["meshdoctor"])
    facts["hostname"] = "master"
    result = _run(seed_outage, _with(seed_outage, "hp", facts))
    rows = {row["host"]: row for row in result["nodes"]}
    assert rows["hp"]["name"] == "hp" and rows["master"]["name"] == "master"
    ds = seed_outage["datastore"]["nodes"]
    assert rows["master"]["calico_address"] == ds["master"]["ipv4_address"].split("/")[0]
    conflicts = [f for f in result["findings"] if f["code"] == "NODE_NAME_CONFLICT"]
    assert [f["node"] for f in conflicts] == ["hp"], conflicts
    assert "master" in conflicts[0]["message"] and conflicts[0]["evidence"]["hostname"] == "master"


def test_two_hosts_claiming_one_calico_node_get_neither(seed_outage):
    """Neither inventory name is a Calico node; both report hostname ai: no one gets ai's entry."""
    hostvars = copy.deepcopy(seed_outage["hostvars"])
    hostvars["ai-a"] = hostvars.pop("ai")
    hostvars["ai-b"] = copy.deepcopy(hostvars["ai-a"])
    cluster = dict(seed_outage, hosts=["ai-a", "ai-b", "hp", "master", "ml"])
    result = _run(cluster, hostvars)
    rows = {row["host"]: row for row in result["nodes"]}
    assert rows["ai-a"]["name"] == "ai-a" and rows["ai-b"]["name"] == "ai-b"
    conflicts = sorted(f["node"] for f in result["findings"] if f["code"] == "NODE_NAME_CONFLICT")
    assert conflicts == ["ai-a", "ai-b"]


# ------------------------------------------------------------------ item 12: quoting
def test_suggested_commands_are_shell_quoted(seed_healthy_bridge):
    bad = "x$(reboot)"
    facts = copy.deepcopy(seed_healthy_bridge["hostvars"]["ai"]["meshdoctor"])
    bridge = [b for b in facts["docker"]["bridges"] if b["name"] == "br-cddff8a3b81c"][0]
    bridge.update(name=bad, orphaned=True, network_id=None, network_name=None, compose_project=None)
    for iface in facts["interfaces"]:
        if iface["name"] == "br-cddff8a3b81c":
            iface["name"] = bad
    result = _run(seed_healthy_bridge, _with(seed_healthy_bridge, "ai", facts))
    messages = [f["message"] for f in result["findings"]] + [c["message"] for c in result["root_causes"]]
    mentioned = [m for m in messages if "ip link delete" in m]
    assert mentioned, messages
    for message in mentioned:
        assert "ip link delete %s" % shlex.quote(bad) in message and "ip link delete %s`" % bad not in message


def test_interface_names_never_become_patterns_the_controller_runs(seed_healthy_bridge, alarm):
    """ai names its NIC (a+)+$: the pin suggestion interface=(a+)+$ is never evaluated (against
    an interface named aaa...!) when the plan checks which pins would work."""
    facts = copy.deepcopy(seed_healthy_bridge["hostvars"]["ai"]["meshdoctor"])
    for iface in facts["interfaces"]:
        if iface["name"] == "eno1":
            iface["name"] = "(a+)+$"
    facts["interfaces"].append({"index": 99, "name": EVIL, "kind": "ether", "state": "UP", "flags": [], "mtu": 1500,
                                "mac": None, "master": None, "ipv6": [],
                                "ipv4": [{"address": "10.9.9.9", "prefixlen": 24, "cidr": "10.9.9.9/24", "scope": "global"}]})
    facts["bird"]["ipv4"].update(running=False, reason="connection refused", router_id=None, protocols=[])
    result = _run(seed_healthy_bridge, _with(seed_healthy_bridge, "ai", facts))
    [refused] = result["plan"]["refused"]
    assert "interface=(a+)+$" not in refused["pin_methods"]
