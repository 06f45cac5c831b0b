# -*- coding: utf-8 -*-
"""The controller's reading of a node's prediction: kubernetes-internal-ip resolved from the
datastore, exclusions from the per-release table (never from a node), pins checked before use."""
from __future__ import annotations

import time

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._model import Node
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._prediction import (
    configured_choice,
    exact_interface_pin,
    excluded_by_release,
    ipv6_risk,
    pin_selects,
)


def iface(index, name, *cidrs):
    def make(c):
        return {"address": c.split("/")[0], "prefixlen": int(c.split("/")[1]), "cidr": c}
    return {"index": index, "name": name, "ipv4": [make(c) for c in cidrs if ":" not in c],
            "ipv6": [make(c) for c in cidrs if ":" in c]}


def node(method="first-found", version="v3.24.5", ds=None, deployment="kubernetes", ipv6=None, exclusions=None):
    n = Node("ai")
    interfaces = [iface(1, "lo", "127.0.0.1/8"), iface(2, "eno1", "192.168.1.188/24", "fd99::1/64"),
                  iface(46, "br-cddff8a3b81c", "172.19.0.1/16")]
    n.facts = {"interfaces": interfaces}
    n.calico = {"deployment": deployment, "calico_version": version}
    unknown = {"interface": None, "address": None, "reason": "node cannot know", "failure": "unknown"}
    n.autodetection = {"calico_version": version, "method": method, "configured": unknown,
                       "exclusions": exclusions or [], "ipv6": ipv6}
    n.ds = ds
    return n


def test_kubernetes_internal_ip_is_resolved_from_the_datastore():
    n = node("kubernetes-internal-ip", ds={"internal_ip": "192.168.1.188", "internal_ips": ["192.168.1.188", "fd99::1"]})
    choice, method = configured_choice(n)
    assert method == "kubernetes-internal-ip" and (choice["interface"], choice["address"]) == ("eno1", "192.168.1.188/24")
    n.autodetection["ipv6"] = {"method": "kubernetes-internal-ip", "configured": n.autodetection["configured"], "detects": True}
    assert configured_choice(n, 6)[0]["address"] == "fd99::1/64"


def test_kubernetes_internal_ip_rules():
    on_no_interface = node("kubernetes-internal-ip", ds={"internal_ip": "192.168.1.200"})
    assert configured_choice(on_no_interface)[0]["failure"] == "detection_failed"
    docker_run = node("kubernetes-internal-ip", ds={"internal_ip": "192.168.1.188"}, deployment="docker")
    assert "not running on a Kubernetes cluster" in configured_choice(docker_run)[0]["reason"]
    no_datastore = node("kubernetes-internal-ip")
    assert configured_choice(no_datastore)[0]["failure"] == "unknown"


def test_exclusions_come_from_the_table_never_from_the_node():
    evil = node(version="v3.24.0", exclusions=["^(a+)+$"])
    started = time.time()
    assert excluded_by_release(evil, "a" * 30 + "!") is None            # the node's pattern is not run
    assert time.time() - started < 10                                   # the bait takes ~40 s when run
    assert excluded_by_release(evil, "wlo1") == "lo"                      # v3.24.0: unanchored
    assert excluded_by_release(node(version="v3.24.5"), "wlo1") is None
    assert excluded_by_release(node(version="v3.25.0"), "br-cddff8a3b81c") == "^br-.*"


def test_pins_are_checked_with_the_predictor():
    n = node()
    assert pin_selects(n, "interface=eno1", "192.168.1.188") is True
    assert pin_selects(n, "interface=eno1,", "192.168.1.188") is False        # () picks the bridge
    assert pin_selects(n, "cidr=192.168.1.0/24", "192.168.1.188") is True
    assert pin_selects(n, "can-reach=192.168.1.196", "192.168.1.188") is None


def test_exact_interface_pin():
    assert exact_interface_pin("eno1") == "interface=^eno1$"
    assert exact_interface_pin("eth0.100") == "interface=^eth0[.]100$"
    n = node()
    n.facts["interfaces"].append(iface(50, "eth0.100", "10.0.0.1/24"))
    n.facts["interfaces"].append(iface(51, "eth0.1000", "10.0.1.1/24"))
    assert pin_selects(n, "interface=eth0.100", "10.0.0.1") is False          # also matches eth0.1000, newer
    assert pin_selects(n, exact_interface_pin("eth0.100"), "10.0.0.1") is True


def test_ipv6_risk():
    choice = {"interface": "br-x", "address": "fd00:9::1/64", "reason": None, "failure": None}
    n = node(ds={"ipv6_address": "fd99::1/64"}, ipv6={"method": "first-found", "detects": True, "configured": choice})
    n.facts["interfaces"].append(iface(60, "br-x", "fd00:9::1/64"))
    risk = ipv6_risk(n)
    assert risk["predicted_address"] == "fd00:9::1" and risk["expected_address"] == "fd99::1"
    assert risk["expected_interface"] == "eno1" and risk["pin_methods"] == ["interface=^eno1$", "cidr=fd99::/64"]
    n.autodetection["ipv6"]["detects"] = False                  # IP6 not autodetect: no detection at start
    assert ipv6_risk(n) is None
    same_choice = dict(choice, address="fd99::1/64")
    same = node(ds={"ipv6_address": "fd99::1/64"}, ipv6={"method": "first-found", "detects": True, "configured": same_choice})
    assert ipv6_risk(same) is None
