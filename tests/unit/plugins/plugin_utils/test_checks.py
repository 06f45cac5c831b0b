# -*- coding: utf-8 -*-
"""Every finding code, each from a synthetic cluster that has exactly that problem.

Each scenario names the node the finding must be about; removing the check that reports the
code makes its test fail. test_every_code_has_a_scenario keeps the list complete.
"""
from __future__ import annotations

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.checks import CODES

from synthetic import make_cluster, node_address, node_block, own_facts, protocol_to
from synthetic_vxlan import make_vxlan_cluster


def run(hostvars, datastore, results=None, **kwargs):
    return analyse(list(hostvars), hostvars, datastore=datastore, results=results, **kwargs)


def found(analysis, code):
    return [f for f in analysis.findings if f["code"] == code]


def healthy(n=4):
    return make_cluster(n, broken=())


# --- scenarios: code -> function returning (analysis, node the finding is about) -----------
def s_host_unreachable():
    hv, ds = make_cluster(4, broken=(), unreachable=("node-2",))
    return run(hv, ds, {"node-2": {"unreachable": True, "failed": False, "msg": "ssh: connect timed out"}}), "node-2"


def s_collection_failed():
    hv, ds = make_cluster(4, broken=(), unreachable=("node-3",))
    return run(hv, ds, {"node-3": {"unreachable": False, "failed": True, "msg": "MODULE FAILURE"}}), "node-3"


def s_node_name_conflict():
    hv, ds = healthy()
    own_facts(hv, "node-4")["hostname"] = "node-2"       # node-4 says it is node-2
    return run(hv, ds), "node-4"


def s_calico_node_down():
    hv, ds = make_cluster(4, broken=(), calico_down=("node-2",))
    return run(hv, ds), "node-2"


def s_bird_unreachable():
    hv, ds = healthy()
    facts = own_facts(hv, "node-2")
    facts["bird"]["ipv4"].update(running=False, reason="connection refused", protocols=[], router_id=None)
    return run(hv, ds), "node-2"


def s_docker_unreachable():
    hv, ds = healthy()
    facts = own_facts(hv, "node-4")
    facts["docker"].update(docker_available=False, docker_reason="permission denied on /var/run/docker.sock",
                           bridges=[])
    return run(hv, ds), "node-4"


def s_datastore_unreachable():
    hv, dummy = healthy()
    return run(hv, {"datastore": "kubernetes", "reachable": False, "reason": "kubectl: Unauthorized",
                    "nodes": {}, "calico_node_pods": []}), None


def s_node_not_in_datastore():
    hv, ds = healthy()
    del ds["nodes"]["node-3"]
    return run(hv, ds), "node-3"


def s_expected_address_unknown():
    hv, ds = healthy()
    hv["node-2"]["ip"] = None
    hv["node-2"]["ansible_host"] = "node-2.example.com"     # a host name is no address
    ds["nodes"]["node-2"]["internal_ip"] = None
    return run(hv, ds), "node-2"


def s_address_mismatch():
    return run(*make_cluster(4)), "node-1"


s_address_on_docker_bridge = s_address_mismatch


def s_address_on_excluded_interface():
    hv, ds = healthy()
    facts = own_facts(hv, "node-2")
    facts["interfaces"].append({"index": 9, "name": "virbr0", "kind": "bridge", "state": "UP", "flags": ["UP"],
                                "mtu": 1500, "mac": "52:54:00:aa:bb:cc", "master": None,
                                "ipv4": [{"address": "192.168.122.1", "prefixlen": 24, "cidr": "192.168.122.1/24",
                                          "scope": "global"}], "ipv6": []})
    facts["bird"]["ipv4"]["router_id"] = "192.168.122.1"
    ds["nodes"]["node-2"]["ipv4_address"] = "192.168.122.1/24"
    return run(hv, ds), "node-2"


def s_duplicate_address():
    hv, ds = healthy()
    ds["nodes"]["node-2"]["ipv4_address"] = node_address(3) + "/16"
    return run(hv, ds), "node-2"


def s_duplicate_router_id():
    hv, ds = healthy()
    for host in ("node-2", "node-3"):
        facts = own_facts(hv, host)
        facts["calico_node"]["env"]["CALICO_ROUTER_ID"] = "10.255.0.1"
        facts["bird"]["ipv4"]["router_id"] = "10.255.0.1"
    return run(hv, ds), "node-3"


def s_session_down():
    return run(*make_cluster(4)), "node-2"


def s_session_asymmetric():
    hv, ds = healthy()
    facts = own_facts(hv, "node-2")
    proto = protocol_to(facts, node_address(3))
    proto.update(state="start", info="Active", bgp_state="Active")
    return run(hv, ds), "node-2"


