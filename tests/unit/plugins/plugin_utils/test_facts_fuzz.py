# -*- coding: utf-8 -*-
"""Issue 11 item 8: one node's broken facts never break the diagnosis of the others.

A shape fuzz over 4-node clusters (the seed outage of tests/unit/fixtures/clusters and
synthetic clusters of tests/unit/support/synthetic.py): hypothesis breaks one node's
``meshdoctor`` facts anywhere - a value of another type, a missing key, junk appended to a
list, the whole facts replaced - and runs mesh_check's analysis (run_analysis: model, checks,
root causes, plan, text summary). It must never raise. When the facts break the contract of
docs/facts-schema.md, the broken node gets COLLECTION_FAILED naming the field, and every other
node is analysed exactly as when node_facts failed on the broken one.

10,000 examples (MESHDOCTOR_FUZZ_EXAMPLES to change it): about 25-35 s on the shared 2-core machine.
"""
from __future__ import annotations

import copy
import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._facts_contract import contract_problem

import synthetic
from conftest import load_cluster

EXAMPLES = int(os.environ.get("MESHDOCTOR_FUZZ_EXAMPLES", "10000"))


def _synthetic(**kwargs):
    hostvars, datastore = synthetic.make_cluster(4, **kwargs)
    hosts = sorted(hostvars)
    # Each host gets its own copy: the generator shares dicts between nodes.
    return {"hosts": hosts, "hostvars": copy.deepcopy(hostvars), "datastore": datastore, "results": {}}


CLUSTERS = {
    "seed_outage": load_cluster("seed_outage.json"),
    "seed_healthy_bridge": load_cluster("seed_healthy_bridge.json"),
    "synthetic_broken": _synthetic(broken=("node-2",), stray_bridge=("node-3",)),
    "synthetic_down": _synthetic(broken=(), calico_down=("node-4",)),
}


def _args(cluster, results):
    return {"hosts": cluster["hosts"], "datastore": cluster["datastore"], "results": results, "formats": [],
            "report_dir": None, "fail_on": "never"}


def _paths(value, path=()):
    """Every (path, value) inside VALUE, containers included."""
    out = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, path + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, path + (index,)))
    return out


PATHS = {name: {host: _paths(c["hostvars"][host]["meshdoctor"]) for host in c["hosts"]} for name, c in CLUSTERS.items()}

JUNK_TEXT = ["", "x", "10.0.0.1", "10.0.0.1/33", "br-\x1b[31m", "\x00", "eth0\x0bX=1", "many", "Mesh_10_0_0_1", "::1",
             "999.1.1.1", "a" * 300, "\udcff", "fe80::1/64", "0.0.0.0/0", "Established", "up", "bridge"]
JUNK_SCALARS = [None, True, False, 0, -1, 1, 2 ** 70, -2 ** 70, 1.5, -0.0, math.nan, math.inf, -math.inf] + JUNK_TEXT
# Values of every JSON shape, drawn from a pool (cheap to draw; 10,000 examples must stay fast),
# plus hypothesis' own integers and text for variety.
JUNK_POOL = JUNK_SCALARS + [[], [None], ["x"], [1, 2], [{}], [[]], [{"name": 5}], {}, {"name": None}, {"address": "x"},
                            {"ipv4": "10.0.0.1"}, {"protocols": {}}, {"running": "yes"}, {"": []}, {"1": {"2": [3]}},
                            [{"bgp_state": 5, "peer_address": "x"}], [{"dst": None, "gateway": []}]]
JUNK = st.sampled_from(JUNK_POOL) | st.integers() | st.text(max_size=6) \
    | st.lists(st.sampled_from(JUNK_SCALARS), max_size=3)
EXAMPLE = st.tuples(st.sampled_from(sorted(CLUSTERS)), st.integers(0, 3), st.integers(0, 1 << 20),
                    st.sampled_from(["replace", "replace", "delete", "append"]), JUNK)


def _copy(value):
    return dict(value) if isinstance(value, dict) else list(value)


