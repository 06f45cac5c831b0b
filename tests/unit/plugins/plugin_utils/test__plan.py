# -*- coding: utf-8 -*-
"""mesh_check's plan: the hosts remediate repairs and what on each, decided in Python."""
from __future__ import annotations

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse, run_analysis
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._plan import make_plan

from synthetic import make_cluster, node_address, node_block, own_facts


def _renamed(hostvars, datastore):
    """The same cluster with inventory hosts host-K for Calico nodes node-K."""
    return {name.replace("node-", "host-"): hv for name, hv in hostvars.items()}, datastore


def _plan(hostvars, datastore, results=None, plan_hosts=None):
    analysis = analyse(list(hostvars), hostvars, datastore=datastore, results=results)
    return analysis, make_plan(analysis.cluster, analysis.root_causes, plan_hosts)


def test_causes_name_the_inventory_host_besides_the_node():
    analysis, plan = _plan(*_renamed(*make_cluster(4, broken=("node-2",))))
    (cause,) = analysis.root_causes
    assert cause["node"] == "node-2" and cause["host"] == "host-2"
    assert plan["hosts"] == ["host-2"] and plan["text"] == "Repair, one node at a time: host-2."
    entry = plan["by_host"]["host-2"]
    assert entry["node"] == "node-2" and entry["causes"] == ["C1"]
    assert entry["expected_address"] == entry["expected_router_id"] == node_address(2)
    (bridge,) = entry["bridges"]
    assert bridge["name"].startswith("br-") and bridge["network_name"] == "proj0_default"
    assert bridge["container_count"] == 0 and bridge["containers"] == [] and bridge["pin_methods"]
    assert plan["causes"] == [{k: cause[k] for k in ("id", "code", "host", "node", "message")}]
    assert plan["bridges_in_use"] == [] and plan["pin_needed"] is False and plan["not_repaired"] == []


def test_bridge_with_containers_needs_a_pin():
    hostvars, datastore = make_cluster(4, broken=("node-1",))
    bridge = own_facts(hostvars, "node-1")["docker"]["bridges"][-1]
    bridge["containers"] = [{"id": "1a2b", "name": "gerrit-db-1", "ipv4": "172.19.0.2/16"}]
    bridge["container_count"] = 1
    dummy, plan = _plan(hostvars, datastore)
    (in_use,) = plan["bridges_in_use"]
    assert in_use["host"] == in_use["node"] == "node-1" and in_use["name"] == bridge["name"]
    assert in_use["containers"] == ["gerrit-db-1"] and in_use["container_count"] == 1
    assert plan["pin_needed"] is True and plan["by_host"]["node-1"]["bridges"][0]["containers"] == ["gerrit-db-1"]


def test_named_hosts_are_planned_healthy_or_not_in_play_order():
    hostvars, datastore = make_cluster(4, broken=("node-1",))
    dummy, plan = _plan(hostvars, datastore, plan_hosts=["node-3", "node-1", "elsewhere"])
    assert plan["hosts"] == ["node-1", "node-3"]
    assert plan["by_host"]["node-3"]["causes"] == [] and plan["by_host"]["node-3"]["bridges"] == []
    assert plan["by_host"]["node-3"]["expected_address"] == node_address(3)
    assert plan["text"] == "Repair, one node at a time: node-1, node-3. Not in the play, left out: elsewhere."


def test_nothing_to_repair_and_what_is_not_repaired():
    hostvars, datastore = make_cluster(4, broken=(), unreachable=("node-2",))
    dummy, plan = _plan(hostvars, datastore, {"node-2": {"unreachable": True, "msg": "timed out"}})
    assert plan["hosts"] == [] and plan["by_host"] == {} and plan["causes"] == []
    assert [(c["host"], c["code"]) for c in plan["not_repaired"]] == [("node-2", "HOST_UNREACHABLE")]
    assert plan["text"] == "Nothing to repair: diagnose found no repairable error root cause."


def test_router_id_set_apart_from_the_address_is_not_expected():
    hostvars, datastore = make_cluster(3, broken=(), calico_down=("node-2",))
    own_facts(hostvars, "node-2")["calico_node"]["env"]["CALICO_ROUTER_ID"] = "hash"
    dummy, plan = _plan(hostvars, datastore)
    assert plan["hosts"] == ["node-2"]
    assert plan["by_host"]["node-2"]["expected_address"] == node_address(2)
    assert plan["by_host"]["node-2"]["expected_router_id"] is None


def test_run_analysis_returns_the_plan(seed_outage):
    result = run_analysis({"hosts": seed_outage["hosts"], "datastore": seed_outage["datastore"], "formats": [],
                           "plan_hosts": []}, seed_outage["hostvars"])
    assert result["plan"]["hosts"] == ["ai"]
    assert result["plan"]["by_host"]["ai"]["expected_address"] == "192.168.1.188"
    assert result["plan"]["by_host"]["ai"]["bridges"][0]["network_name"] == "gerrit_default"
    assert all(c["host"] for c in result["root_causes"] if c["node"])


def test_converge_names_every_node_with_its_peers_and_the_other_blocks():
    hostvars, datastore = make_cluster(4, broken=("node-2",))
    dummy, plan = _plan(hostvars, datastore)
    assert set(plan["converge"]) == {"node-1", "node-2", "node-3", "node-4"}
    wait = plan["converge"]["node-1"]
    assert wait["expected_peers"] == [node_address(k) for k in (2, 3, 4)]
    assert wait["expected_routes"] == [{"dst": node_block(k), "via": [node_address(k)]} for k in (2, 3, 4)]
    # the repaired node waits for the routes to the others, never for its own block
    assert node_block(2) not in [r["dst"] for r in plan["converge"]["node-2"]["expected_routes"]]


def test_converge_leaves_out_a_node_the_plan_does_not_repair():
    """node-3 is unreachable (no repair applies): nobody waits for it, nor does it wait."""
    hostvars, datastore = make_cluster(4, broken=("node-2",), unreachable=("node-3",))
    dummy, plan = _plan(hostvars, datastore, {"node-3": {"unreachable": True, "msg": "timed out"}})
    assert plan["hosts"] == ["node-2"] and "node-3" not in plan["converge"]
    for wait in plan["converge"].values():
        assert node_address(3) not in wait["expected_peers"]
        assert node_block(3) not in [r["dst"] for r in wait["expected_routes"]]


def test_converge_is_empty_when_nothing_is_planned():
    hostvars, datastore = make_cluster(3, broken=())
    dummy, plan = _plan(hostvars, datastore)
    assert plan["hosts"] == [] and plan["converge"] == {}


def test_converge_accepts_the_vxlan_tunnel_address_as_gateway():
    hostvars, datastore = make_cluster(3, broken=("node-1",))
    datastore["nodes"]["node-3"]["ipv4_vxlan_tunnel_addr"] = "172.16.3.7"
    dummy, plan = _plan(hostvars, datastore)
    routes = {r["dst"]: r["via"] for r in plan["converge"]["node-1"]["expected_routes"]}
    assert routes[node_block(3)] == [node_address(3), "172.16.3.7"]


def test_converge_of_the_seed_outage(seed_outage):
    result = run_analysis({"hosts": seed_outage["hosts"], "datastore": seed_outage["datastore"], "formats": [],
                           "plan_hosts": []}, seed_outage["hostvars"])
    master = result["plan"]["converge"]["master"]
    assert sorted(master["expected_peers"]) == ["192.168.1.121", "192.168.1.172", "192.168.1.188"]
    assert {"dst": "172.16.2.0/24", "via": ["192.168.1.188"]} in master["expected_routes"]