def s_session_missing():
    hv, ds = healthy()
    facts = own_facts(hv, "node-2")
    facts["bird"]["ipv4"]["protocols"].remove(protocol_to(facts, node_address(4)))
    return run(hv, ds), "node-2"


def s_session_to_unknown_peer():
    hv, ds = healthy()
    facts = own_facts(hv, "node-3")
    facts["bird"]["ipv4"]["protocols"].append(
        {"name": "Mesh_10_9_9_9", "proto": "BGP", "table": "master", "state": "start", "since": "07:00:00",
         "info": "Active", "bgp_state": "Active", "last_error": None, "peer_address": "10.9.9.9", "peer_type": "mesh"})
    return run(hv, ds), "node-3"


def s_mesh_disabled():
    hv, ds = healthy()
    for host in hv:
        facts = own_facts(hv, host)
        facts["bird"]["ipv4"]["protocols"] = [p for p in facts["bird"]["ipv4"]["protocols"] if p["peer_type"] != "mesh"]
    return run(hv, ds), None


def s_route_missing():
    return run(*make_cluster(4)), "node-3"


def s_route_wrong_gateway():
    hv, ds = healthy()
    facts = own_facts(hv, "node-2")
    for route in facts["routes"]:
        if route["dst"] == node_block(3):
            route["gateway"] = node_address(4)
    return run(hv, ds), "node-2"


def s_blackhole_missing():
    hv, ds = healthy()
    facts = own_facts(hv, "node-4")
    facts["routes"] = [r for r in facts["routes"] if r["type"] != "blackhole"]
    return run(hv, ds), "node-4"


def s_autodetection_risk():
    return run(*make_cluster(4, broken=(), stray_bridge=("node-2",))), "node-2"


s_stray_docker_bridge = s_autodetection_risk


def s_orphaned_docker_bridge():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-3",))
    facts = own_facts(hv, "node-3")
    for bridge in facts["docker"]["bridges"]:
        if not bridge["default_bridge"]:
            bridge.update(orphaned=True, network_id=None, network_name=None, compose_project=None)
    return run(hv, ds), "node-3"


def _sessions_of(hv, host, own, seen_by_peers, probe=None):
    """Set host's Mesh_ protocols to OWN (state, bgp_state, last_error), every peer's protocol for
    host to SEEN_BY_PEERS, and the peers' probe of host's address to PROBE."""
    address = hv[host]["ip"]
    for name in hv:
        facts = own_facts(hv, name)
        if name == host:
            for proto in facts["bird"]["ipv4"]["protocols"]:
                if proto["peer_type"] == "mesh":
                    proto.update(state=own[0], bgp_state=own[1], last_error=own[2], info=own[1])
            continue
        protocol_to(facts, address).update(state=seen_by_peers[0], bgp_state=seen_by_peers[1],
                                           last_error=seen_by_peers[2], info=seen_by_peers[1])
        if probe:
            facts["probe"] = {"port": 179, "timeout": 1.0, "duration_s": 0.01,
                              "peers": {address: {"result": probe, "detail": None, "seconds": 0.001}}}
        facts["routes"] = [r for r in facts["routes"] if r["gateway"] != address]


def s_bgp_port_in_use():
    hv, ds = healthy()
    _sessions_of(hv, "node-2", ("down", "Down", "Error: No listening socket"),
                 ("start", "Active", "Socket: Connection closed"), probe="connected")
    own_facts(hv, "node-2")["bgp_listeners"] = [{"address": "0.0.0.0", "port": 179, "inode": 35128, "pid": 164,
                                                 "program": "python3", "cmdline": "python3 -c listen"}]
    return run(hv, ds), "node-2"


def s_bgp_as_mismatch():
    hv, ds = healthy()
    ds["nodes"]["node-2"]["as_number"] = 64513
    _sessions_of(hv, "node-2", ("start", "Idle", "Received: Bad peer AS"), ("start", "Idle", "BGP Error: Bad peer AS"))
    return run(hv, ds), "node-2"


def s_peering_blocked():
    hv, ds = healthy()
    _sessions_of(hv, "node-2", ("start", "Active", "Socket: Connection refused"),
                 ("start", "Active", "Socket: Connection refused"), probe="refused")
    return run(hv, ds), "node-2"


def s_stale_calico_node():
    hv, ds = healthy()
    ds["nodes"]["node-9"] = dict(ds["nodes"]["node-4"], ipv4_address=node_address(9) + "/16", internal_ip=None,
                                 blocks=[node_block(9)])
    for name in hv:
        facts = own_facts(hv, name)
        facts["bird"]["ipv4"]["protocols"].append(
            {"name": "Mesh_" + node_address(9).replace(".", "_"), "proto": "BGP", "table": "master", "state": "start",
             "since": "07:00:00", "info": "Active", "bgp_state": "Active", "last_error": "Socket: Connection timed out",
             "peer_address": node_address(9), "peer_type": "mesh"})
        facts["probe"] = {"port": 179, "timeout": 1.0, "duration_s": 1.0,
                          "peers": {node_address(9): {"result": "timed_out", "detail": None, "seconds": 1.0}}}
    return run(hv, ds), "node-9"


