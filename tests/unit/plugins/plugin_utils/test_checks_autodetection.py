# -*- coding: utf-8 -*-
"""AUTODETECTION_RISK and the exclusions as the controller now reads them: kubernetes-internal-ip
resolved from the datastore (autodetection_methods.go:170-192@v3.24.5), IPv6 with IP6=autodetect
(startup.go:531-541@v3.24.5), and the per-release exclusion table instead of a node's patterns."""
from __future__ import annotations

import time

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse

from synthetic import make_cluster, own_facts


def run(hostvars, datastore):
    return analyse(list(hostvars), hostvars, datastore=datastore)


def risks(analysis, node=None):
    return [f for f in analysis.findings if f["code"] == "AUTODETECTION_RISK" and (node is None or f["node"] == node)]


def k8s_method(hv, host):
    facts = own_facts(hv, host)
    facts["calico_node"]["deployment"] = "kubernetes"
    facts["autodetection"]["method"] = "kubernetes-internal-ip"
    facts["autodetection"]["configured"] = {"interface": None, "address": None, "failure": "unknown",
                                            "reason": "kubernetes-internal-ip: the node cannot know"}
    return facts


def test_kubernetes_internal_ip_on_the_nic_is_no_risk():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-2",))
    assert risks(run(hv, ds), "node-2")                 # first-found would take the bridge
    k8s_method(hv, "node-2")
    assert not risks(run(hv, ds), "node-2")             # its InternalIP sits on eth0


def test_kubernetes_internal_ip_on_the_bridge_is_a_risk():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-2",))
    facts = k8s_method(hv, "node-2")
    bridge = [i for i in facts["interfaces"] if i["name"].startswith("br-")][0]
    ds["nodes"]["node-2"]["internal_ip"] = bridge["ipv4"][0]["address"]
    (item,) = risks(run(hv, ds), "node-2")
    assert item["evidence"]["predicted_interface"] == bridge["name"]
    assert item["evidence"]["method"] == "kubernetes-internal-ip"


def test_kubernetes_internal_ip_on_no_interface_keeps_the_address():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-2",))
    k8s_method(hv, "node-2")
    ds["nodes"]["node-2"]["internal_ip"] = "10.9.9.9"    # GetLocalCIDR finds nothing: detection fails
    assert not risks(run(hv, ds), "node-2")


def test_ipv6_autodetection_risk():
    hv, ds = make_cluster(4, broken=())
    facts = own_facts(hv, "node-2")
    facts["interfaces"][1]["ipv6"] = [{"address": "fd99::2", "prefixlen": 64, "cidr": "fd99::2/64", "scope": "global"}]
    facts["interfaces"].append({"index": 60, "name": "br-6", "kind": "bridge", "state": "UP", "ipv4": [],
                                "ipv6": [{"address": "fd00:6::1", "prefixlen": 64, "cidr": "fd00:6::1/64"}]})
    facts["autodetection"]["ipv6"] = {
        "method": "first-found", "detects": True, "candidates": [],
        "configured": {"interface": "br-6", "address": "fd00:6::1/64", "reason": None, "failure": None}}
    ds["nodes"]["node-2"]["ipv6_address"] = "fd99::2/64"
    (item,) = risks(run(hv, ds), "node-2")
    assert item["evidence"]["family"] == 6 and item["evidence"]["predicted_address"] == "fd00:6::1"
    assert item["evidence"]["pin_methods"] == ["interface=^eth0$", "cidr=fd99::/64"]
    assert "IP6_AUTODETECTION_METHOD" in item["message"]
    facts["autodetection"]["ipv6"]["detects"] = False     # IP6 not autodetect: no detection at start
    assert not risks(run(hv, ds), "node-2")


def test_pins_are_checked_before_they_are_offered():
    hv, ds = make_cluster(4, broken=(), stray_bridge=("node-2",))
    facts = own_facts(hv, "node-2")
    facts["interfaces"].append({"index": 70, "name": "eth0.7", "kind": "vlan", "state": "UP", "ipv6": [],
                                "ipv4": [{"address": "10.7.0.2", "prefixlen": 24, "cidr": "10.7.0.2/24"}]})
    (item,) = risks(run(hv, ds), "node-2")
    # interface=eth0 would match the newer eth0.7 too: the exact form is offered instead
    assert item["evidence"]["pin_methods"][1:] == ["interface=^eth0$", "cidr=10.0.0.0/16"]


def test_a_nodes_own_exclusion_patterns_are_never_run():
    hv, ds = make_cluster(4, broken=("node-2",))
    facts = own_facts(hv, "node-2")
    facts["autodetection"]["exclusions"] = ["^(a+)+$"]          # ReDoS bait (issue 11 item 7)
    bridge = [i for i in facts["interfaces"] if i["name"].startswith("br-")][0]
    bridge["name"] = "a" * 30 + "!"                             # Calico's address now sits on this name
    started = time.time()
    analysis = run(hv, ds)
    assert time.time() - started < 10                           # the bait takes ~40 s when run
    assert not [f for f in analysis.findings if f["code"] == "ADDRESS_ON_EXCLUDED_INTERFACE"]
    assert [f for f in analysis.findings if f["code"] == "ADDRESS_MISMATCH"]


def test_exclusions_follow_the_nodes_release():
    hv, ds = make_cluster(4, broken=("node-2",), calico_version="v3.24.0")
    facts = own_facts(hv, "node-2")
    bridge = [i for i in facts["interfaces"] if i["name"].startswith("br-")][0]
    bridge["name"] = "wlo1"                                     # unanchored `lo` of v3.24.0 excludes it
    (item,) = [f for f in run(hv, ds).findings if f["code"] == "ADDRESS_ON_EXCLUDED_INTERFACE"]
    assert item["evidence"]["pattern"] == "lo"


def test_a_method_calico_node_rejects_is_a_risk():
    # autodetection_methods.go:86-88@v3.24.5: "Invalid IP autodetection method" + utils.Terminate()
    hv, ds = make_cluster(4, broken=())
    facts = own_facts(hv, "node-2")
    facts["autodetection"]["method"] = " first-found"
    facts["autodetection"]["configured"] = {"interface": None, "address": None, "failure": "invalid_method",
                                            "reason": "Invalid IP autodetection method:  first-found (calico-node terminates)"}
    (item,) = risks(run(hv, ds), "node-2")
    assert "calico-node terminates" in item["message"] and item["evidence"]["failure"] == "invalid_method"
    facts["autodetection"]["configured"]["failure"] = "detection_failed"    # keeps its stored address
    assert not risks(run(hv, ds), "node-2")
