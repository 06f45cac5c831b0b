# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Judging whether a node's BGP mesh has converged after calico-node was cycled, and the
waiting loop around it (standard library only).

`sessions` and `judge` take a BirdInfo dict (see docs/facts-schema.md) and return plain data;
`wait_for` takes the probe, clock and sleep as arguments so that it is tested without time
passing.
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


def judge(bird, expected_peers=None, expected_router_id=None):
    """-> (converged, sessions, reason). REASON says what is still missing (None when converged)."""
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
