# -*- coding: utf-8 -*-
"""Root causes other than the seed's: one sentence each, symptoms grouped by the documented rule."""
from __future__ import annotations

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._root_cause import headline

from synthetic import make_cluster, node_address, node_block, own_facts, protocol_to


def run(hostvars, datastore, results=None):
    return analyse(list(hostvars), hostvars, datastore=datastore, results=results)


def test_calico_node_down_sentence():
    analysis = run(*make_cluster(4, broken=(), calico_down=("node-3",)))
    (cause,) = analysis.root_causes
    assert cause["code"] == "CALICO_NODE_DOWN" and cause["node"] == "node-3"
    assert cause["message"] == (
        "node-3: calico-node is not running (container calico-node exited (137)); 3 of 12 BGP sessions are down "
        "(3 could not be read) and 3 nodes have no route to %s; start calico-node again (playbooks/remediate.yml "
        "restarts it) and read its log if it does not stay up." % node_block(3))
    assert {f["root_cause"] for f in analysis.findings} == {"C1"}


def test_unreachable_host_sentence_and_impact():
    hv, ds = make_cluster(4, broken=(), unreachable=("node-2",))
    analysis = run(hv, ds, {"node-2": {"unreachable": True, "msg": "ssh: connect to host timed out"}})
    (cause,) = analysis.root_causes
    assert cause["code"] == "HOST_UNREACHABLE"
    assert cause["message"] == ("node-2: Ansible could not reach host node-2 (ssh: connect to host timed out); "
                                "no BGP session is down (3 could not be read); make the host reachable and "
                                "diagnose again.")


def test_two_causes_two_sentences():
    hv, ds = make_cluster(5, broken=("node-1",), calico_down=("node-4",))
    analysis = run(hv, ds)
    assert [c["code"] for c in analysis.root_causes] == ["ADDRESS_ON_DOCKER_BRIDGE", "CALICO_NODE_DOWN"]
    assert [c["node"] for c in analysis.root_causes] == ["node-1", "node-4"]
    msg = headline(analysis.root_causes)
    assert msg.startswith("node-1: calico-node autodetected 172.19.0.1 on br-") and " node-4: calico-node is not" in msg
    # a session between the two broken nodes is a symptom of both
    cross = next(f for f in analysis.findings if f["code"] == "SESSION_DOWN" and f["node"] == "node-1"
                 and f["evidence"]["peer_node"] == "node-4")
    assert cross["id"] in analysis.root_causes[0]["symptoms"] and cross["id"] in analysis.root_causes[1]["symptoms"]


def test_duplicate_address_is_its_own_cause():
    hv, ds = make_cluster(4, broken=())
    ds["nodes"]["node-2"]["ipv4_address"] = node_address(3) + "/16"
    ds["nodes"]["node-3"]["ipv4_address"] = node_address(3) + "/16"
    hv["node-2"]["ip"] = node_address(3)       # a clone of node-3: inventory, BIRD and log agree
    facts = own_facts(hv, "node-2")
    facts["bird"]["ipv4"]["router_id"] = node_address(3)
    facts["calico_node"]["detected_address"] = node_address(3) + "/16"
    facts["interfaces"][1]["ipv4"] = [{"address": node_address(3), "prefixlen": 16, "cidr": node_address(3) + "/16",
                                       "scope": "global"}]
    analysis = run(hv, ds)
    codes = [c["code"] for c in analysis.root_causes]
    assert codes[0] == "DUPLICATE_ADDRESS"
    assert analysis.root_causes[0]["message"].startswith("node-2, node-3 share Calico address %s" % node_address(3))
    assert analysis.root_causes[0]["nodes"] == analysis.root_causes[0]["hosts"] == ["node-2", "node-3"]


def test_unexplained_errors_get_a_cause():
    hv, ds = make_cluster(4, broken=())
    facts = own_facts(hv, "node-2")
    protocol_to(facts, node_address(3)).update(state="start", info="Active", bgp_state="Active")
    facts3 = own_facts(hv, "node-3")
    protocol_to(facts3, node_address(2)).update(state="start", info="Active", bgp_state="Active")
    analysis = run(hv, ds)
    assert {c["code"] for c in analysis.root_causes} == {"UNEXPLAINED"}
    assert sorted(c["node"] for c in analysis.root_causes) == ["node-2", "node-3"]
    assert sorted(c["host"] for c in analysis.root_causes) == ["node-2", "node-3"]
    assert all(c["symptoms"] for c in analysis.root_causes)


def test_grouping_follows_node_peer_and_block():
    analysis = run(*make_cluster(6, broken=("node-2",), stray_bridge=("node-5",)))
    causes = {c["code"]: c for c in analysis.root_causes}
    address, risk = causes["ADDRESS_ON_DOCKER_BRIDGE"], causes["AUTODETECTION_RISK"]
    by_id = {f["id"]: f for f in analysis.findings}
    for fid in address["symptoms"]:
        item = by_id[fid]
        ev = item["evidence"]
        assert "node-2" in (item["node"], ev.get("peer_node")) or ev.get("block") == node_block(2)
    # node-5's risk explains node-5's own findings only, not node-5's sessions to node-2
    assert {by_id[fid]["node"] for fid in risk["symptoms"]} == {"node-5"}
    assert {by_id[fid]["code"] for fid in risk["symptoms"]} == {"AUTODETECTION_RISK", "STRAY_DOCKER_BRIDGE"}
    assert risk["severity"] == "warning" and risk["bridge"]["network_name"] == "proj1_default"
