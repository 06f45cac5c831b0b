# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VXLAN data plane, derived from the model once per analysis (nodes whose calico-node runs
with CALICO_NETWORKING_BACKEND=vxlan; facts' ``vxlan``: docs/facts-schema.md, VxlanInfo).

For every other node B, a VXLAN node A needs what felix programs: a neighbour entry B's VTEP
address -> B's VTEP MAC, and an FDB entry B's VTEP MAC -> B's node address (where the
encapsulated packets go). A pair's state: ``ok``; ``no_neighbour`` / ``wrong_mac`` (the
neighbour entry is missing or names another MAC); ``no_fdb``; ``wrong_dst`` (the FDB sends B's
traffic to another address, e.g. a broken node's 172.19.0.1); ``dst_unknown`` (the entry
holds no destination, e.g. on the lab's bridge stand-in); ``unknown`` (A's VXLAN state or B's
VTEP is not known).
"""
from __future__ import annotations

from ._addr import bare

DEVICE = "vxlan.calico"


class VxlanView:
    """Per directed pair of VXLAN nodes: is B reachable through A's VXLAN entries?"""

    def __init__(self):
        self.nodes = []        # names of the nodes using VXLAN
        self.vtep = {}         # node name -> {"address", "mac"} (from the datastore, the MAC else from its device)
        self.pairs = []        # [{"from", "to", "state", "vtep", "mac", "found_mac", "dst", "expected_dst"}]

    def towards(self, name, states=None):
        """The pairs whose far end is NAME (optionally only in STATES)."""
        return [p for p in self.pairs if p["to"] == name and (states is None or p["state"] in states)]


def _vtep(node):
    ds = node.ds or {}
    device = (node.vxlan or {}).get("device") or {}
    address = bare(ds.get("ipv4_vxlan_tunnel_addr"))
    mac = (ds.get("vxlan_tunnel_mac") or device.get("mac") or "").lower() or None
    return {"address": address, "mac": mac}


def node_address(node):
    """Where the other nodes should send node's VXLAN packets: the address it should peer on."""
    return node.expected or node.calico_address


def _pair(src, dst, vtep):
    neighbours = {n.get("address"): n for n in (src.vxlan or {}).get("neighbours") or ()}
    fdb = {}
    for entry in (src.vxlan or {}).get("fdb") or ():
        fdb.setdefault(entry.get("mac"), entry)
    pair = {"from": src.name, "to": dst.name, "vtep": vtep["address"], "mac": vtep["mac"], "found_mac": None,
            "dst": None, "expected_dst": node_address(dst), "state": "unknown"}
    if not vtep["address"] or not vtep["mac"] or not (src.vxlan or {}).get("device"):
        return pair
    neighbour = neighbours.get(vtep["address"])
    pair["found_mac"] = neighbour.get("mac") if neighbour else None
    entry = fdb.get(vtep["mac"])
    pair["dst"] = entry.get("dst") if entry else None
    if neighbour is None:
        pair["state"] = "no_neighbour"
    elif pair["found_mac"] != vtep["mac"]:
        pair["state"] = "wrong_mac"
    elif entry is None:
        pair["state"] = "no_fdb"
    elif not pair["dst"]:
        pair["state"] = "dst_unknown"
    elif pair["expected_dst"] and pair["dst"] != pair["expected_dst"]:
        pair["state"] = "wrong_dst"
    else:
        pair["state"] = "ok"
    return pair


def build_vxlan(cluster):
    view = VxlanView()
    nodes = [node for node in cluster.nodes if node.backend == "vxlan"]
    view.nodes = [node.name for node in nodes]
    for node in nodes:
        view.vtep[node.name] = _vtep(node)
    for src in nodes:
        if src.facts is None:
            continue
        for dst in nodes:
            if dst is not src:
                view.pairs.append(_pair(src, dst, view.vtep[dst.name]))
    return view
