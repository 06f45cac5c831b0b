# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does any address or router id belong to two nodes? One check per function."""
from __future__ import annotations

from . import Code, register
from ._finding import finding


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


@register("duplicates",
          Code("DUPLICATE_ADDRESS", "error", "two nodes (of the play or the datastore) carry the same Calico address",
               ("address", "nodes", "peer_node")))
def check_duplicate_address(ctx):
    """DUPLICATE_ADDRESS: two nodes (of the play or the datastore) carry the same Calico address."""
    cluster = ctx.cluster
    pairs = [(n.calico_address, n.name) for n in cluster.nodes]
    play = set(cluster.by_name)
    for name, entry in cluster.ds_nodes.items():
        if name not in play and entry.get("ipv4_address"):
            pairs.append((str(entry["ipv4_address"]).split("/", 1)[0], name))
    # Datastore-only nodes count as holders of an address, but only play nodes get findings.
    return _duplicate_findings("DUPLICATE_ADDRESS", "Calico address", "address", pairs, play)


@register("duplicates",
          Code("DUPLICATE_ROUTER_ID", "error", "two nodes' BIRD run with the same router id",
               ("router_id", "nodes", "peer_node")))
def check_duplicate_router_id(ctx):
    """DUPLICATE_ROUTER_ID: two nodes' BIRD run with the same router id."""
    pairs = [(n.router_id, n.name) for n in ctx.cluster.nodes]
    return _duplicate_findings("DUPLICATE_ROUTER_ID", "BIRD router id", "router_id", pairs, set(ctx.cluster.by_name))
