# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both ends of one BGP session, as the checks and the root-cause sentences tell it.

A pair A-B is what A's BIRD says about its session to B (state, last error) and what A's
active TCP 179 probe of B's address gave, and the same from B's side, with both addresses:
'hp-ml: hp (192.168.1.172) sees Active, last error "Socket: Connection refused", probe
refused; ml (192.168.1.121) sees Passive, probe refused'.
"""
from __future__ import annotations

import re

ESTABLISHED = "Established"
PORT_ERRORS = re.compile(r"No listening socket|Address (already )?in use", re.IGNORECASE)
AS_ERRORS = re.compile(r"Bad peer AS", re.IGNORECASE)


def probe_result(node, address):
    """What NODE's probe of ADDRESS on TCP 179 gave (connected, refused, timed_out, ...) or None."""
    peers = ((node.facts or {}).get("probe") or {}).get("peers") or {}
    entry = peers.get(address) if address else None
    return entry.get("result") if isinstance(entry, dict) else None


def readable(node):
    """Node's BIRD could be read (its sessions are known)."""
    return node.facts is not None and bool(node.bird_running) and node.established is not None


def side(src, dst):
    """SRC's view of its session to DST: {node, address, state, last_error, probe, peer_address}."""
    view = {"node": src.name, "address": src.expected or src.calico_address, "state": "unknown",
            "last_error": None, "probe": None, "peer_address": None}
    if not readable(src):
        view["probe"] = probe_result(src, dst.expected or dst.calico_address)
        return view
    for addr in dst.addresses():
        if addr in src.established:
            view.update(state=ESTABLISHED, peer_address=addr, probe=probe_result(src, addr))
            return view
        proto = src.down.get(addr)
        if proto is not None:
            view.update(state=proto.get("bgp_state") or proto.get("state") or "unknown",
                        last_error=proto.get("last_error"), peer_address=addr, probe=probe_result(src, addr))
            return view
    target = dst.expected or dst.calico_address
    view.update(state="missing", peer_address=target, probe=probe_result(src, target))
    return view


def pair(a, b):
    """Both ends of the A-B session; 'up' when both are Established."""
    one, two = side(a, b), side(b, a)
    return {"nodes": [a.name, b.name], "ends": [one, two],
            "up": one["state"] == ESTABLISHED and two["state"] == ESTABLISHED}


def describe_end(end):
    """'hp (192.168.1.172) sees Active, last error "Socket: Connection refused", probe refused'."""
    text = "%s (%s) sees %s" % (end["node"], end["address"] or "no address", end["state"])
    if end["last_error"]:
        text += ', last error "%s"' % end["last_error"]
    if end["probe"] and end["probe"] != "established":     # established: BIRD's own session, not probed
        text += ", probe %s" % end["probe"].replace("_", " ")
    return text


def describe(item):
    return "%s-%s: %s; %s" % (item["nodes"][0], item["nodes"][1], describe_end(item["ends"][0]),
                              describe_end(item["ends"][1]))


def errors_of(node):
    """The last errors of the node's Mesh_ protocols that are not Established."""
    return [p.get("last_error") or "" for p in (node.down or {}).values()]


def own_trouble(node):
    """A node with a visible trouble of its own: its sessions say nothing about its peers."""
    if node.facts is None or node.calico_running is False or not node.bird_running:
        return True
    if node.expected and node.ds_address and node.ds_address != node.expected:
        return True
    if node.expected and node.router_id_is_address and node.router_id and node.router_id != node.expected:
        return True
    return any(PORT_ERRORS.search(e) or AS_ERRORS.search(e) for e in errors_of(node))
