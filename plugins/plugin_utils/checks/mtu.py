# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Interface MTUs: a NIC smaller than its peers', a Calico interface that does not fit in it."""
from __future__ import annotations

import re

from . import Code, register
from ._finding import finding

TUNNEL_OVERHEAD = {"ipip": 20, "vxlan": 50, "wireguard": 60}
CALICO_IFACES = re.compile(r"^(tunl0|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|wg-v6\.cali|cali[0-9a-f]+)$")


def _nic_mtu(node):
    iface = node.iface_of(node.expected) if node.expected else None
    return (iface.get("name"), iface.get("mtu")) if iface and iface.get("mtu") else (None, None)


def _too_big(node, mtu):
    out = []
    for iface in node.facts.get("interfaces") or ():
        name = iface.get("name") or ""
        if CALICO_IFACES.match(name) and iface.get("mtu"):
            limit = mtu - TUNNEL_OVERHEAD.get(iface.get("kind"), 0)
            if iface["mtu"] > limit:
                out.append({"interface": name, "mtu": iface["mtu"], "fits": limit})
    return out


@register("mtu",
          Code("MTU_MISMATCH", "warning", "the MTU of the NIC holding the node's expected address is below its peers' "
               "NICs', or a Calico interface (tunl0, vxlan.calico, wireguard.cali, cali*) has an MTU that does not fit "
               "in it with the tunnel's overhead",
               ("interface", "mtu", "peer_mtus", "larger_peers", "calico_interfaces")))
def check_mtu(ctx):
    """MTU_MISMATCH: packets the peers send may not fit through this node's NIC."""
    mtus = {node.name: _nic_mtu(node) for node in ctx.cluster.nodes if node.facts is not None}
    largest = max([m for dummy, m in mtus.values() if m] or [0])
    for node in ctx.cluster.nodes:
        nic, mtu = mtus.get(node.name, (None, None))
        if mtu is None:
            continue
        peers, larger = {}, []
        if mtu < largest:
            peers = {name: m for name, (dummy, m) in mtus.items() if name != node.name and m}
            larger = sorted(name for name, m in peers.items() if m > mtu)
        too_big = _too_big(node, mtu)
        if not larger and not too_big:
            continue
        parts = []
        if larger:
            parts.append("%s has MTU %d while %s %s" % (
                nic, mtu, ", ".join("%s's NIC has %d" % (n, peers[n]) for n in larger[:5]),
                "(and %d more)" % (len(larger) - 5) if len(larger) > 5 else ""))
        parts.extend("%s has MTU %d, more than the %d that fits in %s" % (i["interface"], i["mtu"], i["fits"], nic)
                     for i in too_big)
        yield finding(
            "MTU_MISMATCH", node.name, "%s: %s" % (node.name, "; ".join(p.strip() for p in parts)),
            {"interface": nic, "mtu": mtu, "peer_mtus": peers, "larger_peers": larger, "calico_interfaces": too_big})
