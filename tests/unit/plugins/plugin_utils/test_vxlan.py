# -*- coding: utf-8 -*-
"""mesh_check on VXLAN clusters (CALICO_NETWORKING_BACKEND=vxlan: no BIRD runs), from
synthetic_vxlan.py's facts (the node side's own parsers on iproute2's JSON shapes)."""
from __future__ import annotations

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse

from synthetic import node_block
from synthetic_vxlan import make_vxlan_cluster, vtep_of


def run(hostvars, datastore, **kwargs):
    return analyse(list(hostvars), hostvars, datastore=datastore, **kwargs)


def codes(analysis, severity=None):
    return sorted({f["code"] for f in analysis.findings if severity is None or f["severity"] == severity})


def test_healthy_vxlan_cluster_has_no_findings_and_no_bird_false_alarm():
    analysis = run(*make_vxlan_cluster(5))
    assert analysis.findings == [] and analysis.root_causes == []
    assert analysis.summary["sessions_total"] == 0
    assert analysis.summary["routes_ok"] == analysis.summary["routes_total"] == 20


def test_lab_shaped_fdb_without_destination_is_not_an_error():
    analysis = run(*make_vxlan_cluster(4, lab=True))
    assert analysis.findings == []


def test_route_must_go_via_the_vtep_on_vxlan_calico():
    hv, ds = make_vxlan_cluster(4)
    routes = hv["node-2"]["meshdoctor"]["routes"]
    for route in routes:
        if route["dst"] == node_block(3):
            route.update(gateway="10.0.0.3", dev="eth0", flags=[])        # via the node's address: BGP-style
        if route["dst"] == node_block(4):
            route["dev"] = "eth0"                                          # the VTEP, but not on vxlan.calico
    analysis = run(hv, ds)
    wrong = [f for f in analysis.findings if f["code"] == "ROUTE_WRONG_GATEWAY"]
    assert [(f["node"], f["evidence"]["block"]) for f in wrong] == [("node-2", node_block(3)), ("node-2", node_block(4))]
    assert wrong[0]["message"] == ("node-2: route to node-3's block %s goes via 10.0.0.3 dev eth0, not via %s dev "
                                   "vxlan.calico onlink" % (node_block(3), vtep_of(3)))


def test_wrong_address_is_told_with_the_vxlan_evidence():
    analysis = run(*make_vxlan_cluster(4, broken=("node-1",)))
    assert "BIRD_UNREACHABLE" not in codes(analysis) and "SESSION_DOWN" not in codes(analysis)
    fdb = [f for f in analysis.findings if f["code"] == "VXLAN_FDB_WRONG_DESTINATION"]
    assert sorted(f["node"] for f in fdb) == ["node-2", "node-3", "node-4"]
    assert all(f["evidence"]["dst"] == "172.19.0.1" and f["evidence"]["peer_node"] == "node-1" for f in fdb)
    assert "go to 172.19.0.1 (node-1's Calico address), not to node-1's address 10.0.0.2" in fdb[0]["message"]
    local = [f for f in analysis.findings if f["code"] == "VXLAN_LOCAL_WRONG"]
    assert [(f["node"], f["evidence"]["local"], f["evidence"]["parent"]) for f in local] == [
        ("node-1", "172.19.0.1", "br-cddff8a3b81c")]
    (cause,) = analysis.root_causes
    assert (cause["node"], cause["code"], cause["detected_address"]) == ("node-1", "ADDRESS_ON_DOCKER_BRIDGE", "172.19.0.1")
    assert cause["bridge"]["name"] == "br-cddff8a3b81c"
    assert cause["message"] == (
        "node-1: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c (docker network proj0_default) instead of "
        "10.0.0.2 on eth0; 3 nodes (node-2, node-3, node-4) send its VXLAN traffic to 172.19.0.1; remove the bridge "
        "and restart calico-node (playbooks/remediate.yml), and pin IP_AUTODETECTION_METHOD so it cannot recur "
        "(calico-node's address monitor does not move back by itself: before v3.29.0 it writes the Node once per "
        "start).")
    assert cause["vxlan_wrong_destination"] == ["node-2", "node-3", "node-4"] and cause["sessions_total"] == 0
    # Every error is explained by that one cause.
    assert all(f.get("root_cause") == cause["id"] for f in analysis.findings if f["severity"] == "error")


def test_wrong_address_on_the_lab_stand_in_says_what_could_not_be_read():
    analysis = run(*make_vxlan_cluster(4, broken=("node-1",), lab=True))
    (cause,) = analysis.root_causes
    assert "node-1: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c" in cause["message"]
    assert "where the other nodes' VXLAN FDB entries send its traffic could not be read (no destination)" in cause["message"]


def test_a_bird_node_beside_vxlan_nodes_still_gets_its_bird_checked():
    hv, ds = make_vxlan_cluster(3)
    facts = hv["node-3"]["meshdoctor"]
    facts["calico_node"]["env"]["CALICO_NETWORKING_BACKEND"] = "bird"
    analysis = run(hv, ds)
    assert [f["code"] for f in analysis.findings if f["node"] == "node-3"][:1] == ["BIRD_UNREACHABLE"]


def test_backend_from_the_device_when_the_env_does_not_say():
    """A pod spec takes CALICO_NETWORKING_BACKEND from a ConfigMap (kubespray): unknown; a vxlan.calico
    device and no BIRD then mean VXLAN."""
    hv, ds = make_vxlan_cluster(3)
    for host in hv.values():
        host["meshdoctor"]["calico_node"]["env"]["CALICO_NETWORKING_BACKEND"] = None
    assert run(hv, ds).findings == []