def s_node_name_conflict():
    hv, ds = make_cluster(4, broken=(), calico_down=("node-2",))
    facts = own_facts(hv, "node-2")
    facts["hostname"] = "node-2.example.com"
    facts["calico_node"]["exit_reason"] = {
        "kind": "address_conflict", "summary": "it conflicts with another Calico node",
        "line": "[WARNING][1] startup/startup.go 833: Calico node 'node-2' is already using the IPv4 address %s."
                % node_address(2),
        "detail": "Calico node 'node-2' is already using the IPv4 address %s." % node_address(2),
        "node_name": "node-2.example.com", "conflict": {"node": "node-2", "address": node_address(2)}}
    return run(hv, ds), "node-2"


def s_mtu_mismatch():
    hv, ds = healthy()
    for iface in own_facts(hv, "node-2")["interfaces"]:
        if iface["name"] == "eth0":
            iface["mtu"] = 1280
    return run(hv, ds), "node-2"


# --- VXLAN (CALICO_NETWORKING_BACKEND=vxlan, no BIRD): synthetic_vxlan.py
def vxlan_facts(hv, name):
    return hv[name]["meshdoctor"]["vxlan"]


def s_vxlan_device_missing():
    hv, ds = make_vxlan_cluster(4)
    facts = hv["node-2"]["meshdoctor"]
    facts["vxlan"] = None
    facts["interfaces"] = [i for i in facts["interfaces"] if i["name"] != "vxlan.calico"]
    return run(hv, ds), "node-2"


def s_vxlan_device_down():
    hv, ds = make_vxlan_cluster(4)
    vxlan_facts(hv, "node-2")["device"].update(up=False, state="DOWN")
    return run(hv, ds), "node-2"


def s_vxlan_local_wrong():
    hv, ds = make_vxlan_cluster(4)
    vxlan_facts(hv, "node-2")["device"]["local"] = "10.9.9.9"
    return run(hv, ds), "node-2"


def s_vxlan_mtu_too_big():
    hv, ds = make_vxlan_cluster(4)
    vxlan_facts(hv, "node-2")["device"]["mtu"] = 1500
    return run(hv, ds), "node-2"


def s_vxlan_neighbour_missing():
    hv, ds = make_vxlan_cluster(4)
    vx = vxlan_facts(hv, "node-2")
    vx["neighbours"] = [n for n in vx["neighbours"] if n["address"] != ds["nodes"]["node-3"]["ipv4_vxlan_tunnel_addr"]]
    return run(hv, ds), "node-2"


def s_vxlan_fdb_missing():
    hv, ds = make_vxlan_cluster(4)
    vx = vxlan_facts(hv, "node-2")
    vx["fdb"] = [e for e in vx["fdb"] if e["mac"] != ds["nodes"]["node-3"]["vxlan_tunnel_mac"]]
    return run(hv, ds), "node-2"


def s_vxlan_fdb_wrong_destination():
    return run(*make_vxlan_cluster(4, broken=("node-1",))), "node-2"


SCENARIOS = {code: globals()["s_" + code.lower()] for code in CODES if "s_" + code.lower() in globals()}


def test_every_code_has_a_scenario():
    assert set(SCENARIOS) == set(CODES)


def test_healthy_cluster_has_no_findings():
    analysis = run(*healthy(6))
    assert analysis.findings == []
    assert analysis.root_causes == []
    assert analysis.summary["sessions_established"] == analysis.summary["sessions_total"] == 30
    assert analysis.summary["routes_ok"] == analysis.summary["routes_total"] == 30


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_is_reported(code):
    analysis, node = SCENARIOS[code]()
    hits = found(analysis, code)
    assert hits, "%s not reported; got %s" % (code, sorted({f["code"] for f in analysis.findings}))
    assert node in {f["node"] for f in hits}
    for item in hits:
        assert item["severity"] == CODES[code][0]
        assert item["message"] and isinstance(item["evidence"], dict)
        assert item["id"].startswith("F")


def test_asymmetric_session_is_not_also_down():
    analysis, dummy = s_session_asymmetric()
    assert [f["code"] for f in analysis.findings] == ["SESSION_ASYMMETRIC"]
    ev = analysis.findings[0]["evidence"]
    assert ev["peer_node"] == "node-3" and ev["reverse_established"] is True and ev["state"] == "Active"


def test_wrong_gateway_evidence():
    analysis, dummy = s_route_wrong_gateway()
    (item,) = found(analysis, "ROUTE_WRONG_GATEWAY")
    assert item["evidence"]["gateway"] == node_address(4)
    assert item["evidence"]["expected_gateway"] == node_address(3)
    assert item["evidence"]["peer_node"] == "node-3"


