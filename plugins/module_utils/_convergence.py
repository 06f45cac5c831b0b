# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Judging whether a node's BGP mesh has converged after calico-node was cycled, and the
waiting loop around it (standard library only).

`sessions` and `judge` take a BirdInfo dict (see docs/facts-schema.md) and return plain data;
`route_gaps` takes Route dicts (module_utils/_iproute.py). `wait_for` takes the probe, clock and
sleep as arguments so that it is tested without time passing.

Sessions Established are not yet a repaired mesh: a BIRD started with -R (as calico-node starts
it) announces its routes only after End-of-RIB from all its peers, and the kernel gets them
after that, so `judge` can also wait for the routes to the other nodes' blocks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time


def _ip(text):
    try:
        return ipaddress.ip_address(str(text).split("/", maxsplit=1)[0].strip())
    except ValueError:
        return None


def _net(text):
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def _session(proto):
    return {
        "name": proto.get("name"),
        "peer_address": proto.get("peer_address"),
        "peer_type": proto.get("peer_type"),
        "state": proto.get("state"),
        "bgp_state": proto.get("bgp_state"),
        "since": proto.get("since"),
        "last_error": proto.get("last_error"),
        "info": proto.get("info"),
    }


def sessions(bird, expected_peers=None):
    """The sessions to judge, in BIRD's order.

    EXPECTED_PEERS None: every mesh (Mesh_) protocol, or every BGP protocol when BIRD has no
    mesh ones (route reflectors / global peers). A list: one entry per peer address, with
    bgp_state None and state 'missing' for a peer BIRD has no protocol for."""
    protocols = [p for p in (bird or {}).get("protocols") or [] if str(p.get("proto", "")).upper() == "BGP"]
    if expected_peers is None:
        mesh = [p for p in protocols if p.get("peer_type") == "mesh"]
        return [_session(p) for p in (mesh or protocols)]
    out = []
    for peer in expected_peers:
        want = _ip(peer)
        found = None
        for proto in protocols:
            if want is not None and _ip(proto.get("peer_address")) == want:
                found = proto
                break
        if found is None:
            out.append({"name": None, "peer_address": str(peer), "peer_type": None, "state": "missing", "bgp_state": None,
                        "since": None, "last_error": None, "info": "no BGP protocol for this peer in BIRD"})
        else:
            out.append(_session(found))
    return out


def describe(session):
    """'Mesh_192_168_1_172 (192.168.1.172): Active, Socket: Connection refused'."""
    label = session.get("name") or "peer"
    if session.get("peer_address"):
        label += " (%s)" % session["peer_address"]
    state = session.get("bgp_state") or session.get("state") or "unknown"
    if session.get("last_error"):
        state += ", " + session["last_error"]
    elif session.get("state") == "missing":
        state += ": " + (session.get("info") or "")
    return "%s: %s" % (label, state)


def describe_route(route):
    """'via 192.168.1.188 dev eth0', 'blackhole' or 'unreachable' - how the kernel routes a block."""
    if route.get("type", "unicast") != "unicast":
        return route.get("type")
    text = "via %s" % route["gateway"] if route.get("gateway") else "direct"
    return text + (" dev %s" % route["dev"] if route.get("dev") else "")


def route_gaps(routes, expected_routes):
    """The EXPECTED_ROUTES ([{"dst": CIDR, "via": [gateway, ...]}]) that the main table of ROUTES
    does not have as a unicast route via one of the gateways named.
    -> [{"dst", "via", "found"}]: FOUND is how the kernel routes dst instead (None: not at all)."""
    by_dst = {}
    for route in routes or ():
        if route.get("table", "main") == "main":
            by_dst.setdefault(_net(route.get("dst")), []).append(route)
    gaps = []
    for want in expected_routes or ():
        net = _net(want.get("dst"))
        accepted = set(_ip(gw) for gw in want.get("via") or ())
        have = by_dst.get(net, []) if net is not None else []
        if any(r.get("type", "unicast") == "unicast" and _ip(r.get("gateway")) in accepted for r in have):
            continue
        gaps.append({"dst": str(net) if net is not None else want.get("dst"), "via": list(want.get("via") or ()),
                     "found": describe_route(have[0]) if have else None})
    return gaps


def invalid_routes(expected_routes):
    """What is wrong with EXPECTED_ROUTES (route_gaps' second argument), one sentence per
    problem; [] when every entry is usable."""
    bad = []
    for index, entry in enumerate(expected_routes or ()):
        if _net(entry["dst"]) is None:
            bad.append("entry %d: dst %r is not a CIDR" % (index, entry["dst"]))
        if not entry["via"]:
            bad.append("entry %d (%s): via names no gateway" % (index, entry["dst"]))
        for gateway in entry["via"]:
            try:
                ipaddress.ip_address(gateway)   # a bare address: a gateway has no prefix length
            except ValueError:
                bad.append("entry %d (%s): gateway %r is not an IP address" % (index, entry["dst"], gateway))
    return bad


def describe_gap(gap):
    """'172.16.2.0/24 (wanted via 192.168.1.188, the kernel has none)'."""
    return "%s (wanted via %s, the kernel has %s)" % (gap["dst"], " or ".join(gap["via"]) or "?", gap["found"] or "none")


def judge(bird, expected_peers=None, expected_router_id=None, gaps=None):
    """-> (converged, sessions, reason). REASON says what is still missing (None when converged).
    GAPS: route_gaps() of the node's kernel routes, when routes are waited for too."""
    if not bird or not bird.get("running"):
        reason = "BIRD does not answer on %s" % ((bird or {}).get("socket") or "its socket")
        if bird and bird.get("reason"):
            reason += " (%s)" % bird["reason"]
        return False, [], reason
    found = sessions(bird, expected_peers)
    problems = []
    if expected_router_id and _ip(bird.get("router_id")) != _ip(expected_router_id):
        problems.append("router id is %s, expected %s" % (bird.get("router_id"), expected_router_id))
    if expected_peers is None and not found:
        problems.append("BIRD has no BGP protocols yet (pass expected_peers: [] for a node without peers)")
    pending = [s for s in found if s.get("bgp_state") != "Established"]
    if pending:
        problems.append("not Established: " + "; ".join(describe(s) for s in pending))
    if gaps:
        problems.append("routes not in the kernel yet: " + "; ".join(describe_gap(g) for g in gaps))
    return not problems, found, ("; ".join(problems) if problems else None)


def wait_for(probe, timeout, poll_interval, clock=time.time, sleep=time.sleep):
    """Call PROBE() -> (done, value) until done or TIMEOUT seconds passed (at least once).
    -> (done, value, waited_seconds)."""
    start = clock()
    while True:
        done, value = probe()
        now = clock()
        if done or now - start >= timeout:
            return done, value, now - start
        sleep(max(0.0, min(poll_interval, timeout - (now - start))))
