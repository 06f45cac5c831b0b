# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""With CALICO_NETWORKING_BACKEND=vxlan no BIRD runs: is felix's VXLAN data plane right?
The device on each node, then its entries for every other node (_vxlan_view.py)."""
from __future__ import annotations

from .._vxlan_view import DEVICE, node_address
from . import Code, register
from ._finding import finding

# A VXLAN packet carries 50 bytes of headers (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14).
VXLAN_OVERHEAD = 50


def _parent(node, device):
    """(name, interface) of the device's parent: its `link`, else the interface holding its
    `local` address, else the one holding the node's Calico address (felix's choice)."""
    for name in (device.get("parent"), node.ifname_of(device.get("local")), node.ifname_of(node.calico_address)):
        if name and name in (node.iface_by_name or {}):
            return name, node.iface_by_name[name]
    return None, None


@register("vxlan",
          Code("VXLAN_DEVICE_MISSING", "error", "calico-node runs with CALICO_NETWORKING_BACKEND=vxlan but the node has "
               "no `vxlan.calico` device", ("backend",)),
          Code("VXLAN_DEVICE_DOWN", "error", "`vxlan.calico` is not up (flags UP and LOWER_UP)", ("device", "state")),
          Code("VXLAN_LOCAL_WRONG", "error", "`vxlan.calico` sends from (`local`) another address than the node's",
               ("device", "local", "expected_address", "parent")),
          Code("VXLAN_MTU_TOO_BIG", "error", "`vxlan.calico`'s MTU is above its parent's MTU minus the 50 bytes of VXLAN "
               "headers", ("device", "mtu", "parent", "parent_mtu")))
def check_vxlan_device(ctx):
    """VXLAN_DEVICE_MISSING / _DOWN / VXLAN_LOCAL_WRONG / VXLAN_MTU_TOO_BIG: the node's own vxlan.calico."""
    for node in ctx.cluster.nodes:
        if node.facts is None or node.backend != "vxlan" or node.calico_running is False:
            continue
        device = (node.vxlan or {}).get("device")
        if not device:
            if node.vxlan is None:
                yield finding("VXLAN_DEVICE_MISSING", node.name,
                              "%s: calico-node runs with the VXLAN backend but there is no %s device" % (node.name, DEVICE),
                              {"backend": node.backend})
            continue
        if not device.get("up"):
            yield finding("VXLAN_DEVICE_DOWN", node.name, "%s: %s is not up (state %s)" % (node.name, DEVICE, device.get("state")),
                          {"device": DEVICE, "state": device.get("state")})
        local, expected = device.get("local"), node.expected
        parent, iface = _parent(node, device)
        if local and expected and local != expected:
            yield finding("VXLAN_LOCAL_WRONG", node.name,
                          "%s: %s sends its VXLAN packets from %s%s, not from the node's address %s"
                          % (node.name, DEVICE, local, " on %s" % parent if parent else "", expected),
                          {"device": DEVICE, "local": local, "address": local, "expected_address": expected,
                           "parent": parent})
        parent_mtu = (iface or {}).get("mtu")
        if device.get("mtu") and parent_mtu and device["mtu"] > parent_mtu - VXLAN_OVERHEAD:
            yield finding("VXLAN_MTU_TOO_BIG", node.name,
                          "%s: %s has MTU %d, more than %s's %d minus %d; larger packets are dropped"
                          % (node.name, DEVICE, device["mtu"], parent, parent_mtu, VXLAN_OVERHEAD),
                          {"device": DEVICE, "mtu": device["mtu"], "parent": parent, "parent_mtu": parent_mtu})


@register("vxlan",
          Code("VXLAN_NEIGHBOUR_MISSING", "error", "A has no neighbour entry for B's VTEP address with B's VTEP MAC",
               ("from", "to", "vtep", "mac", "found_mac", "peer_node")),
          Code("VXLAN_FDB_MISSING", "error", "A's `vxlan.calico` forwarding database has no entry for B's VTEP MAC",
               ("from", "to", "vtep", "mac", "peer_node")),
          Code("VXLAN_FDB_WRONG_DESTINATION", "error", "A's FDB entry for B's VTEP MAC sends B's traffic to another address "
               "than B's (e.g. a broken node's 172.19.0.1)", ("from", "to", "mac", "dst", "expected_dst", "peer_node",
                                                              "peer_address")))
def check_vxlan_peers(ctx):
    """One finding per directed pair of VXLAN nodes whose entries are wrong."""
    for pair in ctx.vxlan.pairs:
        src, dst, state = pair["from"], pair["to"], pair["state"]
        evidence = dict(pair, peer_node=dst)
        if state in ("no_neighbour", "wrong_mac"):
            found = "no neighbour entry" if state == "no_neighbour" else "a neighbour entry to %s" % pair["found_mac"]
            yield finding("VXLAN_NEIGHBOUR_MISSING", src, "%s: %s for %s's VTEP %s (expected %s)"
                          % (src, found, dst, pair["vtep"], pair["mac"]), evidence)
        elif state == "no_fdb":
            yield finding("VXLAN_FDB_MISSING", src, "%s: no FDB entry on %s for %s's VTEP MAC %s"
                          % (src, DEVICE, dst, pair["mac"]), evidence)
        elif state == "wrong_dst":
            evidence["peer_address"] = pair["dst"]
            known = ctx.cluster.known_addresses.get(pair["dst"])
            whose = " (%s's Calico address)" % known if known and known != src else ""
            yield finding("VXLAN_FDB_WRONG_DESTINATION", src,
                          "%s: VXLAN packets for %s go to %s%s, not to %s's address %s (FDB entry %s on %s)"
                          % (src, dst, pair["dst"], whose, dst, node_address(ctx.cluster.by_name[dst]), pair["mac"], DEVICE),
                          evidence)
