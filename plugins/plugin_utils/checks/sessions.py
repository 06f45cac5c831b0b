# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is every directed Mesh_ session Established? Read from the session matrix (_matrix.py)."""
from __future__ import annotations

from .._matrix import ESTABLISHED, reads_bird
from . import Code, register
from ._finding import finding


@register("sessions",
          Code("MESH_DISABLED", "info", "BIRD answers but no node has any `Mesh_` protocol (node-to-node mesh off: "
               "route reflectors or explicit peers); the session checks are skipped; node `null`", ("node_count",)))
def check_mesh_enabled(ctx):
    """MESH_DISABLED: no node has a Mesh_ protocol; the session checks do not apply."""
    cluster, matrix = ctx.cluster, ctx.matrix
    if matrix.reason != "mesh_off":
        return []
    return [finding(
        "MESH_DISABLED", None,
        "no node has a Mesh_ BGP protocol: the node-to-node mesh is off (route reflectors or explicit peers?); "
        "the session checks were skipped", {"node_count": len(cluster.nodes)})]


def _reverse_established(cluster, matrix, cell):
    """True/False/None (unknown): is the other end (to -> from) Established?"""
    dst = cluster.by_name[cell["to"]]
    if not reads_bird(dst):
        return None
    src = cluster.by_name[cell["from"]]
    return any(addr in dst.established for addr in src.addresses()) or \
        (matrix.target.get(src.name) in dst.established)


@register("sessions",
          Code("SESSION_DOWN", "error", "A's `Mesh_` protocol for B is not Established, nor is B's for A",
               ("from", "to", "state", "peer_address", "expected_address", "protocol", "last_error", "peer_node")),
          Code("SESSION_ASYMMETRIC", "error", "A's `Mesh_` protocol for B is not Established while B's for A is",
               ("from", "to", "state", "peer_address", "expected_address", "protocol", "last_error", "peer_node",
                "reverse_established")),
          Code("SESSION_MISSING", "error", "A has no `Mesh_` protocol for B at any of B's addresses",
               ("from", "to", "expected_address", "peer_node")))
def check_sessions(ctx):
    """SESSION_DOWN / SESSION_ASYMMETRIC / SESSION_MISSING, one per directed cell that is not Established."""
    cluster, matrix = ctx.cluster, ctx.matrix
    for cell in matrix.cells:
        if cell["state"] == "unknown":
            continue
        src, dst = cell["from"], cell["to"]
        reverse = _reverse_established(cluster, matrix, cell)
        evidence = dict(cell)
        evidence["peer_node"] = dst
        evidence["reverse_established"] = reverse
        expected = cell["expected_address"]
        if cell["state"] == "missing":
            yield finding(
                "SESSION_MISSING", src,
                "%s: BIRD has no Mesh_ protocol for %s (%s)" % (src, dst, expected), evidence)
            continue
        where = cell["peer_address"]
        if where != expected:
            where = "%s, not %s's address %s" % (where, dst, expected)
        detail = cell["state"] + (": " + cell["last_error"] if cell["last_error"] else "")
        if reverse:
            yield finding(
                "SESSION_ASYMMETRIC", src,
                "%s: session %s to %s (%s) is %s while %s's end is Established"
                % (src, cell["protocol"], dst, where, detail, dst), evidence)
        else:
            yield finding(
                "SESSION_DOWN", src,
                "%s: session %s to %s (%s) is %s" % (src, cell["protocol"], dst, where, detail), evidence)


@register("sessions",
          Code("SESSION_TO_UNKNOWN_PEER", "error", "a `Mesh_` protocol peers with an address that is no node's address "
               "to peer on (e.g. a broken node's 172.19.0.1)", ("peer_address", "protocol", "bgp_state",
                                                                "calico_address_of")))
def check_unknown_peers(ctx):
    """SESSION_TO_UNKNOWN_PEER: a Mesh_ protocol whose peer address is no node's address to peer on."""
    cluster, matrix = ctx.cluster, ctx.matrix
    valid = {addr for addr in matrix.target.values() if addr}
    play = set(cluster.by_name)
    for address, owner in cluster.known_addresses.items():
        if owner not in play:          # datastore-only nodes: peering with them is fine
            valid.add(address)
    for node in cluster.nodes:
        if not reads_bird(node):
            continue
        strays = node.established.difference(valid)
        strays.update(a for a in node.down if a not in valid)
        for addr in sorted(strays):
            proto = node.down.get(addr) or {"name": None, "bgp_state": ESTABLISHED, "last_error": None}
            owner = cluster.known_addresses.get(addr)
            if owner == node.name:
                owner = None
            known = (" (%s's Calico address)" % owner) if owner else ""
            yield finding(
                "SESSION_TO_UNKNOWN_PEER", node.name,
                "%s: BIRD peers with %s%s, which is no node's address to peer on; the session is %s"
                % (node.name, addr, known, proto.get("bgp_state") or proto.get("state")),
                {"peer_address": addr, "protocol": proto.get("name"), "bgp_state": proto.get("bgp_state"),
                 "last_error": proto.get("last_error"), "calico_address_of": owner, "peer_node": owner})
