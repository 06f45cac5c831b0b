# -*- coding: utf-8 -*-
"""Issue 11 item 1: remediation never cycles a node into the outage. BIRD is lost on ai, whose
at-risk bridge (first-found picks it: newer than the NIC, not excluded in this release) has a
container. Before, the plan cycled calico-node for BIRD_UNREACHABLE and ai came back on the
bridge's address. Now the plan predicts the address after the planned removals and the pin,
and refuses ai before anything changes unless the pin brings it back on its own address."""
from __future__ import annotations

import copy
import shlex

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis

BRIDGE = "br-cddff8a3b81c"


def _bird_lost_bridge_in_use(cluster):
    facts = copy.deepcopy(cluster["hostvars"]["ai"]["meshdoctor"])
    facts["bird"]["ipv4"].update(running=False, reason="connection refused", router_id=None, protocols=[])
    bridge = [b for b in facts["docker"]["bridges"] if b["name"] == BRIDGE][0]
    bridge["containers"] = [{"id": "1a2b" * 16, "name": "gerrit-db-1", "ipv4": "172.19.0.2/16"}]
    bridge["container_count"] = 1
    return dict(cluster["hostvars"], ai=dict(cluster["hostvars"]["ai"], meshdoctor=facts))


def _plan(cluster, hostvars, **args):
    base = {"hosts": cluster["hosts"], "datastore": cluster["datastore"], "results": {}, "formats": [],
            "report_dir": None, "fail_on": "never"}
    base.update(args)
    result = run_analysis(base, hostvars)
    assert any(c["code"] == "BIRD_UNREACHABLE" and c["host"] == "ai" for c in result["root_causes"])
    return result["plan"]


def test_bird_lost_on_a_node_with_a_bridge_in_use_is_refused_without_a_pin(seed_healthy_bridge):
    plan = _plan(seed_healthy_bridge, _bird_lost_bridge_in_use(seed_healthy_bridge))
    assert plan["hosts"] == []
    [refused] = plan["refused"]
    assert refused["host"] == "ai" and refused["predicted_address"] == "172.19.0.1"
    assert refused["predicted_interface"] == BRIDGE and refused["containers"] == ["gerrit-db-1"]
    assert "interface=eno1" in refused["pin_methods"]
    message = refused["message"]
    assert BRIDGE in message and "gerrit-db-1" in message and "192.168.1.188" in message
    assert "-e meshdoctor_pin_autodetection=%s" % shlex.quote("interface=eno1") in message
    assert "Refused" in plan["text"]


def test_with_a_pin_that_selects_the_nic_it_is_repaired(seed_healthy_bridge):
    plan = _plan(seed_healthy_bridge, _bird_lost_bridge_in_use(seed_healthy_bridge), plan_pin="interface=eno1")
    assert plan["hosts"] == ["ai"] and plan["refused"] == []


def test_a_pin_that_selects_the_bridge_is_refused_too(seed_healthy_bridge):
    plan = _plan(seed_healthy_bridge, _bird_lost_bridge_in_use(seed_healthy_bridge), plan_pin="interface=br-.*")
    assert plan["hosts"] == [] and plan["refused"][0]["pin"] == "interface=br-.*"
    assert "with the pin interface=br-.*" in plan["refused"][0]["message"]


def test_the_seed_outage_is_still_repaired(seed_outage):
    """ai sits on a free bridge: the plan removes it, and first-found then finds eno1."""
    result = run_analysis({"hosts": seed_outage["hosts"], "datastore": seed_outage["datastore"], "results": {},
                           "formats": [], "report_dir": None, "fail_on": "never"}, seed_outage["hostvars"])
    assert result["plan"]["hosts"] == ["ai"] and result["plan"]["refused"] == []
