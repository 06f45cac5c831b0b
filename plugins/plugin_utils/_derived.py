# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-node values derived from the model that several checks, the root causes or the rows read.

What Calico says a node's address is, what Docker says about a bridge, and the
IP_AUTODETECTION_METHOD values that would pin a node to its expected address.
"""
from __future__ import annotations

import re

from ._addr import DOCKER_BRIDGE_NAME, network_of
from ._prediction import exact_interface_pin, pin_selects

CONTROL_PLANE_HINTS = ("master", "control", "cp")
# An interface name that is safe to run as a regex (no syntax but "."): anything else a node
# reports is quoted into a literal pattern first.
PLAIN_NAME = re.compile(r"[A-Za-z0-9_.:@%-]*")


def calico_sources(node):
    """{source: address} of what Calico says the node's address is (only sources that answered)."""
    sources = {}
    if node.ds_address:
        sources["datastore"] = node.ds_address
    if node.router_id and node.router_id_is_address:
        sources["router_id"] = node.router_id
    if node.detected_address:
        sources["calico_log"] = node.detected_address
    return sources


def bridge_evidence(node, ifname):
    """The Docker facts about bridge ifname on node, as a root cause/finding shows them."""
    bridge = (node.bridges or {}).get(ifname)
    if bridge is None:
        return {"name": ifname, "network_name": None, "compose_project": None, "container_count": None,
                "orphaned": None, "network_id": None, "default_bridge": ifname == "docker0", "created": None}
    return {"name": ifname, "network_name": bridge.get("network_name"),
            "compose_project": bridge.get("compose_project"), "container_count": bridge.get("container_count"),
            "orphaned": bridge.get("orphaned"), "network_id": bridge.get("network_id"),
            "default_bridge": bridge.get("default_bridge"), "created": bridge.get("created")}


def is_docker_bridge(node, ifname):
    return bool(ifname) and (ifname in (node.bridges or {}) or bool(DOCKER_BRIDGE_NAME.match(ifname)))


def describe_bridge(bridge):
    """'docker network gerrit_default, compose project gerrit, 0 containers' (what is known)."""
    parts = []
    if bridge.get("orphaned"):
        parts.append("no Docker network owns it")
    elif bridge.get("network_name"):
        parts.append("docker network %s" % bridge["network_name"])
    if bridge.get("compose_project"):
        parts.append("compose project %s" % bridge["compose_project"])
    if bridge.get("container_count") is not None:
        parts.append("%d container%s" % (bridge["container_count"], "" if bridge["container_count"] == 1 else "s"))
    return ", ".join(parts)


def reach_target(cluster, node):
    """An address for `can-reach=`: a healthy control-plane-looking node's expected address, else another's."""
    ranked = cluster.cache.get("reach_targets")
    if ranked is None:              # once per cluster: healthy before broken, control plane first, by name
        def rank(n):
            healthy = all(a == n.expected for a in calico_sources(n).values())
            hint = next((i for i, h in enumerate(CONTROL_PLANE_HINTS) if h in n.name.lower()), len(CONTROL_PLANE_HINTS))
            return (not healthy, hint, n.name)
        ranked = cluster.cache["reach_targets"] = sorted((n for n in cluster.nodes if n.expected), key=rank)
    for other in ranked:
        if other is not node:
            return other.expected
    return None


def pinning_methods(cluster, node):
    """IP_AUTODETECTION_METHOD values that would select the node's expected address.

    interface= and cidr= pins are run through the node-side predictor on the node's interfaces
    (_prediction.pin_selects); a plain interface=NAME that would also match a newer interface
    becomes interface=^NAME$, and a pin that still picks another address is left out."""
    methods = []
    target = reach_target(cluster, node)
    if target:
        methods.append("can-reach=%s" % target)
    checkable = bool(node.expected and (node.facts or {}).get("interfaces"))
    if node.expected_interface:
        pin = "interface=%s" % node.expected_interface
        if not PLAIN_NAME.fullmatch(node.expected_interface):
            # A name with regex syntax in it (a NIC named "(a+)+$") is never run as a pattern
            # here: only as the literal interface=^NAME$.
            pin = exact_interface_pin(node.expected_interface)
        if checkable and not pin_selects(node, pin, node.expected):
            pin = exact_interface_pin(node.expected_interface)
            pin = pin if pin_selects(node, pin, node.expected) else None
        if pin:
            methods.append(pin)
    lan = network_of(node.expected_cidr)
    if lan and (not checkable or pin_selects(node, "cidr=%s" % lan, node.expected)):
        methods.append("cidr=%s" % lan)
    return methods