def test_broken_node_sessions_both_ends():
    analysis = run(*make_cluster(5))
    downs = found(analysis, "SESSION_DOWN")
    # node-1's 4 outgoing sessions and the 4 towards it (at 172.19.0.1)
    assert len(downs) == 8
    towards = [f for f in downs if f["evidence"]["peer_node"] == "node-1"]
    assert {f["evidence"]["peer_address"] for f in towards} == {"172.19.0.1"}
    assert {f["evidence"]["expected_address"] for f in towards} == {node_address(1)}
    unknown = found(analysis, "SESSION_TO_UNKNOWN_PEER")
    assert {f["node"] for f in unknown} == {"node-2", "node-3", "node-4", "node-5"}
    assert {f["evidence"]["calico_address_of"] for f in unknown} == {"node-1"}


def test_docker_bridge_evidence_names_the_network():
    analysis = run(*make_cluster(4))
    (item,) = found(analysis, "ADDRESS_ON_DOCKER_BRIDGE")
    assert item["evidence"]["bridge"]["network_name"] == "proj0_default"
    assert item["evidence"]["bridge"]["compose_project"] == "proj0"
    (mismatch,) = found(analysis, "ADDRESS_MISMATCH")
    assert set(mismatch["evidence"]["disagreeing"]) == {"datastore", "router_id", "calico_log"}


def test_autodetection_risk_names_bridge_and_fix():
    analysis, dummy = s_autodetection_risk()
    (item,) = found(analysis, "AUTODETECTION_RISK")
    assert "br-cddff8a3b81c" in item["message"] and "proj0_default" in item["message"]
    assert item["evidence"]["pin_methods"] == ["can-reach=%s" % node_address(1), "interface=eth0", "cidr=10.0.0.0/16"]
    assert analysis.summary["errors"] == 0


def test_no_risk_when_method_is_pinned():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-2",))
    facts = own_facts(hv, "node-2")
    facts["autodetection"]["method"] = "interface=eth0"
    facts["autodetection"]["configured"] = {"interface": "eth0", "address": node_address(2) + "/16", "reason": None}
    assert not found(run(hv, ds), "AUTODETECTION_RISK")


def test_no_risk_when_ip_is_static():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-2",))
    own_facts(hv, "node-2")["calico_node"]["env"]["IP"] = node_address(2)
    assert not found(run(hv, ds), "AUTODETECTION_RISK")


def test_override_always_wins():
    hv, ds = healthy()
    hv["node-2"]["meshdoctor_expected_ip"] = "10.0.9.9"
    analysis = run(hv, ds, sources=["kubernetes", "inventory"])
    (item,) = found(analysis, "ADDRESS_MISMATCH")
    assert item["node"] == "node-2" and item["evidence"]["expected_source"] == "override"


def test_ignore_drops_codes():
    hv, ds = make_cluster(4)
    analysis = run(hv, ds, ignore=["SESSION_TO_UNKNOWN_PEER", "STRAY_DOCKER_BRIDGE"])
    assert not found(analysis, "SESSION_TO_UNKNOWN_PEER") and not found(analysis, "STRAY_DOCKER_BRIDGE")
    assert found(analysis, "SESSION_DOWN")


def test_blocks_fall_back_to_blackholes_without_datastore():
    hv, dummy = make_cluster(4)
    analysis = run(hv, None)
    missing = found(analysis, "ROUTE_MISSING")
    assert {f["evidence"]["block"] for f in missing if f["node"] != "node-1"} == {node_block(1)}
    assert not found(analysis, "DATASTORE_UNREACHABLE")
    # without the datastore, BIRD's router id and the log still show the wrong address
    assert found(analysis, "ADDRESS_ON_DOCKER_BRIDGE")


def test_other_hosts_analysed_when_one_is_unreachable():
    analysis, dummy = s_host_unreachable()
    assert analysis.summary["nodes"] == 4
    rows = {r["name"]: r for r in analysis.rows}
    assert rows["node-2"]["status"] == "unreachable"
    assert rows["node-1"]["sessions_up"] == 3 and rows["node-1"]["routes_ok"] == 3


def test_mesh_disabled_skips_session_checks():
    analysis, dummy = s_mesh_disabled()
    assert [f["code"] for f in analysis.findings] == ["MESH_DISABLED"]
    assert analysis.summary["sessions_total"] == 0


@pytest.mark.parametrize("code", sorted(CODES))
def test_declared_evidence_keys_are_there(code):
    analysis, dummy = SCENARIOS[code]()
    for item in found(analysis, code):
        missing = set(CODES[code].evidence) - set(item["evidence"])
        assert not missing, "%s: evidence lacks the declared keys %s" % (code, sorted(missing))