def _mutate(facts, path, operation, junk):
    """A copy of FACTS broken at PATH by OPERATION. Only the containers on PATH are copied: the
    analysis never changes the facts it reads, so the rest is shared with the cluster."""
    if not path:
        return junk
    root = parent = _copy(facts)
    for step in path[:-1]:
        parent[step] = _copy(parent[step])
        parent = parent[step]
    last = path[-1]
    if operation == "delete" and isinstance(parent, dict):
        del parent[last]
    elif operation == "append" and isinstance(parent[last], list):
        parent[last] = parent[last] + [junk]
    else:
        parent[last] = junk
    return root


REFERENCE = {}


def reference(name, host):
    """The analysis when node_facts failed on HOST: what the other nodes must get."""
    key = (name, host)
    if key not in REFERENCE:
        cluster = CLUSTERS[name]
        results = dict(cluster["results"], **{host: {"failed": True, "msg": "broken"}})
        REFERENCE[key] = run_analysis(_args(cluster, results), cluster["hostvars"])
    return REFERENCE[key]


def _others(result, broken_node):
    return [{k: v for k, v in f.items() if k not in ("id", "root_cause")}
            for f in result["findings"] if f["node"] != broken_node]


def _node_of(result, host):
    return [row["name"] for row in result["nodes"] if row["host"] == host][0]


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(example=EXAMPLE)
def test_broken_facts_of_one_node_never_break_the_others(example):
    name, host_index, path_index, operation, junk = example
    cluster = CLUSTERS[name]
    host = cluster["hosts"][host_index % len(cluster["hosts"])]
    path = PATHS[name][host][path_index % len(PATHS[name][host])][0]

    facts = _mutate(cluster["hostvars"][host]["meshdoctor"], path, operation, junk)
    hostvars = dict(cluster["hostvars"], **{host: dict(cluster["hostvars"][host], meshdoctor=facts)})
    result = run_analysis(_args(cluster, cluster["results"]), hostvars)          # never raises
    json.dumps(result)                                                           # and is plain data

    problem = contract_problem(facts) if facts else None
    if problem is None:
        return
    ref = reference(name, host)
    node = _node_of(ref, host)
    assert _node_of(result, host) == node
    mine = [f for f in result["findings"] if f["node"] == node]
    assert [f["code"] for f in mine] == [f["code"] for f in ref["findings"] if f["node"] == node]
    failed = [f for f in mine if f["code"] == "COLLECTION_FAILED"]
    assert len(failed) == 1 and problem in failed[0]["message"], (problem, failed)
    assert _others(result, node) == _others(ref, node)
    assert [r for r in result["nodes"] if r["host"] != host] == [r for r in ref["nodes"] if r["host"] != host]


@pytest.mark.parametrize("broken,field", [
    ({"interfaces": ["eth0"]}, "interfaces[0]: expected an object, got str"),
    ({"bird": {"ipv4": {"running": True, "protocols": [{"bgp_state": 5}]}}}, "bird.ipv4.protocols[0].bgp_state"),
    ({"docker": {"bridges": [{"name": "br-x", "container_count": "many"}]}}, "docker.bridges[0].container_count"),
    ("x", "the facts: expected an object, got str"),
    ({"routes": [{"dst": "10.0.0.0/24", "metric": math.nan}]}, "routes[0].metric"),
    ({"calico_node": {"detected_address": "br-cddff8a3b81c"}}, "calico_node.detected_address"),
])
def test_issue_examples_give_collection_failed_naming_the_field(seed_outage, broken, field):
    facts = copy.deepcopy(seed_outage["hostvars"]["hp"]["meshdoctor"])
    if isinstance(broken, dict):
        facts.update(broken)
    else:
        facts = broken
    hostvars = dict(seed_outage["hostvars"], hp=dict(seed_outage["hostvars"]["hp"], meshdoctor=facts))
    result = run_analysis(_args(seed_outage, {}), hostvars)
    failed = [f for f in result["findings"] if f["node"] == "hp" and f["code"] == "COLLECTION_FAILED"]
    assert len(failed) == 1 and field in failed[0]["message"], result["findings"]
    assert "docs/facts-schema.md" in failed[0]["message"]
