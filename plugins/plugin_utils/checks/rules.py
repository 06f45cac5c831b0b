# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root-cause rules as data: RULES, one Rule (plugin_utils._cause.Rule) per root cause.

Each rule names the finding codes it explains, its priority, its sentence builder and what
remediate does about it (``repair``; None: not repaired, left to the closing diagnose). The
engine (_root_cause.py) applies the table; the repair plan (_plan.py) repairs the causes whose
rule has a ``repair``; docs/findings.md is generated from this table and the check registry.

A sentence builder is ``sentence(ctx, node, found)``: ctx as the checks get it, the cause's
node (None for a cluster-wide finding) and its findings of the rule's codes, in finding
order. It returns new_cause(...) with ``message`` (one sentence) and ``fix`` filled in.
"""
from __future__ import annotations

import shlex

from .._cause import FINDING, GROUP, UNEXPLAINED, Rule, impact, new_cause, plural
from .._derived import pinning_methods
from .._monitor import monitor_of, switch_clause
from .rules_mesh import (as_sentence, blocked_sentence, calico_down_head_fix, mtu_sentence, name_conflict_sentence,
                         port_sentence, stale_sentence, unexplained_pairs)

REMEDIATE = "playbooks/remediate.yml"
# In this order: the cause is told as the first of these codes the node has.
ADDRESS_CODES = ("ADDRESS_ON_DOCKER_BRIDGE", "ADDRESS_ON_EXCLUDED_INTERFACE", "ADDRESS_MISMATCH")
BRIDGE_KEYS = ("name", "network_name", "compose_project", "container_count", "orphaned", "created")
RESTART = "restarts calico-node"
REPIN = "removes the bridge (if any), pins IP_AUTODETECTION_METHOD, restarts calico-node"


def _how(node, detected, iface, bridge, ip_env):
    """'calico-node autodetected 172.19.0.1 on br-x (docker network y)': how the node got its address."""
    if ip_env and ip_env.split("/", 1)[0] == detected:
        how = "calico-node is configured with IP=%s" % ip_env
    elif node.facts is not None and (node.detected_address == detected or not ip_env or ip_env == "autodetect"):
        how = "calico-node autodetected %s" % detected
    else:
        how = "Calico holds %s for it" % detected
    if iface:
        if bridge and bridge.get("orphaned"):
            how += " on %s (a bridge no Docker network owns)" % iface
        elif bridge and bridge.get("network_name"):
            how += " on %s (docker network %s)" % (iface, bridge["network_name"])
        else:
            how += " on %s" % iface
    return how


def address_sentence(ctx, node, found):
    codes = {f["code"]: f for f in found}
    main = next(codes[c] for c in ADDRESS_CODES if c in codes)
    mismatch = codes.get("ADDRESS_MISMATCH")
    cause = new_cause(node, main["code"], "error", found)
    if main["code"] == "ADDRESS_MISMATCH":
        interfaces = main["evidence"].get("interfaces") or {}
        detected = node.detected_address if node.detected_address in interfaces else node.calico_address
        if detected not in interfaces and interfaces:
            detected = sorted(interfaces)[0]
        iface = interfaces.get(detected)
    else:
        detected, iface = main["evidence"]["address"], main["evidence"]["interface"]
    bridge = main["evidence"].get("bridge") if main["code"] == "ADDRESS_ON_DOCKER_BRIDGE" else None
    cause.update(interface=iface, detected_address=detected, bridge=bridge)
    if bridge is not None:
        cause["bridge"] = {k: bridge.get(k) for k in BRIDGE_KEYS}
    ip_env = ((node.calico or {}).get("env") or {}).get("IP")
    instead = "instead of %s" % node.expected
    if node.expected_interface:
        instead += " on %s" % node.expected_interface
    methods = pinning_methods(ctx.cluster, node)
    cause["pin_methods"] = methods
    pins = " or ".join(shlex.quote(m) for m in methods) if methods else "e.g. interface=<nic>"
    monitor = monitor_of(node)
    switched, figures = switch_clause(node, detected, bridge)
    cause.update(figures)
    cause["monitor"] = {k: monitor[k] for k in ("present", "redetects", "interval", "switches_back")}
    if bridge is not None and monitor["redetects"] and (bridge.get("container_count") or 0) > 0:
        fix = "pin IP_AUTODETECTION_METHOD (%s) and restart calico-node (%s -e meshdoctor_pin_autodetection=...): " \
            "while containers use the bridge pinning is the only way out, because calico-node's address monitor " \
            "would take the bridge again within its %s poll interval after a restart" \
            % (pins, REMEDIATE, monitor["interval_text"])
    elif bridge is not None:
        fix = "remove the bridge and restart calico-node (%s), and pin IP_AUTODETECTION_METHOD so it cannot recur" \
            % REMEDIATE
        if monitor["switches_back"]:
            fix += " (calico-node's address monitor also moves back within %s once the bridge is gone)" \
                % monitor["interval_text"]
        elif monitor["redetects"]:
            fix += " (calico-node's address monitor does not move back by itself: before v3.29.0 it writes the " \
                "Node once per start)"
    elif ip_env and ip_env.split("/", 1)[0] == detected:
        fix = "set IP=%s (or IP=autodetect with a pinned IP_AUTODETECTION_METHOD) and restart calico-node (%s)" \
            % (node.expected, REMEDIATE)
    else:
        fix = "pin IP_AUTODETECTION_METHOD (%s) and restart calico-node (%s)" % (pins, REMEDIATE)
    text, figures = impact(ctx, node)
    cause.update(figures)
    cause["fix"] = fix
    cause["message"] = "%s: %s %s%s; %s; %s." % (node.name, _how(node, detected, iface, bridge, ip_env), instead,
                                                 switched, text, fix)
    if mismatch is not None:
        cause["sources"] = mismatch["evidence"].get("sources")
    return cause


def _simple(ctx, node, code, severity, found, head, fix, unseen=False):
    """'<node>: <head>; <impact>; <fix>.'"""
    cause = new_cause(node, code, severity, found)
    text, figures = impact(ctx, node, unseen)
    cause.update(figures)
    cause["fix"] = fix
    cause["detected_address"] = node.calico_address
    cause["message"] = "%s: %s; %s; %s." % (node.name, head, text, fix)
    return cause


def unreachable_sentence(ctx, node, found):
    return _simple(ctx, node, "HOST_UNREACHABLE", "error", found[-1:],
                   "Ansible could not reach host %s (%s)" % (node.host, node.status_msg or "no message"),
                   "make the host reachable and diagnose again", unseen=True)


def collection_failed_sentence(ctx, node, found):
    if node.status == "invalid":
        return _simple(ctx, node, "COLLECTION_FAILED", "error", found[-1:],
                       "the facts of host %s break the contract of docs/facts-schema.md at %s"
                       % (node.host, node.status_msg),
                       "find out what on the host produced them (a node_facts of another version, a tampered host) and "
                       "diagnose again", unseen=True)
    return _simple(ctx, node, "COLLECTION_FAILED", "error", found[-1:],
                   "node_facts failed on host %s (%s)" % (node.host, node.status_msg or "no message"),
                   "fix what node_facts reported and diagnose again", unseen=True)


def calico_down_sentence(ctx, node, found):
    head, fix = calico_down_head_fix(node)
    return _simple(ctx, node, "CALICO_NODE_DOWN", "error", found[-1:], head, fix)


def bird_sentence(ctx, node, found):
    ev = found[-1]["evidence"]
    return _simple(ctx, node, "BIRD_UNREACHABLE", "error", found[-1:],
                   "BIRD does not answer on %s (%s) although calico-node runs"
                   % (ev.get("socket") or "its socket", ev.get("reason") or "no reason given"),
                   "restart calico-node (%s)" % REMEDIATE)


def shared_value(item):
    """What a DUPLICATE_* finding says is shared: the address or the router id."""
    return item["evidence"].get("address") or item["evidence"].get("router_id")


def duplicate_sentence(ctx, node, found):
    code, value, names = found[0]["code"], shared_value(found[0]), found[0]["evidence"]["nodes"]
    what = "Calico address" if code == "DUPLICATE_ADDRESS" else "BIRD router id"
    cause = new_cause(node, code, "error", found)
    text, figures = impact(ctx, node)
    cause.update(figures)
    cause["detected_address"] = value
    cause["fix"] = "give each node its own address (pin IP_AUTODETECTION_METHOD or set CALICO_ROUTER_ID) " \
        "and restart calico-node (%s)" % REMEDIATE
    cause["message"] = "%s share %s %s; %s; %s." % (", ".join(names), what, value, text, cause["fix"])
    cause["nodes"] = names
    # a name the datastore knows but the play does not has no inventory host
    by_name = ctx.cluster.by_name
    cause["hosts"] = [by_name[n].host if n in by_name else None for n in names]
    return cause


def datastore_sentence(ctx, node, found):
    item = found[0]
    cause = new_cause(None, item["code"], item["severity"], [item])
    cause["fix"] = "check meshdoctor_datastore, its endpoints and credentials, and diagnose again"
    cause["message"] = "%s; %s." % (item["message"], cause["fix"])
    return cause


def not_in_datastore_sentence(ctx, node, found):
    return _simple(ctx, node, found[0]["code"], "warning", found, "the Calico datastore has no node named %s" % node.name,
                   "check calico-node's NODENAME against the host name", unseen=True)


def risk_sentence(ctx, node, found):
    item = found[0]
    ev = item["evidence"]
    cause = new_cause(node, item["code"], "warning", [item])
    cause.update(interface=ev.get("predicted_interface"), detected_address=ev.get("predicted_address"),
                 pin_methods=ev.get("pin_methods") or [], message=item["message"] + ".",
                 fix=item["message"].rsplit("; ", 1)[-1])
    if ev.get("bridge"):
        cause["bridge"] = {k: ev["bridge"].get(k) for k in BRIDGE_KEYS}
    return cause


def unexplained_sentence(ctx, node, found):
    name = found[0]["node"]
    cause = new_cause(node, "UNEXPLAINED", "error", [])
    cause["node"] = name
    cause["host"] = node.host if node is not None else None
    cause["fix"] = "look at the findings of %s" % (name or "the cluster")
    pairs = unexplained_pairs(ctx, node, found)
    if pairs:
        # Exactly what was seen, per pair: never only "sessions are down".
        cause["message"] = "%s: %s with no cause found here; %s; %s." % (
            name, plural(len(found), "error"), "; ".join(pairs), cause["fix"])
        cause["pairs"] = pairs
    else:
        cause["message"] = "%s: %s with no cause found here, first: %s" % (
            name or "cluster", plural(len(found), "error"), found[0]["message"].split(": ", 1)[-1])
    return cause


RULES = (
    Rule(ADDRESS_CODES, 10, address_sentence, trigger=("ADDRESS_MISMATCH",), repair=REPIN, visible=True,
         when="Calico's address for the node is not the expected one (told as where it sits when that is known)",
         shape="`ai: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c (docker network gerrit_default) instead "
               "of 192.168.1.188 on eno1; 6 of 12 BGP sessions are down and 3 nodes have no route to 172.16.2.0/24; "
               "remove the bridge and restart calico-node (playbooks/remediate.yml), and pin IP_AUTODETECTION_METHOD "
               "so it cannot recur.` A move made at runtime by calico-node's address monitor adds `, switched at "
               "14:03:12 by calico-node's address monitor, 41 s after docker network gerrit_default was created` "
               "after the expected address; with the monitor and containers on the bridge the fix is a pin only."),
    Rule(("HOST_UNREACHABLE",), 20, unreachable_sentence, when="no facts from the host: Ansible could not reach it",
         shape="`hp: Ansible could not reach host hp (...); <impact>; make the host reachable and diagnose again.`"),
    Rule(("COLLECTION_FAILED",), 21, collection_failed_sentence, when="no facts from the host: node_facts failed",
         shape="`hp: node_facts failed on host hp (...); <impact>; fix what node_facts reported and diagnose again.`"),
    Rule(("NODE_NAME_CONFLICT",), 25, name_conflict_sentence, visible=True,
         when="calico-node stops because another Calico node holds the host's address (it runs under a new name)",
         shape="`hp: calico-node starts as Calico node hp.cluster.internal (host name hp.cluster.internal) and stops "
               "because Calico node hp already holds its address 192.168.1.172; <impact>; set the host name back to hp, "
               "or set NODENAME=hp for calico-node, and restart it (...).`"),
    Rule(("CALICO_NODE_DOWN",), 30, calico_down_sentence, repair=RESTART, visible=True,
         when="calico-node is not running; the sentence gives the reason its newest log lines state",
         shape="`hp: calico-node is not running (...), and its log says it cannot reach the datastore (\"...\"); "
               "<impact>; make the datastore reachable from hp (...), then restart calico-node.`"),
    Rule(("BIRD_UNREACHABLE",), 31, bird_sentence, repair=RESTART, visible=True,
         when="BIRD does not answer while calico-node runs",
         shape="`hp: BIRD does not answer on <socket> (...) although calico-node runs; <impact>; restart calico-node "
               "(...).`"),
    Rule(("BGP_PORT_IN_USE",), 32, port_sentence, visible=True,
         when="BIRD cannot listen on TCP 179 because another program holds it",
         shape="`hp: BIRD cannot listen on TCP 179 (\"Error: No listening socket\") because python3 (pid 164: ...) on "
               "0.0.0.0:179 holds the port; <impact>; stop that program or move it off port 179, then restart "
               "calico-node (...).`"),
    Rule(("BGP_AS_MISMATCH",), 33, as_sentence, visible=True,
         when="the node's AS number is not the one its peers expect",
         shape="`hp: its AS number is 64513 in the datastore while the other nodes use the default AS 64512, so the "
               "BGP sessions are refused (\"BGP Error: Bad peer AS\"); <impact>; drop hp's own AS number (...) or "
               "configure its peers for AS 64513, and diagnose again.`"),
    Rule(("PEERING_BLOCKED",), 34, blocked_sentence, visible=True,
         when="TCP 179 to and from a node whose addresses all agree does not get through",
         shape="`hp: TCP 179 to and from 192.168.1.172 is blocked while its datastore address, router id and "
               "inventory agree on 192.168.1.172 (BIRD reports \"Socket: Connection refused\", the TCP 179 probe was "
               "refused from ...); <impact>; allow TCP 179 between the nodes in hp's packet filter (...).`"),
    Rule(("DUPLICATE_ADDRESS", "DUPLICATE_ROUTER_ID"), 40, duplicate_sentence, scope=GROUP, group_by=shared_value,
         when="nodes share one address (or router id) and none of them has a cause above",
         shape="`node-2, node-3 share Calico address ...; <impact>; give each node its own address ...`"),
    Rule(("STALE_CALICO_NODE",), 45, stale_sentence, scope=FINDING,
         when="a datastore node no host of the play is, that answers nobody (its node is the datastore's name)",
         shape="`hp: Calico node hp (192.168.1.172, block 172.16.3.0/24) is no host of the play and answers nobody "
               "(...); 3 BGP sessions still point at it; if its host is gone for good, delete it from the datastore "
               "(remediate with -e '{\"meshdoctor_delete_stale_nodes\": [\"hp\"]}', ...).`"),
    Rule(("DATASTORE_UNREACHABLE",), 50, datastore_sentence, scope=FINDING, exclusive=False,
         also_explains=("NODE_NOT_IN_DATASTORE",), when="the datastore could not be read (cluster-wide)",
         shape="the finding's sentence and a fix"),
    Rule(("AUTODETECTION_RISK",), 60, risk_sentence, scope=FINDING, exclusive=False,
         only_families=("autodetection", "docker_bridges"),
         when="a latent risk (warning): explains only its own node's autodetection and Docker bridge findings",
         shape="the finding's sentence (what would be picked, the bridge, the pinning methods)"),
    Rule(("MTU_MISMATCH",), 65, mtu_sentence, scope=FINDING, exclusive=False, only_families=("mtu",),
         when="a warning: the node's NIC MTU is below its peers', or a Calico interface does not fit in it",
         shape="`hp: eth0 has MTU 1280 while master's NIC has 1500, ..., so packets above 1280 bytes between them are "
               "dropped; give eth0 the MTU of its peers (1500), or lower Calico's MTU to fit.`"),
    Rule(("NODE_NOT_IN_DATASTORE",), 70, not_in_datastore_sentence, scope=FINDING,
         when="the datastore has no node of the node's name, and the node has no cause above",
         shape="`hp: the Calico datastore has no node named hp; <impact>; check calico-node's NODENAME ...`"),
    Rule(("UNEXPLAINED",), 100, unexplained_sentence, scope=UNEXPLAINED,
         when="errors on a node that no cause above explains",
         shape="`ml: 2 errors with no cause found here; ml-hp: ml (192.168.1.121) sees Active, last error \"...\", "
               "probe refused; hp (192.168.1.172) sees Passive, probe connected; look at the findings of ml.` (per "
               "pair: both ends' state, last error, probe and address)"),
)

# What the repair plan repairs: the causes whose rule has a repair.
REPAIRED_CODES = frozenset(code for rule in RULES if rule.repair for code in rule.codes)
