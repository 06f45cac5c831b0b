# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repair plan (mesh_check's ``plan``): which hosts remediate repairs and what on each.

Decides from the root causes and the model, never acts; the remediate role only reads it:

- ``hosts``: the inventory hosts to repair, in play order - those named in ``plan_hosts``
  (healthy or not), else every host with an error root cause remediate can repair (the
  causes whose rule in checks/rules.py has a ``repair``);
- ``by_host``: per planned host its causes, the address and router id it should come back
  on, how calico-node is deployed, the Docker bridges to remove (with their containers) and
  its address monitor (``monitor``: whether it re-detects, every ``interval`` seconds);
- ``bridges_in_use``: the bridges to remove that containers use (never removed:
  ``pin_needed`` says the repair needs a pinned autodetection method instead; on a node
  whose address monitor re-detects, ``monitor_interval`` is set: a pin is the only way out);
- ``refused``: the hosts left out of ``hosts`` because cycling calico-node would bring them
  back on another address, predicted after the planned bridge removals and the pin
  (_repair_prediction.py); each names the bridge, its containers and a pin that works;
- ``hold``: {host: seconds} for the planned hosts whose address monitor re-detects: the
  repaired address must still hold after two poll intervals;
- ``causes`` / ``not_repaired``: the error root causes of the planned hosts, and the error
  root causes remediate has no repair for (left to the closing diagnose);
