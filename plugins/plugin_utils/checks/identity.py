# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Calico node a host is: a host that now calls itself by another name, and hosts that
claim one Calico node (plugin_utils/_identity.py settles identity by inventory name and
hostname together, never by the hostname alone)."""
from __future__ import annotations

from .._addr import bare
from . import Code, register
from ._finding import finding


@register("calico_node",
          Code("NODE_NAME_CONFLICT", "error", "calico-node stops at start-up because another Calico node holds this "
               "host's address (its log: \"Calico node 'X' is already using the IPv4 address A\"): it now runs under "
               "another node name, e.g. after a host name change; or two hosts claim one Calico node (a host "
               "reports the hostname of another host's Calico node), and neither takes the other's datastore entry",
               ("calico_node_name", "hostname", "conflicting_node", "address")))
def check_name_conflict(ctx):
    """NODE_NAME_CONFLICT: calico-node runs under a new name and finds its address taken; or
    two hosts claim one Calico node (the model's name_conflicts)."""
    cluster = ctx.cluster
    by_host = {node.host: node for node in cluster.nodes}
    for conflict in cluster.name_conflicts:
        node = by_host[conflict["host"]]
        claimed = conflict["calico_node"]
        yield finding(
            "NODE_NAME_CONFLICT", node.name, "%s: host %s %s" % (node.name, node.host, conflict["why"]),
            {"kind": "claim", "calico_node_name": conflict["hostname"], "hostname": conflict["hostname"],
             "conflicting_node": claimed, "address": bare((cluster.ds_nodes.get(claimed) or {}).get("ipv4_address")),
             "host": node.host, "hosts": conflict["hosts"]})
    for node in cluster.nodes:
        reason = (node.calico or {}).get("exit_reason") or {}
        conflict = reason.get("conflict") or {}
        if reason.get("kind") != "address_conflict" or not conflict.get("node"):
            continue
        hostname = (node.facts or {}).get("hostname")
        running_as = reason.get("node_name") or hostname
        if running_as == conflict["node"]:
            continue
        holder = cluster.ds_nodes.get(conflict["node"])
        yield finding(
            "NODE_NAME_CONFLICT", node.name,
            "%s: calico-node starts as Calico node %s (host name %s) and stops, because Calico node %s already "
            "holds its address %s" % (node.name, running_as, hostname, conflict["node"], conflict.get("address")),
            {"calico_node_name": running_as, "hostname": hostname, "conflicting_node": conflict["node"],
             "address": conflict.get("address"), "conflicting_node_address": bare((holder or {}).get("ipv4_address")),
             "log_line": reason.get("line")})
