# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Calico node whose host is gone: the datastore still lists it, nobody reaches it."""
from __future__ import annotations

from .._addr import bare
from .._pairs import probe_result, readable
from . import Code, register
from ._finding import finding


@register("datastore",
          Code("STALE_CALICO_NODE", "error", "a datastore node that is no host of the play (no inventory host): every "
               "session the play's nodes have to its address is down and no probe connects (node: the datastore's "
               "name)", ("address", "blocks", "sessions_down", "probes")))
def check_stale_node(ctx):
    """STALE_CALICO_NODE: the datastore's node no host answers for."""
    cluster = ctx.cluster
    if not cluster.datastore_reachable:
        return
    play_addresses = {addr for node in cluster.nodes for addr in node.addresses()}
    readers = [node for node in cluster.nodes if readable(node)]
    for name, entry in sorted(cluster.ds_nodes.items()):
        if name in cluster.by_name:
            continue
        address = bare((entry or {}).get("ipv4_address"))
        if not address or address in play_addresses:
            continue
        down = [node for node in readers if address in node.down]
        if not down or any(address in node.established for node in readers):
            continue
        probes = {node.name: probe_result(node, address) for node in readers}
        if "connected" in probes.values():
            continue
        seen = ", ".join("%s sees %s%s" % (node.name, node.down[address].get("bgp_state") or "it down",
                                           " (probe %s)" % probes[node.name].replace("_", " ") if probes[node.name] else "")
                         for node in down)
        yield finding(
            "STALE_CALICO_NODE", name,
            "%s: Calico node %s (%s) is no host of the play and answers nobody: %s" % (name, name, address, seen),
            {"address": address, "peer_address": address, "blocks": list((entry or {}).get("blocks") or ()),
             "sessions_down": len(down), "probes": probes})
