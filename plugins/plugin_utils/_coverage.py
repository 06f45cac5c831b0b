# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route coverage: which of the other nodes' blocks each node routes right, derived once per analysis.

Blocks come from the datastore's block affinities; for a node the datastore says nothing
about, from the ``blackhole <block> proto bird`` routes the node holds for its own blocks.
A route is right when its gateway is the owner's expected address (``via <addr> dev tunl0
onlink`` with IPIP, ``via <addr> dev <nic>`` without) or, with VXLAN, the owner's VXLAN tunnel
address. On a node whose calico-node runs with CALICO_NETWORKING_BACKEND=vxlan (no BIRD), it
must be ``via <owner's VXLAN tunnel address> dev vxlan.calico onlink``, as felix programs it.
Each node is compared with one set difference over (destination, gateway) pairs.
"""
from __future__ import annotations

from ._addr import bare


class RouteCoverage:
    """Per node: routes to other nodes' blocks that are right, and the ones that are not."""

    def __init__(self):
        self.problems = []     # [{"node", "block", "owner", "expected_gateway", "state", "gateway", "dev", "type"}]
        self.ok = {}           # node name -> blocks of other nodes it routes right
        self.total = {}        # node name -> blocks of other nodes it should route (None: unknown)
        self.block_owner = {}  # block -> node name
        self._by_owner = None

    def missing_to(self, name):
        """Problems about routes towards name's blocks (indexed once)."""
        if self._by_owner is None:
            self._by_owner = {}
            for prob in self.problems:
                self._by_owner.setdefault(prob["owner"], []).append(prob)
        return self._by_owner.get(name, [])


def block_gateways(cluster):
    """Every node's blocks and how the others should route them:
    -> (owner, gateway, alternate): block -> node name, block -> the owner's expected address,
    block -> the owner's VXLAN tunnel address (only for owners that have one)."""
    owner, gateway_of, alternates = {}, {}, {}
    for node in cluster.nodes:
        gateway = node.expected or node.calico_address
        if not gateway:
            continue
        vxlan = bare((node.ds or {}).get("ipv4_vxlan_tunnel_addr"))
        for block in node.blocks or ():
            owner.setdefault(block, node.name)
            gateway_of.setdefault(block, gateway)
            if vxlan:
                alternates[block] = vxlan
    return owner, gateway_of, alternates


VXLAN_DEVICE = "vxlan.calico"


def _vxlan_route_ok(route, gateway):
    return route is not None and route.get("gateway") == gateway and route.get("dev") == VXLAN_DEVICE \
        and "onlink" in (route.get("flags") or ())


def build_coverage(cluster):
    cov = RouteCoverage()
    cov.block_owner, expected, alternates = block_gateways(cluster)
    expected_items = set(expected.items())
    # A VXLAN node routes through the owners' VXLAN tunnel addresses (an owner without one: its address).
    vxlan_expected = dict(expected, **alternates)
    for node in cluster.nodes:
        if node.route is None:
            cov.total[node.name] = None
            cov.ok[node.name] = None
            continue
        own = set(node.blocks or ())
        total = len(expected) - sum(1 for b in own if b in expected)
        ok = total
        vxlan = node.backend == "vxlan"
        wanted = set(vxlan_expected.items()) if vxlan else expected_items
        for block, gateway in sorted(wanted.difference(node.route.gateway.items() if not vxlan else ())):
            if block in own:
                continue
            route = node.route.find(block)
            if vxlan and _vxlan_route_ok(route, gateway):
                continue
            if not vxlan and route is not None and route.get("gateway") == alternates.get(block):
                continue
            if route is None:
                # a blackhole for another node's block is a wrong route, not a missing one
                route = node.route.find(block, "blackhole")
            ok -= 1
            route = route or {}
            cov.problems.append({
                "node": node.name, "block": block, "owner": cov.block_owner[block], "expected_gateway": gateway,
                "state": "wrong_gateway" if route else "missing", "gateway": route.get("gateway"),
                "dev": route.get("dev"), "type": route.get("type"), "protocol": route.get("protocol"),
                "expected_dev": VXLAN_DEVICE if vxlan else None})
        cov.ok[node.name] = ok
        cov.total[node.name] = total
    return cov
