# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is each node peering on the address it should? One check per function."""
from __future__ import annotations

from ._addr import DOCKER_BRIDGE_NAME, EXCLUDED_KINDS, excluded_pattern
from ._findings import finding

SOURCE_LABELS = {"datastore": "datastore", "router_id": "BIRD router id", "calico_log": "calico-node log"}


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
                "orphaned": None, "network_id": None, "default_bridge": ifname == "docker0"}
    return {"name": ifname, "network_name": bridge.get("network_name"),
            "compose_project": bridge.get("compose_project"), "container_count": bridge.get("container_count"),
            "orphaned": bridge.get("orphaned"), "network_id": bridge.get("network_id"),
            "default_bridge": bridge.get("default_bridge")}


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


def check_expected_known(cluster):
    """EXPECTED_ADDRESS_UNKNOWN: no source gives the address the node should peer on."""
    out = []
    for node in cluster.nodes:
        if node.expected:
            continue
        out.append(finding(
            "EXPECTED_ADDRESS_UNKNOWN", node.name,
            "%s: no source (%s) gives the address it should peer on; set meshdoctor_expected_ip"
            % (node.name, ", ".join(cluster.sources)),
            {"sources": list(cluster.sources), "candidates": node.expected_candidates,
             "calico_address": node.calico_address}))
    return out


def check_address_mismatch(cluster):
    """ADDRESS_MISMATCH: datastore address, BIRD router id or logged address differ from the expected one."""
    out = []
    for node in cluster.nodes:
        if not node.expected:
            continue
        sources = calico_sources(node)
        disagreeing = [k for k, v in sources.items() if v != node.expected]
        if not disagreeing:
            continue
        wrong = sorted({sources[k] for k in disagreeing})
        if len(wrong) == 1:
            named = ", ".join(SOURCE_LABELS[k] for k in disagreeing)
        else:
            named = ", ".join("%s %s" % (SOURCE_LABELS[k], sources[k]) for k in disagreeing)
        out.append(finding(
            "ADDRESS_MISMATCH", node.name,
            "%s: Calico uses %s (%s) but the node should peer on %s (%s)"
            % (node.name, " and ".join(wrong), named, node.expected, node.expected_source),
            {"expected_address": node.expected, "expected_source": node.expected_source,
             "expected_candidates": node.expected_candidates, "expected_interface": node.expected_interface,
             "sources": sources, "disagreeing": disagreeing, "calico_address": node.calico_address,
             "interfaces": {a: node.ifname_of(a) for a in wrong}}))
    return out


def check_address_interface(cluster):
    """ADDRESS_ON_DOCKER_BRIDGE / ADDRESS_ON_EXCLUDED_INTERFACE: where Calico's (wrong) address lives."""
    out = []
    for node in cluster.nodes:
        seen = set()
        for source, addr in calico_sources(node).items():
            if addr == node.expected or addr in seen:
                continue
            seen.add(addr)
            ifname = node.ifname_of(addr)
            if not ifname:
                continue
            if is_docker_bridge(node, ifname):
                bridge = bridge_evidence(node, ifname)
                out.append(finding(
                    "ADDRESS_ON_DOCKER_BRIDGE", node.name,
                    "%s: Calico's address %s sits on Docker bridge %s (%s)"
                    % (node.name, addr, ifname, describe_bridge(bridge) or "not known to Docker"),
                    {"address": addr, "source": source, "interface": ifname, "bridge": bridge,
                     "expected_address": node.expected, "expected_interface": node.expected_interface}))
                continue
            iface = node.iface_of(addr) or {}
            exclusions = (node.autodetection or {}).get("exclusions")
            pattern = excluded_pattern(ifname) or excluded_pattern(ifname, exclusions)
            kind = iface.get("kind")
            if pattern or kind in EXCLUDED_KINDS:
                out.append(finding(
                    "ADDRESS_ON_EXCLUDED_INTERFACE", node.name,
                    "%s: Calico's address %s sits on %s (%s), an interface autodetection should skip"
                    % (node.name, addr, ifname, ("matches %s" % pattern) if pattern else ("kind %s" % kind)),
                    {"address": addr, "source": source, "interface": ifname, "kind": kind, "pattern": pattern,
                     "expected_address": node.expected, "expected_interface": node.expected_interface}))
    return out


def _duplicate_findings(code, label, evidence_key, pairs, report_on):
    """One finding per node of REPORT_ON whose key (address, router id) another node shares."""
    groups = {}
    for key, name in pairs:
        if key:
            groups.setdefault(key, []).append(name)
    out = []
    for key, names in groups.items():
        if len(names) < 2:
            continue
        for name in names:
            if name not in report_on:
                continue
            others = [n for n in names if n != name]
            out.append(finding(
                code, name, "%s: %s %s is also used by %s" % (name, label, key, ", ".join(others)),
                {evidence_key: key, "nodes": names, "peer_node": others[0]}))
    return out


def check_duplicate_address(cluster):
    """DUPLICATE_ADDRESS: two nodes (of the play or the datastore) carry the same Calico address."""
    pairs = [(n.calico_address, n.name) for n in cluster.nodes]
    play = set(cluster.by_name)
    for name, entry in cluster.ds_nodes.items():
        if name not in play and entry.get("ipv4_address"):
            pairs.append((str(entry["ipv4_address"]).split("/", 1)[0], name))
    # Datastore-only nodes count as holders of an address, but only play nodes get findings.
    return _duplicate_findings("DUPLICATE_ADDRESS", "Calico address", "address", pairs, play)


def check_duplicate_router_id(cluster):
    """DUPLICATE_ROUTER_ID: two nodes' BIRD run with the same router id."""
    pairs = [(n.router_id, n.name) for n in cluster.nodes]
    return _duplicate_findings("DUPLICATE_ROUTER_ID", "BIRD router id", "router_id", pairs, set(cluster.by_name))


CHECKS = (check_expected_known, check_address_mismatch, check_address_interface,
          check_duplicate_address, check_duplicate_router_id)