- ``converge``: per play host, what its BIRD and kernel show once the repair is done - the
  peers whose sessions are Established and the other nodes' blocks routed via their owners.
  Sessions come up a moment before the routes (a restarted BIRD announces only after its
  peers' End-of-RIB), so the role waits for both before the closing diagnose;
- ``text``: the one-line plan.
"""
from __future__ import annotations

from ._addr import bare
from ._coverage import block_gateways
from ._derived import pinning_methods
from ._matrix import mesh_is_off
from ._monitor import monitor_of
from ._repair_prediction import refusal
from .checks.rules import REPAIRED_CODES
from .reports.printable import printable

STALE_CODE = "STALE_CALICO_NODE"
BRIEF_KEYS = ("id", "code", "host", "node", "message")
BRIDGE_KEYS = ("name", "network_name", "compose_project", "container_count")


def _brief(cause):
    """A cause as the remediate role prints it (its message printable: no raw escape from a node)."""
    brief = {k: cause.get(k) for k in BRIEF_KEYS}
    brief["message"] = printable(brief["message"] or "")
    return brief


def _cause_hosts(cause):
    return cause.get("hosts") or ([cause["host"]] if cause.get("host") else [])


def _bridges(node, causes):
    """The bridges the node's causes name, once each, with the containers attached to them."""
    out, seen = [], set()
    for cause in causes:
        bridge = cause.get("bridge")
        if not isinstance(bridge, dict) or not bridge.get("name") or bridge["name"] in seen:
            continue
        seen.add(bridge["name"])
        entry = {k: bridge.get(k) for k in BRIDGE_KEYS}
        fact = (node.bridges or {}).get(bridge["name"]) or {}
        entry["containers"] = [c.get("name") or c.get("id") or "(unnamed)" for c in fact.get("containers") or ()]
        entry["container_count"] = int(entry["container_count"] or len(entry["containers"]))
        entry["pin_methods"] = list(cause.get("pin_methods") or ())
        out.append(entry)
    return out


def _converge(cluster, errors, hosts, every_mesh=False):
    """{host: {"expected_peers": [...], "expected_routes": [{"dst", "via"}]}} for the play hosts
    the repair should leave whole. A node an error root cause names that the plan leaves alone
    is left out everywhere (as waiter, peer and block owner): nothing in the run brings it
    back, and the closing diagnose reports it. Without a node-to-node mesh (route reflectors)
    the peers are not the nodes: expected_peers is left out, so every BGP session counts; so it
    is with EVERY_MESH (stale nodes deleted: the wait lasts until their protocols are gone)."""
    left_broken = {h for c in errors for h in _cause_hosts(c)}.difference(hosts)
    members = [node for node in cluster.nodes
               if node.host not in left_broken and (node.expected or node.calico_address)]
    names = {node.name for node in members}
    owner, gateway_of, alternates = block_gateways(cluster)
    mesh = not mesh_is_off(cluster)
    out = {}
    for node in members:
        own = set(node.blocks or ())
        wait = {"expected_routes": [
            {"dst": block, "via": [bare(gateway)] + ([alternates[block]] if block in alternates else [])}
            for block, gateway in sorted(gateway_of.items())
            if owner[block] in names and owner[block] != node.name and block not in own]}
        if mesh and not every_mesh:
            wait["expected_peers"] = [bare(o.expected or o.calico_address) for o in members if o is not node]
        out[node.host] = wait
    return out


def _refusals(cluster, hosts, by_host, pin, remove_bridges):
    """The refusal entries (_repair_prediction.refusal) of the hosts cycling calico-node would
    bring back on another address: every planned host, after its planned bridge removals and
    the pin; with a pin written to the calico-node DaemonSet (Kubernetes), every node, since
    every calico-node pod restarts with it."""
    node_of = {node.host: node for node in cluster.nodes}
    check = list(hosts)
    if pin and any((node_of[h].calico or {}).get("deployment") == "kubernetes" for h in hosts):
        check += [node.host for node in cluster.nodes if node.host not in by_host]
    out = []
    for host in check:
        node = node_of[host]
        plan = by_host.get(host) or {}
        removed = [b["name"] for b in plan.get("bridges") or () if remove_bridges and b["container_count"] == 0]
        found = refusal(node, host, removed, pin or None, pinning_methods(cluster, node))
        if found:
            found["message"] = printable(found["message"])
            out.append(found)
    return out


def _stale(cluster, errors, delete_stale):
    """(stale_nodes, delete, delete_refused): the stale Calico nodes, those of them named to be
    deleted, and the named datastore nodes that are not stale (never deleted)."""
    stale = [{"node": c["node"], "address": c.get("detected_address"), "blocks": list(c.get("blocks") or ()),
              "message": c["message"]} for c in errors if c["code"] == STALE_CODE]
    names = {entry["node"] for entry in stale}
    delete = [name for name in delete_stale or () if name in names]
    refused = []
    for name in delete_stale or ():
        if name in names or name not in cluster.ds_nodes:
            continue   # stale: deleted; not in the datastore (any more): nothing to do
        why = "it is a host of the play" if name in cluster.by_name else \
            "a host of the play still peers with it or it answers the probe"
        refused.append({"node": name, "reason": "Calico node %s is not stale: %s" % (name, why)})
    return stale, delete, refused


def make_plan(cluster, causes, plan_hosts=None, delete_stale=None, pin=None, remove_bridges=True):
    """The plan dict (see the module docstring) from the model and the numbered root causes.

    PIN (the IP_AUTODETECTION_METHOD remediate pins) and REMOVE_BRIDGES (whether it removes
    the bridges the causes name) say what the repair does, for the prediction of ``refused``."""
    errors = [c for c in causes if c["severity"] == "error"]
    play_hosts = [node.host for node in cluster.nodes]
    if plan_hosts:
        wanted = set(plan_hosts)
    else:
        wanted = {h for c in errors if c["code"] in REPAIRED_CODES for h in _cause_hosts(c)}
    hosts = [h for h in play_hosts if h in wanted]
    outside = sorted(set(plan_hosts or ()) - set(play_hosts))

    node_of = {node.host: node for node in cluster.nodes}
    by_host, in_use, hold = {}, [], {}
    for host in hosts:
        node = node_of[host]
        mine = [c for c in errors if host in _cause_hosts(c)]
        bridges = _bridges(node, mine)
        expected = bare(node.expected)
        monitor = monitor_of(node)
        if monitor["redetects"]:
            hold[host] = int(2 * monitor["interval"] + 0.999)
        by_host[host] = {
            "node": node.name,
            "causes": [c["id"] for c in mine],
            "expected_address": expected,
            # BIRD's router id is the node's address unless CALICO_ROUTER_ID sets another one.
            "expected_router_id": expected if node.router_id_is_address else None,
            "deployment": (node.calico or {}).get("deployment"),
            "bridges": bridges,
            "monitor": {"redetects": monitor["redetects"], "interval": monitor["interval"],
                        "switches_back": monitor["switches_back"]},
        }
        in_use.extend(dict(b, host=host, node=node.name,
                           monitor_interval=monitor["interval_text"] if monitor["redetects"] else None)
                      for b in bridges if b["container_count"] > 0)

    cycle_refused = _refusals(cluster, hosts, by_host, pin, remove_bridges)
    if cycle_refused:
        left_out = {r["host"] for r in cycle_refused}
        hosts = [h for h in hosts if h not in left_out]      # by_host keeps them: what the repair would have been
    chosen = set(hosts)
    planned = [c for c in errors if chosen.intersection(_cause_hosts(c))]
    stale, delete, refused = _stale(cluster, errors, delete_stale)
    if hosts:
        text = "Repair, one node at a time: %s." % ", ".join(hosts)
    elif plan_hosts:
        text = "Nothing to repair: none of the hosts named is in the play."
    else:
        text = "Nothing to repair: diagnose found no repairable error root cause."
    if outside:
        text += " Not in the play, left out: %s." % ", ".join(outside)
    if delete:
        plural = "s" if len(delete) > 1 else ""
        text += " Delete the stale Calico node%s %s from the datastore." % (plural, ", ".join(delete))
    if cycle_refused:
        text += " Refused (calico-node would come back on another address): %s." % ", ".join(
            "%s (%s)" % (r["host"], r["predicted_address"]) for r in cycle_refused)
    return {
        "hosts": hosts,
        "by_host": by_host,
        "causes": [_brief(c) for c in planned],
        "not_repaired": [_brief(c) for c in errors if c["code"] not in REPAIRED_CODES
                         and not (c["code"] == STALE_CODE and c["node"] in delete)],
        "stale_nodes": stale,
        "delete": delete,
        "delete_refused": refused,
        "bridges_in_use": in_use,
        "pin_needed": bool(in_use),
        "refused": cycle_refused,
        "hold": hold,
        "converge": _converge(cluster, errors, hosts, every_mesh=bool(delete)) if hosts or delete else {},
        "text": text,
    }
