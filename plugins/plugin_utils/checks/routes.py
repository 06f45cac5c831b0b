# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does every node route every other node's blocks via that node? Read from the route coverage
(_coverage.py, which says how a route is judged). One check per function."""
from __future__ import annotations

from . import Code, register
from ._finding import finding


@register("routes",
          Code("ROUTE_MISSING", "error", "A has no route to a block of B (with VXLAN: `via <B's VXLAN tunnel address> dev "
               "vxlan.calico onlink`)",
               ("block", "owner", "expected_gateway", "peer_node")),
          Code("ROUTE_WRONG_GATEWAY", "error", "A's route to B's block has another gateway (or is a blackhole)",
               ("block", "owner", "expected_gateway", "gateway", "dev", "type", "peer_node")))
def check_routes(ctx):
    """ROUTE_MISSING / ROUTE_WRONG_GATEWAY: one per node and other node's block."""
    coverage = ctx.coverage
    for prob in coverage.problems:
        evidence = dict(prob)
        evidence["peer_node"] = prob["owner"]
        if prob["state"] == "missing":
            yield finding(
                "ROUTE_MISSING", prob["node"],
                "%s: no route to %s's block %s (expected via %s)"
                % (prob["node"], prob["owner"], prob["block"], _expected(prob)), evidence)
        else:
            via = ("a %s route" % prob["type"]) if prob["type"] != "unicast" else "via %s" % prob["gateway"]
            yield finding(
                "ROUTE_WRONG_GATEWAY", prob["node"],
                "%s: route to %s's block %s goes %s%s, not via %s"
                % (prob["node"], prob["owner"], prob["block"], via,
                   (" dev %s" % prob["dev"]) if prob["dev"] else "", _expected(prob)), evidence)


def _expected(prob):
    """'192.168.1.188', or with VXLAN '172.16.2.0 dev vxlan.calico onlink'."""
    if prob.get("expected_dev"):
        return "%s dev %s onlink" % (prob["expected_gateway"], prob["expected_dev"])
    return prob["expected_gateway"]


@register("routes",
          Code("BLACKHOLE_MISSING", "warning", "a node lacks the `blackhole <block> proto bird` route BIRD installs for "
               "each of its own datastore blocks", ("block", "route")))
def check_blackholes(ctx):
    """BLACKHOLE_MISSING: a node does not hold the blackhole route BIRD installs for each of its own blocks."""
    for node in ctx.cluster.nodes:
        if node.route is None or node.blocks_source != "datastore" or node.calico_running is False:
            continue
        for block in node.blocks:
            if node.route.find(block, "blackhole") is not None:
                continue
            yield finding(
                "BLACKHOLE_MISSING", node.name,
                "%s: no blackhole route for its own block %s (BIRD installs one for every block of the node)"
                % (node.name, block),
                {"block": block, "route": node.route.find(block)})
