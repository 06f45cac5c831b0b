# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why BGP sessions are down when the addresses are right: the port, the AS, a packet filter.

Each check reads BIRD's protocols with their last errors, the active TCP 179 probe and who
listens on TCP 179 (node_facts), and the datastore's AS numbers, and names one node.
"""
from __future__ import annotations

import re
from collections import Counter

from .._pairs import AS_ERRORS, PORT_ERRORS, describe, errors_of, own_trouble, pair, readable
from . import Code, register
from ._finding import finding

BLOCKED_ERRORS = re.compile(r"Connection refused|timed out|No route to host|Network is unreachable", re.IGNORECASE)
BLOCKED_PROBES = ("refused", "timed_out", "unreachable")


def _holder_text(entry):
    return "%s (pid %s%s) on %s:%s" % (
        entry.get("program") or "a process", entry.get("pid") or "unknown",
        ": " + entry["cmdline"][:80] if entry.get("cmdline") else "", entry.get("address"), entry.get("port"))


@register("peering",
          Code("BGP_PORT_IN_USE", "error", "BIRD reports it cannot listen on TCP 179 (\"No listening socket\", "
               "\"Address in use\"): another program holds the port (`bgp_listeners` names it)",
               ("errors", "listeners", "holders", "protocols_down")))
def check_port_in_use(ctx):
    """BGP_PORT_IN_USE: BIRD has no listening socket on TCP 179."""
    for node in ctx.cluster.nodes:
        if not readable(node):
            continue
        errors = sorted({e for e in errors_of(node) if PORT_ERRORS.search(e)})
        if not errors:
            continue
        listeners = [dict(entry) for entry in (node.facts.get("bgp_listeners") or ())]
        holders = [entry for entry in listeners if not str(entry.get("program") or "").startswith("bird")]
        who = ", ".join(_holder_text(h) for h in holders) or "no other listener is seen on TCP 179"
        down = sum(1 for p in node.down.values() if PORT_ERRORS.search(p.get("last_error") or ""))
        yield finding(
            "BGP_PORT_IN_USE", node.name,
            '%s: BIRD cannot listen on TCP 179 ("%s" on %d protocols); holder: %s' % (node.name, errors[0], down, who),
            {"errors": errors, "listeners": listeners, "holders": holders, "protocols_down": down})


def cluster_as(cluster):
    """The AS number most datastore nodes have (None: the cluster's default)."""
    counts = Counter((entry or {}).get("as_number") for entry in cluster.ds_nodes.values())
    return counts.most_common(1)[0][0] if counts else None


@register("peering",
          Code("BGP_AS_MISMATCH", "error", "the node's sessions fail with \"Bad peer AS\" on every pair, or its "
               "datastore AS number (Node `spec.bgp.asNumber`) differs from the other nodes' while its sessions "
               "are down", ("as_number", "cluster_as_number", "errors", "pairs")))
def check_as_mismatch(ctx):
    """BGP_AS_MISMATCH: the node whose AS its peers do not expect."""
    cluster = ctx.cluster
    common = cluster_as(cluster)
    named = set()     # addresses some node's BIRD reports Bad peer AS for: one pass, then only those nodes
    for node in cluster.nodes:
        for addr, proto in (node.down or {}).items():
            if AS_ERRORS.search(proto.get("last_error") or ""):
                named.add(addr)
    for node in cluster.nodes:
        own_as = (node.ds or {}).get("as_number")
        differs = cluster.datastore_reachable and own_as != common
        if not (differs or named.intersection(node.addresses()) or any(AS_ERRORS.search(e) for e in errors_of(node))):
            continue
        others = [o for o in cluster.nodes if o is not node]
        down = [p for p in (pair(node, other) for other in others) if not p["up"]]
        if not down:
            continue
        bad = [p for p in down if any(AS_ERRORS.search(e["last_error"] or "") for e in p["ends"])]
        if not differs and len(bad) < len(others):
            continue   # Bad peer AS on some of its pairs only: the node at their other end is the odd one
        errors = sorted({e["last_error"] for p in bad for e in p["ends"] if AS_ERRORS.search(e["last_error"] or "")})
        yield finding(
            "BGP_AS_MISMATCH", node.name,
            "%s: its AS number is %s in the datastore while the other nodes use %s; %d of its %d sessions fail%s"
            % (node.name, own_as if own_as is not None else "the default", common if common is not None else "the default",
               len(down), len(others), ' with "%s"' % errors[0] if errors else ""),
            {"as_number": own_as, "cluster_as_number": common, "errors": errors, "pairs": [describe(p) for p in down]})


@register("peering",
          Code("PEERING_BLOCKED", "error", "every session of a node whose datastore address, router id and expected "
               "address agree is down with \"Connection refused\" or a timeout, or the TCP 179 probe is refused or "
               "times out, while its peers peer with each other", ("address", "pairs", "bird_listens", "peers")))
def check_peering_blocked(ctx):
    """PEERING_BLOCKED: TCP 179 to and from the node does not get through."""
    healthy = [node for node in ctx.cluster.nodes if node.expected and not own_trouble(node)]
    for node in healthy:
        if node.established:
            continue
        peers = [p for p in healthy if p is not node]
        if not peers:
            continue
        # the peers reach each other: the trouble is at this node, not everywhere
        if len(peers) > 1 and not any(peer.established for peer in peers):
            continue
        pairs = [pair(node, peer) for peer in peers]
        if any(p["up"] for p in pairs):
            continue
        if not all(any(BLOCKED_ERRORS.search(e["last_error"] or "") or e["probe"] in BLOCKED_PROBES
                       for e in item["ends"]) for item in pairs):
            continue
        listeners = (node.facts or {}).get("bgp_listeners") or []
        yield finding(
            "PEERING_BLOCKED", node.name,
            "%s: TCP 179 to and from %s does not get through: %s" % (node.name, node.expected,
                                                                     "; ".join(describe(p) for p in pairs)),
            {"address": node.expected, "pairs": [describe(p) for p in pairs],
             "ends": [end for p in pairs for end in p["ends"]],
             "bird_listens": any(str(e.get("program") or "").startswith("bird") for e in listeners),
             "peers": [p.name for p in peers],
             "addresses": {"expected": node.expected, "datastore": node.ds_address, "router_id": node.router_id}})
