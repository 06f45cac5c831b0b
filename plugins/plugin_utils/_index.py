# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Indexes of one node's BIRD protocols and routes: the only loops that see N x N items.

At 1000 nodes every node lists ~1000 protocols and ~1000 routes, a million of each. The fast
paths below walk those lists only with C-level calls (``map(itemgetter)``, ``list.count``,
``list.index``, ``dict(zip())``) and touch individual entries only where something is not
Established, which is rare. When the data is unusual (missing keys, duplicate
peers or destinations, non-mesh peers, a mesh protocol without a BGP state), they fall back to
the plain reference loops, which define the result.
"""
from __future__ import annotations

from operator import itemgetter

_STATE = itemgetter("bgp_state")
_PTYPE = itemgetter("peer_type")
_PEER = itemgetter("peer_address")
_DST = itemgetter("dst")
_GW = itemgetter("gateway")
ESTABLISHED = "Established"


def sessions_reference(protocols):
    """(established peer addresses, {peer address: protocol} of the others), Mesh_ protocols only."""
    mesh = [p for p in protocols
            if p.get("peer_address") and (p.get("peer_type") == "mesh" or (p.get("name") or "").startswith("Mesh_"))]
    established = {p["peer_address"] for p in mesh if p.get("bgp_state") == ESTABLISHED}
    down = {p["peer_address"]: p for p in mesh if p.get("bgp_state") != ESTABLISHED}
    return established, down


def _positions(values, value):
    out = []
    i = -1
    while True:
        try:
            i = values.index(value, i + 1)
        except ValueError:
            return out
        out.append(i)


def index_sessions(protocols):
    """Same result as sessions_reference(), fast for the common shape."""
    try:
        states = list(map(_STATE, protocols))
        ptypes = list(map(_PTYPE, protocols))
        established = set(map(_PEER, protocols))
    except (KeyError, TypeError):
        return sessions_reference(protocols)
    n_mesh = ptypes.count("mesh")
    if n_mesh + ptypes.count(None) != len(ptypes):          # Global_/Node_ peers present
        return sessions_reference(protocols)
    down_idx = []
    for state in set(states) - {ESTABLISHED, None}:
        down_idx.extend(_positions(states, state))
    if states.count(ESTABLISHED) + len(down_idx) != n_mesh:  # a mesh protocol without BGP state, or odd rows
        return sessions_reference(protocols)
    established.discard(None)
    if len(established) != n_mesh:                          # duplicate or undecoded peer addresses
        return sessions_reference(protocols)
    down = {}
    for i in down_idx:
        peer = protocols[i]["peer_address"]
        established.discard(peer)
        down[peer] = protocols[i]
    return established, down


class RouteIndex:
    """One node's routes: ``gateway`` maps each destination to its route's gateway (None for a
    blackhole or a link route); ``find(dst, type)`` returns the route itself."""

    __slots__ = ("routes", "dsts", "gateway", "_lookups", "_by_dst")
    SCAN_LOOKUPS = 8      # after this many look-ups on one node, index its routes by destination

    def __init__(self, routes, dsts, gateway):
        self.routes, self.dsts, self.gateway = routes, dsts, gateway
        self._lookups = 0
        self._by_dst = None

    def find(self, dst, kind="unicast"):
        """The first route of this type to dst, or None."""
        if self._by_dst is None:
            self._lookups += 1
            if self._lookups <= self.SCAN_LOOKUPS:          # a few look-ups: C-level list search
                positions = _positions(self.dsts, dst)
            else:
                self._by_dst = {}
                for i, key in enumerate(self.dsts):
                    self._by_dst.setdefault(key, []).append(i)
        if self._by_dst is not None:
            positions = self._by_dst.get(dst, ())
        for i in positions:
            if self.routes[i].get("type") == kind:
                return self.routes[i]
        return None


def routes_reference(routes):
    """RouteIndex whose gateway map holds the unicast routes only (the definition)."""
    dsts = [r.get("dst") for r in routes]
    return RouteIndex(routes, dsts, {r.get("dst"): r.get("gateway") for r in routes if r.get("type") == "unicast"})


def index_routes(routes):
    """RouteIndex in two C-level passes.

    The gateway map also holds non-unicast routes (blackhole, unreachable: gateway None), which
    never equal an expected (block, gateway) pair; whoever finds a mismatch looks the route up
    with find(). A destination listed twice falls back to the reference (unicast routes only).
    """
    try:
        dsts = list(map(_DST, routes))
        gateway = dict(zip(dsts, map(_GW, routes)))
    except (KeyError, TypeError):
        return routes_reference(routes)
    if len(gateway) != len(dsts):
        return routes_reference(routes)
    return RouteIndex(routes, dsts, gateway)
