# -*- coding: utf-8 -*-
"""The fast indexes give exactly what the reference loops give, on every shape of data."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._index import (
    RouteIndex, index_routes, index_sessions, routes_reference, sessions_reference)

from synthetic import make_cluster


def _facts():
    hv, dummy = make_cluster(6, broken=("node-2",))
    return copy.deepcopy(hv["node-3"]["meshdoctor"]), copy.deepcopy(hv["node-2"]["meshdoctor"])


def _protocol_variants():
    healthy, broken = _facts()
    base = healthy["bird"]["ipv4"]["protocols"]
    yield "healthy-with-one-down", base
    yield "broken", broken["bird"]["ipv4"]["protocols"]
    yield "empty", []
    global_peer = copy.deepcopy(base) + [dict(base[-1], name="Global_10_1_1_1", peer_address="10.1.1.1",
                                              peer_type="global")]
    yield "global peer", global_peer
    dup = copy.deepcopy(base) + [dict(base[-1], bgp_state="Active", state="start", info="Active")]
    yield "duplicate peer", dup
    no_state = copy.deepcopy(base)
    no_state[-1].update(bgp_state=None, state="down", info="")
    yield "mesh without BGP state", no_state
    missing_key = copy.deepcopy(base)
    del missing_key[-1]["peer_type"]
    yield "missing key", missing_key


@pytest.mark.parametrize("label,protocols", list(_protocol_variants()))
def test_sessions_fast_equals_reference(label, protocols):
    assert index_sessions(protocols) == sessions_reference(protocols), label


def _route_variants():
    healthy, broken = _facts()
    yield "healthy", healthy["routes"]
    yield "broken", broken["routes"]
    dup = copy.deepcopy(healthy["routes"])
    dup.append(dict(dup[-2], type="unreachable", gateway=None))
    yield "duplicate dst", dup
    missing = copy.deepcopy(healthy["routes"])
    del missing[0]["gateway"]
    yield "missing key", missing


@pytest.mark.parametrize("label,routes", list(_route_variants()))
def test_routes_fast_agrees_with_reference(label, routes):
    fast, ref = index_routes(routes), routes_reference(routes)
    unicast = {r.get("dst") for r in routes if r.get("type") == "unicast"}
    # the fast map may also hold non-unicast destinations (gateway None); unicast ones must agree
    assert {d: g for d, g in fast.gateway.items() if d in unicast} == ref.gateway, label
    for dst in {r.get("dst") for r in routes}:
        for kind in ("unicast", "blackhole"):
            assert fast.find(dst, kind) is ref.find(dst, kind)


def test_find_switches_to_an_index_after_many_lookups():
    routes = [{"dst": "10.%d.0.0/24" % i, "gateway": "10.0.0.%d" % i, "type": "unicast"} for i in range(50)]
    index = index_routes(routes)
    for i in range(RouteIndex.SCAN_LOOKUPS + 5):
        assert index.find("10.%d.0.0/24" % i) is routes[i]
    assert index.find("10.99.0.0/24") is None
