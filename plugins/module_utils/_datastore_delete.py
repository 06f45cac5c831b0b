# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Deleting a stale Calico node from the datastore, through the path the datastore is read by.

A plan first (what exists: the Node, its block affinities, its empty blocks), then the
deletes. etcdv3: the JSON gateway's `kv/range` and `kv/deleterange`, at Calico's key layout
(the Node resource, `/calico/ipam/v2/host/<node>/...` affinities, and each affine block that
holds no address: what `calicoctl delete node` releases). Kubernetes: the Kubernetes Node
(Calico's node there) and its `blockaffinities.crd.projectcalico.org` (kube-controllers
releases the blocks). Blocks that still hold addresses are kept and named.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, loads_or_none, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import (
    AFFINITY_PREFIX,
    EtcdGateway as ReadGateway,
    NODES_PREFIX,
    parse_affinity_key,
    parse_etcd_node,
    parse_range_response,
    range_request,
)

BLOCK_PREFIX = "/calico/ipam/v2/assignment/ipv4/block/"
AFFINITIES = "blockaffinities.crd.projectcalico.org"


def empty_plan(name):
    return {"node": name, "exists": False, "ipv4_address": None, "blocks": [], "keys": [],
            "blocks_kept": [], "affinities": []}


# ------------------------------------------------------------------------- etcd
class EtcdGateway(ReadGateway):
    """The read gateway, plus the single-key reads and the deletes a removal needs."""

    def get(self, key):
        body = {"key": base64.b64encode(to_text(key).encode("utf-8")).decode("ascii")}
        return dict(parse_range_response(self.post("/kv/range", body))).get(key)

    def delete(self, key, prefix=False):
        body = range_request(key) if prefix else {"key": base64.b64encode(to_text(key).encode("utf-8")).decode("ascii")}
        return int(self.post("/kv/deleterange", body).get("deleted") or 0)


def block_is_empty(value):
    """A Calico IPAM block (JSON) holds no address: every allocation is null."""
    block = as_dict(loads_or_none(value))
    return not any(a is not None for a in as_list(block.get("allocations")))


def etcd_plan(gateway, name):
    plan = empty_plan(name)
    node_key = NODES_PREFIX + name
    value = gateway.get(node_key)
    if value is not None:
        plan["exists"] = True
        plan["ipv4_address"] = parse_etcd_node(value)["ipv4_address"]
        plan["keys"].append(node_key)
    affinity_prefix = AFFINITY_PREFIX + name + "/"
    for key, _value in gateway.range(affinity_prefix):
        node, cidr = parse_affinity_key(key)
        if node != name or not cidr:
            continue
        plan["exists"] = True
        plan["keys"].append(key)
        plan["affinities"].append(cidr)
        block_key = BLOCK_PREFIX + cidr.replace("/", "-")
        block = gateway.get(block_key)
        if block is None:
            continue
        if as_dict(loads_or_none(block)).get("affinity") not in ("host:" + name, None):
            continue
        if block_is_empty(block):
            plan["keys"].append(block_key)
            plan["blocks"].append(cidr)
        else:
            plan["blocks_kept"].append(cidr)
    plan["blocks"].sort()
    plan["affinities"].sort()
    return plan


def etcd_apply(gateway, plan):
    """Delete the plan's keys; -> number of keys etcd deleted."""
    return sum(gateway.delete(key) for key in plan["keys"])


# ------------------------------------------------------------------------- Kubernetes
def kubernetes_plan(kubectl, name):
    """KUBECTL: a _kubectl.Kubectl. The Kubernetes Node and the block affinities naming it."""
    plan = empty_plan(name)
    nodes = as_list(as_dict(loads_or_none(kubectl.run(["get", "nodes", "-o", "json"]))).get("items"))
    for item in nodes:
        meta = as_dict(as_dict(item).get("metadata"))
        if meta.get("name") == name:
            plan["exists"] = True
            plan["ipv4_address"] = as_dict(meta.get("annotations")).get("projectcalico.org/IPv4Address")
            plan["keys"].append("node/" + name)
    items = as_list(as_dict(loads_or_none(kubectl.run(["get", AFFINITIES, "-o", "json"]))).get("items"))
    for item in items:
        spec = as_dict(as_dict(item).get("spec"))
        if spec.get("node") == name and spec.get("cidr"):
            plan["exists"] = True
            plan["affinities"].append(to_text(spec["cidr"]))
            plan["keys"].append("%s/%s" % (AFFINITIES, as_dict(item.get("metadata")).get("name")))
    plan["affinities"].sort()
    plan["blocks"] = list(plan["affinities"])
    return plan


def kubernetes_apply(kubectl, plan):
    names = [k.split("/", 1)[1] for k in plan["keys"] if k.startswith(AFFINITIES + "/")]
    if names:
        kubectl.run(["delete", AFFINITIES, "--ignore-not-found"] + names)
    if "node/" + plan["node"] in plan["keys"]:
        kubectl.run(["delete", "node", plan["node"], "--ignore-not-found"])
    return len(plan["keys"])
