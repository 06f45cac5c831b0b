# -*- coding: utf-8 -*-
"""A 1000-node cluster is analysed completely (speed is the benchmark's business, not this test's)."""
from __future__ import annotations

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse

from synthetic import make_cluster


def test_thousand_nodes_one_broken():
    hostvars, datastore = make_cluster(1000)
    analysis = analyse(list(hostvars), hostvars, datastore=datastore)
    s = analysis.summary
    assert s["nodes"] == 1000 and s["sessions_total"] == 999000
    assert s["sessions_established"] == 999000 - 2 * 999
    assert s["routes_total"] == 999000 and s["routes_ok"] == 999000 - 2 * 999
    (cause,) = analysis.root_causes
    assert cause["node"] == "node-1" and cause["sessions_down"] == 1998 and len(cause["nodes_without_route"]) == 999
    assert cause["message"].startswith("node-1: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c "
                                       "(docker network proj0_default) instead of 10.0.0.2 on eth0; "
                                       "1998 of 999000 BGP sessions are down and 999 nodes have no route to ")
