# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is each node peering on the address it should? One check per function."""
from __future__ import annotations

from .._addr import EXCLUDED_KINDS, excluded_pattern
from .._prediction import excluded_by_release
from .._derived import bridge_evidence, calico_sources, describe_bridge, is_docker_bridge
from . import Code, register
from ._finding import finding

SOURCE_LABELS = {"datastore": "datastore", "router_id": "BIRD router id", "calico_log": "calico-node log"}


@register("address",
          Code("EXPECTED_ADDRESS_UNKNOWN", "warning", "no source gives an IPv4 address the node should peer on; the "
               "node is then checked against Calico's address", ("sources", "candidates")))
def check_expected_known(ctx):
    """EXPECTED_ADDRESS_UNKNOWN: no source gives the address the node should peer on."""
    cluster = ctx.cluster
    for node in cluster.nodes:
        if node.expected:
            continue
        yield finding(
            "EXPECTED_ADDRESS_UNKNOWN", node.name,
            "%s: no source (%s) gives the address it should peer on; set meshdoctor_expected_ip"
            % (node.name, ", ".join(cluster.sources)),
            {"sources": list(cluster.sources), "candidates": node.expected_candidates,
             "calico_address": node.calico_address})


@register("address",
          Code("ADDRESS_MISMATCH", "error", "Calico's address for the node (datastore, BIRD router id, calico-node log) "
               "is not the expected one; one per node",
               ("expected_address", "expected_source", "sources", "disagreeing", "interfaces")))
def check_address_mismatch(ctx):
    """ADDRESS_MISMATCH: datastore address, BIRD router id or logged address differ from the expected one."""
    for node in ctx.cluster.nodes:
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
        yield finding(
            "ADDRESS_MISMATCH", node.name,
            "%s: Calico uses %s (%s) but the node should peer on %s (%s)"
            % (node.name, " and ".join(wrong), named, node.expected, node.expected_source),
            {"expected_address": node.expected, "expected_source": node.expected_source,
             "expected_candidates": node.expected_candidates, "expected_interface": node.expected_interface,
             "sources": sources, "disagreeing": disagreeing, "calico_address": node.calico_address,
             "interfaces": {a: node.ifname_of(a) for a in wrong}})


@register("address",
          Code("ADDRESS_ON_DOCKER_BRIDGE", "error", "Calico's address sits on a Docker bridge (`docker.bridges`, or a "
               "`docker*`/`br-<12 hex>` name)", ("address", "interface", "bridge")),
          Code("ADDRESS_ON_EXCLUDED_INTERFACE", "error", "Calico's address sits on an interface autodetection should "
               "skip (a default exclusion pattern, or kind veth/dummy/ipip/vxlan/wireguard/loopback/tun)",
               ("address", "interface", "kind", "pattern")))
def check_address_interface(ctx):
    """ADDRESS_ON_DOCKER_BRIDGE / ADDRESS_ON_EXCLUDED_INTERFACE: where Calico's (wrong) address lives."""
    for node in ctx.cluster.nodes:
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
                yield finding(
                    "ADDRESS_ON_DOCKER_BRIDGE", node.name,
                    "%s: Calico's address %s sits on Docker bridge %s (%s)"
                    % (node.name, addr, ifname, describe_bridge(bridge) or "not known to Docker"),
                    {"address": addr, "source": source, "interface": ifname, "bridge": bridge,
                     "expected_address": node.expected, "expected_interface": node.expected_interface})
                continue
            iface = node.iface_of(addr) or {}
            # the node's release's exclusions from our own table: a pattern a node reports is never run
            pattern = excluded_pattern(ifname) or excluded_by_release(node, ifname)
            kind = iface.get("kind")
            if pattern or kind in EXCLUDED_KINDS:
                yield finding(
                    "ADDRESS_ON_EXCLUDED_INTERFACE", node.name,
                    "%s: Calico's address %s sits on %s (%s), an interface autodetection should skip"
                    % (node.name, addr, ifname, ("matches %s" % pattern) if pattern else ("kind %s" % kind)),
                    {"address": addr, "source": source, "interface": ifname, "kind": kind, "pattern": pattern,
                     "expected_address": node.expected, "expected_interface": node.expected_interface})
