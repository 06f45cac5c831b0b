# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The N x (N-1) matrix of directed Mesh_ sessions, derived from the model once per analysis.

A cell A->B is A's BIRD protocol for peer B: looked up by B's expected address first, then by
any other address B is known by (a node whose Calico address is wrong is still peered with,
at the wrong address). Cell states: ``Established``, any other BGP state BIRD reports,
``missing`` (A has no Mesh_ protocol for B) or ``unknown`` (A's BIRD could not be read).

Only cells that are not Established are materialised: a healthy node costs one set difference
(its expected peers minus its Established peers), so 1000 nodes stay well under a second.
"""
from __future__ import annotations

from ._model import NO_BGP

ESTABLISHED = "Established"


class Matrix:
    """Directed session states; only the cells that are not Established are stored."""

    def __init__(self):
        self.cells = []        # [{"from", "to", "state", "peer_address", "expected_address", "protocol", ...}]
        self.up = {}           # node name -> its Established cells (from its side)
        self.known = {}        # node name -> its cells with a known state
        self.unknown_sources = []   # nodes whose BIRD could not be read
        self.total_cells = 0
        self.target = {}       # node name -> the address its peers should use
        self._by_node = None
        self.skipped = False   # no matrix: the node-to-node mesh is off, or no node runs BIRD
        self.reason = None     # why it was skipped: "mesh_off" or "vxlan" (no node uses BGP)

    def state_index(self):
        """{(from, to): state} for the cells that are not Established (for drawings)."""
        return {(c["from"], c["to"]): c["state"] for c in self.cells}

    def involving(self, name):
        """Cells not Established with name at either end (built once, then a dict lookup)."""
        if self._by_node is None:
            self._by_node = {}
            for cell in self.cells:
                self._by_node.setdefault(cell["from"], []).append(cell)
                self._by_node.setdefault(cell["to"], []).append(cell)
        return self._by_node.get(name, [])


def reads_bird(node):
    """True when the node's BIRD was read (its Mesh_ sessions are known)."""
    return node.facts is not None and node.bird_running and node.established is not None


def _cell(src, dst, proto, addr, expected):
    state = (proto.get("bgp_state") or proto.get("state") or "unknown") if proto else "missing"
    return {
        "from": src.name, "to": dst.name, "state": state, "peer_address": addr if proto else None,
        "expected_address": expected,
        "protocol": proto.get("name") if proto else None,
        "info": proto.get("info") if proto else None,
        "last_error": proto.get("last_error") if proto else None,
        "since": proto.get("since") if proto else None,
    }


def mesh_is_off(cluster, nodes=None):
    """True when BIRD answers somewhere but no node has any Mesh_ protocol (mesh disabled)."""
    nodes = cluster.nodes if nodes is None else nodes
    readers = [node for node in nodes if reads_bird(node)]
    return len(nodes) > 1 and bool(readers) and not any(node.mesh_count for node in readers)


def bgp_nodes(cluster):
    """The nodes that peer with BGP: all but those whose calico-node runs without BIRD
    (CALICO_NETWORKING_BACKEND vxlan or none); nodes without facts count as BGP nodes."""
    return [node for node in cluster.nodes if node.backend not in NO_BGP]


def build_matrix(cluster):
    matrix = Matrix()
    nodes = bgp_nodes(cluster)
    n = len(nodes)
    without = [node for node in cluster.nodes if node.backend in NO_BGP]
    reason = None
    if without and not any(node.facts is not None for node in nodes):
        reason = "vxlan"
    elif mesh_is_off(cluster, nodes):
        reason = "mesh_off"
    if reason:
        matrix.skipped, matrix.reason = True, reason
        for node in cluster.nodes:
            matrix.up[node.name], matrix.known[node.name] = 0, 0
        return matrix
    for node in without:
        matrix.up[node.name], matrix.known[node.name] = 0, 0
    matrix.total_cells = n * (n - 1)
    target = {node.name: node.expected or node.calico_address for node in nodes}
    matrix.target = target
    owner = {}
    for node in nodes:
        if target[node.name]:
            owner.setdefault(target[node.name], node)
    all_targets = set(owner)
    no_address = [node for node in nodes if not target[node.name]]

    for src in nodes:
        if not reads_bird(src):
            matrix.unknown_sources.append(src.name)
            matrix.up[src.name], matrix.known[src.name] = 0, 0
            for dst in nodes:
                if dst is not src:
                    matrix.cells.append(_cell(src, dst, None, None, target[dst.name]) | {"state": "unknown"})
            continue
        own = target[src.name]
        missing = all_targets.difference(src.established)
        missing.discard(own)
        up = len(all_targets) - (1 if own in all_targets else 0) - len(missing)
        for addr in sorted(missing):
            dst = owner[addr]
            proto = src.down.get(addr)
            used = addr
            if proto is None:
                for alt in dst.addresses():
                    if alt == addr:
                        continue
                    if alt in src.established:       # peered, but at another of dst's addresses
                        proto = {"name": None, "bgp_state": ESTABLISHED}
                        break
                    if alt in src.down:
                        proto, used = src.down[alt], alt
                        break
            if proto is not None and proto.get("bgp_state") == ESTABLISHED:
                up += 1
                continue
            matrix.cells.append(_cell(src, dst, proto, used, addr))
        for dst in no_address:
            if dst is not src:
                matrix.cells.append(_cell(src, dst, None, None, None) | {"state": "unknown"})
        matrix.up[src.name] = up
        matrix.known[src.name] = n - 1 - len(no_address) + (1 if src in no_address else 0)
    return matrix
