# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a BGP session is down when the addresses are right: the mesh failures of issue 13.

Each check reads what node_facts collected (BIRD's protocols with their last errors, the
active TCP 179 probe, who listens on TCP 179, calico-node's exit reason, interface MTUs) and
the datastore, and names one node per finding:

- BGP_PORT_IN_USE: the node's BIRD cannot listen on TCP 179 ("No listening socket");
- BGP_AS_MISMATCH: the node's sessions fail with "Bad peer AS", or its datastore AS number
  differs from the others' while its sessions are down;
- PEERING_BLOCKED: every session of a node whose addresses all agree is down with
  "Connection refused" or a timeout, or the probe is refused or times out, while the other
  nodes peer with each other;
- STALE_CALICO_NODE: a datastore node that no host of the play is, and every session to it
  is down;
- NODE_NAME_CONFLICT: calico-node stops because another Calico node holds its address (the
  host now has another name);
- MTU_MISMATCH: the node's NIC MTU is below its peers', or a Calico interface's MTU does not
  fit in the NIC's.
"""
from __future__ import annotations

import re
from collections import Counter

from ._addr import bare
from ._findings import finding
from ._index import ESTABLISHED

BLOCKED_ERRORS = re.compile(r"Connection refused|timed out|No route to host|Network is unreachable", re.IGNORECASE)
PORT_ERRORS = re.compile(r"No listening socket|Address (already )?in use", re.IGNORECASE)
AS_ERRORS = re.compile(r"Bad peer AS", re.IGNORECASE)
BLOCKED_PROBES = ("refused", "timed_out", "unreachable")
TUNNEL_OVERHEAD = {"ipip": 20, "vxlan": 50, "wireguard": 60}
CALICO_IFACES = re.compile(r"^(tunl0|vxlan\.calico|vxlan-v6\.calico|wireguard\.cali|wg-v6\.cali|cali[0-9a-f]+)$")


# ------------------------------------------------------------------------------ pair evidence
def probe_result(node, address):
    """What NODE's probe of ADDRESS on TCP 179 gave: connected/refused/timed_out/... or None."""
    peers = ((node.facts or {}).get("probe") or {}).get("peers") or {}
    entry = peers.get(address) if address else None
    return entry.get("result") if isinstance(entry, dict) else None


def side(src, dst):
    """SRC's view of its session to DST: {node, state, last_error, probe, address, peer_address}."""
    view = {"node": src.name, "address": src.expected or src.calico_address, "state": "unknown",
            "last_error": None, "probe": None, "peer_address": None}
    if src.facts is None or not src.bird_running or src.established is None:
        return view
    for addr in dst.addresses():
        if addr in src.established:
            view.update(state=ESTABLISHED, peer_address=addr, probe=probe_result(src, addr))
            return view
        proto = src.down.get(addr)
        if proto is not None:
            view.update(state=proto.get("bgp_state") or proto.get("state") or "unknown",
                        last_error=proto.get("last_error"), peer_address=addr, probe=probe_result(src, addr))
            return view
    target = dst.expected or dst.calico_address
    view.update(state="missing", probe=probe_result(src, target), peer_address=target)
    return view


def pair(a, b):
    """Both ends of the A-B session; 'up' when both are Established."""
    one, two = side(a, b), side(b, a)
    return {"nodes": [a.name, b.name], "ends": [one, two],
            "up": one["state"] == ESTABLISHED and two["state"] == ESTABLISHED}


def describe_end(end):
    """'hp (192.168.1.172) sees Active, last error "Socket: Connection refused", probe refused'."""
    text = "%s (%s) sees %s" % (end["node"], end["address"] or "no address", end["state"])
    if end["last_error"]:
        text += ', last error "%s"' % end["last_error"]
    if end["probe"]:
        text += ", probe %s" % end["probe"].replace("_", " ")
    return text


def describe_pair(item):
    return "%s-%s: %s; %s" % (item["nodes"][0], item["nodes"][1], describe_end(item["ends"][0]),
                              describe_end(item["ends"][1]))


def _errors(node):
    return [p.get("last_error") or "" for p in (node.down or {}).values()]


def _readable(node):
    return node.facts is not None and node.bird_running and node.established is not None


def _suspect(node):
    """A node with a visible trouble of its own (its sessions say nothing about its peers)."""
    if node.facts is None or node.calico_running is False or not node.bird_running:
        return True
    if node.expected and node.ds_address and node.ds_address != node.expected:
        return True
    if node.expected and node.router_id_is_address and node.router_id and node.router_id != node.expected:
        return True
    return any(PORT_ERRORS.search(e) or AS_ERRORS.search(e) for e in _errors(node))


# ------------------------------------------------------------------------------ checks
def check_port_in_use(cluster):
    """BGP_PORT_IN_USE: BIRD reports it has no listening socket on TCP 179."""
    out = []
    for node in cluster.nodes:
        if not _readable(node):
            continue
        errors = sorted({e for e in _errors(node) if PORT_ERRORS.search(e)})
        if not errors:
            continue
        listeners = [dict(entry) for entry in (node.facts.get("bgp_listeners") or ())]
        others = [entry for entry in listeners if not str(entry.get("program") or "").startswith("bird")]
        if others:
            who = ", ".join("%s (pid %s%s) on %s:%s" % (
                entry.get("program") or "a process we cannot see", entry.get("pid") or "unknown",
                ": " + entry["cmdline"][:80] if entry.get("cmdline") else "", entry.get("address"), entry.get("port"))
                for entry in others)
        else:
            who = "no other listener seen on TCP 179 (it may hold the port in another way)"
        down = sum(1 for p in node.down.values() if PORT_ERRORS.search(p.get("last_error") or ""))
        out.append(finding(
            "BGP_PORT_IN_USE", node.name,
            '%s: BIRD cannot listen on TCP 179 ("%s" on %d protocols); holder: %s' % (node.name, errors[0], down, who),
            {"errors": errors, "listeners": listeners, "holders": others, "protocols_down": down}))
    return out


def _cluster_as(cluster):
    """The AS number most datastore nodes have (None: the global default)."""
    counts = Counter((entry or {}).get("as_number") for entry in cluster.ds_nodes.values())
    return counts.most_common(1)[0][0] if counts else None


def check_as_mismatch(cluster):
    """BGP_AS_MISMATCH: a node whose sessions fail with Bad peer AS, or whose datastore AS
    differs from the others' while its sessions are down."""
    common = _cluster_as(cluster)
    # Only nodes with a sign of it are looked at pair by pair (a healthy cluster costs one pass).
    named = set()
    for node in cluster.nodes:
        for addr, proto in (node.down or {}).items():
            if AS_ERRORS.search(proto.get("last_error") or ""):
                named.add(addr)
    out = []
    for node in cluster.nodes:
        own_as = (node.ds or {}).get("as_number")
        if not (named.intersection(node.addresses()) or any(AS_ERRORS.search(e) for e in _errors(node))
                or (cluster.datastore_reachable and own_as != common)):
            continue
        others = [o for o in cluster.nodes if o is not node]
        pairs = [pair(node, other) for other in others]
        down = [p for p in pairs if not p["up"]]
        if not down:
            continue
        bad = [p for p in down if any(AS_ERRORS.search(e["last_error"] or "") for e in p["ends"])]
        differs = cluster.datastore_reachable and own_as != common
        if not bad and not differs:
            continue
        if bad and not differs and len(bad) < len(others):
            continue   # Bad peer AS on some pairs only: the node at the other end is the odd one
        errors = sorted({e["last_error"] for p in bad for e in p["ends"] if AS_ERRORS.search(e["last_error"] or "")})
        out.append(finding(
            "BGP_AS_MISMATCH", node.name,
            "%s: its AS number is %s in the datastore while the other nodes use %s; %d of its %d sessions fail%s"
            % (node.name, own_as if own_as is not None else "the global default",
               common if common is not None else "the global default", len(down), len(others),
               ' with "%s"' % errors[0] if errors else ""),
            {"as_number": own_as, "cluster_as_number": common, "errors": errors,
             "pairs": [describe_pair(p) for p in down]}))
    return out


def check_peering_blocked(cluster):
    """PEERING_BLOCKED: the node's addresses agree everywhere, every session with its healthy
    peers is down with a refusal or a timeout (or the probe says so), and those peers do peer
    with each other."""
    out = []
    healthy = [node for node in cluster.nodes if not _suspect(node) and node.expected]
    for node in healthy:
        if node.established:
            continue
        peers = [p for p in healthy if p is not node]
        if not peers:
            continue
        pairs = [pair(node, peer) for peer in peers]
        if any(p["up"] for p in pairs):
            continue
        evidence = []
        for item in pairs:
            signs = [e for e in item["ends"] if BLOCKED_ERRORS.search(e["last_error"] or "")
                     or e["probe"] in BLOCKED_PROBES]
            if not signs:
                break
            evidence.append(item)
        else:
            # the peers reach each other: the trouble is at this node, not everywhere
            if len(peers) > 1 and not any(peer.established for peer in peers):
                continue
            listeners = (node.facts or {}).get("bgp_listeners") or []
            bird_listens = any(str(entry.get("program") or "").startswith("bird") for entry in listeners)
            out.append(finding(
                "PEERING_BLOCKED", node.name,
                "%s: TCP 179 to and from %s is blocked: %s" % (
                    node.name, node.expected, "; ".join(describe_pair(p) for p in evidence)),
                {"address": node.expected, "pairs": [describe_pair(p) for p in evidence],
                 "bird_listens": bird_listens, "peers": [p.name for p in peers],
                 "addresses_agree": {"expected": node.expected, "datastore": node.ds_address,
                                     "router_id": node.router_id}}))
    return out


def check_stale_node(cluster):
    """STALE_CALICO_NODE: a datastore node that no host of the play is, whose sessions are all down."""
    if not cluster.datastore_reachable:
        return []
    play_addresses = {addr for node in cluster.nodes for addr in node.addresses()}
    readers = [node for node in cluster.nodes if _readable(node)]
    out = []
    for name, entry in sorted(cluster.ds_nodes.items()):
        if name in cluster.by_name:
            continue
        address = bare((entry or {}).get("ipv4_address"))
        if not address or address in play_addresses:
            continue
        down = [node for node in readers if address in node.down]
        if not down or any(address in node.established for node in readers):
            continue
        probes = {node.name: probe_result(node, address) for node in readers}
        if any(result == "connected" for result in probes.values()):
            continue
        seen = ", ".join("%s %s%s" % (node.name, node.down[address].get("bgp_state") or "down",
                                      " (probe %s)" % probes[node.name].replace("_", " ") if probes[node.name] else "")
                         for node in down)
        out.append(finding(
            "STALE_CALICO_NODE", name,
            "%s: Calico node %s (%s) is no host of the play and answers nobody: %s"
            % (name, name, address, seen),
            {"address": address, "blocks": list((entry or {}).get("blocks") or ()),
             "sessions_down": len(down), "probes": probes, "peer_address": address}))
    return out


def check_name_conflict(cluster):
    """NODE_NAME_CONFLICT: calico-node stops at start-up because another Calico node holds this
    host's address (it registers under a new name: the host name changed)."""
    out = []
    for node in cluster.nodes:
        reason = (node.calico or {}).get("exit_reason") or {}
        conflict = reason.get("conflict") or {}
        if reason.get("kind") != "address_conflict" or not conflict.get("node"):
            continue
        address = conflict.get("address")
        running_as = reason.get("node_name") or (node.facts or {}).get("hostname")
        if running_as == conflict["node"]:
            continue
        holder = cluster.ds_nodes.get(conflict["node"])
        out.append(finding(
            "NODE_NAME_CONFLICT", node.name,
            "%s: calico-node starts as Calico node %s (host name %s) and stops, because Calico node %s "
            "already holds its address %s" % (node.name, running_as, (node.facts or {}).get("hostname"),
                                              conflict["node"], address),
            {"calico_node_name": running_as, "hostname": (node.facts or {}).get("hostname"),
             "conflicting_node": conflict["node"], "address": address,
             "conflicting_node_address": bare((holder or {}).get("ipv4_address")), "log_line": reason.get("line"),
             "nodes": [conflict["node"]] if conflict["node"] != node.name else []}))
    return out


def _nic_mtu(node):
    iface = node.iface_of(node.expected) if node.expected else None
    return (iface.get("name"), iface.get("mtu")) if iface and iface.get("mtu") else (None, None)


def check_mtu(cluster):
    """MTU_MISMATCH: the NIC's MTU is below its peers', or a Calico interface does not fit in it."""
    mtus = {node.name: _nic_mtu(node) for node in cluster.nodes if node.facts is not None}
    largest = max([m for dummy, m in mtus.values() if m] or [0])
    out = []
    for node in cluster.nodes:
        nic, mtu = mtus.get(node.name, (None, None))
        if mtu is None:
            continue
        peers, lower_than = {}, []
        if mtu < largest:
            peers = {name: m for name, (dummy, m) in mtus.items() if name != node.name and m}
            lower_than = sorted(name for name, m in peers.items() if m > mtu)
        too_big = []
        for iface in (node.facts.get("interfaces") or ()):
            name = iface.get("name") or ""
            if not CALICO_IFACES.match(name) or not iface.get("mtu"):
                continue
            limit = mtu - TUNNEL_OVERHEAD.get(iface.get("kind"), 0)
            if iface["mtu"] > limit:
                too_big.append({"interface": name, "mtu": iface["mtu"], "fits": limit})
        if not lower_than and not too_big:
            continue
        parts = []
        if lower_than:
            parts.append("%s has MTU %d while %s %s %s" % (
                nic, mtu, ", ".join("%s's NIC %d" % (n, peers[n]) for n in lower_than),
                "has" if len(lower_than) == 1 else "have", "a larger one"))
        for item in too_big:
            parts.append("%s has MTU %d, more than the %d that fits in %s" % (item["interface"], item["mtu"],
                                                                              item["fits"], nic))
        out.append(finding(
            "MTU_MISMATCH", node.name, "%s: %s" % (node.name, "; ".join(parts)),
            {"interface": nic, "mtu": mtu, "peer_mtus": peers, "larger_peers": lower_than, "calico_interfaces": too_big}))
    return out


CHECKS = (check_port_in_use, check_as_mismatch, check_peering_blocked, check_stale_node, check_name_conflict,
          check_mtu)
