# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sentence builders of the root-cause rules for sessions that are down while the addresses
are right (rules.py holds the table): '<node>: <what and why>; <impact>; <fix>.'

Each names the node, the cause with its evidence (BIRD's errors, the probe, the port's holder,
the AS numbers, the log line) and the fix. ``unexplained_pairs`` tells, per pair, exactly what
was seen when no rule explains a session."""
from __future__ import annotations

from .._cause import impact, new_cause
from .._pairs import describe, pair

REMEDIATE = "playbooks/remediate.yml"
DEFAULT_AS = 64512


def names(items):
    items = list(items)
    return " and ".join(items) if len(items) <= 2 else ", ".join(items[:-1]) + " and " + items[-1]


def _quote(errors):
    return ", ".join('"%s"' % e for e in list(errors)[:2])


def _cause(ctx, node, code, severity, found, head, fix, text=None):
    cause = new_cause(node, code, severity, found)
    if text is None:
        text, figures = impact(ctx, node)
        cause.update(figures)
    cause["fix"] = fix
    cause["detected_address"] = node.calico_address if node is not None else None
    cause["message"] = "%s: %s; %s; %s." % (cause["node"], head, text, fix)
    return cause


def blocked_sentence(ctx, node, found):
    ev = found[0]["evidence"]
    ends = ev.get("ends") or []
    errors = []
    for end in ends:
        if end.get("last_error") and end["last_error"] not in errors:
            errors.append(end["last_error"])
    probes = {}
    for end in ends:
        if end.get("probe") and end["probe"] != "connected":
            probes.setdefault(end["probe"].replace("_", " "), []).append(end["node"])
    seen = []
    if errors:
        seen.append("BIRD reports %s" % _quote(errors))
    for result, who in sorted(probes.items()):
        seen.append("the TCP 179 probe was %s from %s" % (result, names(sorted(set(who)))))
    if ev.get("bird_listens"):
        seen.append("although BIRD listens on TCP 179 there")
    head = ("TCP 179 to and from %s is blocked while its datastore address, router id and inventory agree on %s (%s)"
            % (ev.get("address"), ev.get("address"), ", ".join(seen) or "every session is down"))
    fix = ("allow TCP 179 between the nodes in %s's packet filter (iptables/nftables rules, cloud security groups) "
           "and diagnose again" % node.name)
    return _cause(ctx, node, "PEERING_BLOCKED", "error", found, head, fix)


def as_sentence(ctx, node, found):
    ev = found[0]["evidence"]
    own, common = ev.get("as_number"), ev.get("cluster_as_number")
    common_text = common if common is not None else "the default AS %d" % DEFAULT_AS
    head = "its AS number is %s in the datastore while the other nodes use %s, so the BGP sessions are refused%s" % (
        own if own is not None else "the default AS %d" % DEFAULT_AS, common_text,
        " (%s)" % _quote(ev["errors"]) if ev.get("errors") else "")
    if own is not None and common is None:
        fix = ("drop %s's own AS number (calicoctl patch node %s -p '{\"spec\":{\"bgp\":{\"asNumber\":null}}}') or "
               "configure its peers for AS %s, and diagnose again" % (node.name, node.name, own))
    else:
        fix = "give %s the AS number its peers expect (%s) in the datastore, and diagnose again" % (node.name, common_text)
    return _cause(ctx, node, "BGP_AS_MISMATCH", "error", found, head, fix)


def port_sentence(ctx, node, found):
    ev = found[0]["evidence"]
    holders = ev.get("holders") or []
    if holders:
        who = names(["%s (pid %s%s) on %s:%s" % (
            h.get("program") or "a process", h.get("pid") or "unknown",
            ": " + h["cmdline"][:60] if h.get("cmdline") else "", h.get("address"), h.get("port")) for h in holders])
        head = "BIRD cannot listen on TCP 179 (%s) because %s holds the port" % (_quote(ev.get("errors") or []), who)
        fix = "stop that program or move it off port 179, then restart calico-node (%s)" % REMEDIATE
    else:
        head = "BIRD cannot listen on TCP 179 (%s)" % _quote(ev.get("errors") or [])
        fix = "find what holds TCP 179 on %s (ss -ltnp sport = :179), free it and restart calico-node (%s)" % (
            node.name, REMEDIATE)
    return _cause(ctx, node, "BGP_PORT_IN_USE", "error", found, head, fix)


def name_conflict_sentence(ctx, node, found):
    claims = [f for f in found if f["evidence"].get("kind") == "claim"]
    if claims and len(claims) == len(found):
        head = claims[0]["message"][len(node.name) + 2:]          # the finding's sentence without "<node>: "
        fix = "give each host its own hostname (calico-node's NODENAME) and inventory name, then diagnose again"
        return _cause(ctx, node, "NODE_NAME_CONFLICT", "error", found, head, fix)
    found = [f for f in found if f not in claims]
    ev = found[0]["evidence"]
    old = ev.get("conflicting_node")
    head = ("calico-node starts as Calico node %s (host name %s) and stops because Calico node %s already holds its "
            "address %s" % (ev.get("calico_node_name"), ev.get("hostname"), old, ev.get("address")))
    fix = ("set the host name back to %s, or set NODENAME=%s for calico-node, and restart it (if %s is another "
           "machine, give this one its own address)" % (old, old, old))
    return _cause(ctx, node, "NODE_NAME_CONFLICT", "error", found, head, fix)


def stale_sentence(ctx, node, found):
    item = found[0]
    ev, name = item["evidence"], item["node"]
    blocks = ev.get("blocks") or []
    head = "Calico node %s (%s%s) is no host of the play and answers nobody (%s)" % (
        name, ev.get("address"), ", block%s %s" % ("s" if len(blocks) > 1 else "", names(blocks)) if blocks else "",
        item["message"].split("answers nobody: ", 1)[-1])
    fix = ("if its host is gone for good, delete it from the datastore (remediate with "
           "-e '{\"meshdoctor_delete_stale_nodes\": [\"%s\"]}', or calicoctl delete node %s)" % (name, name))
    count = ev.get("sessions_down") or 0
    text = "%d BGP session%s still point%s at it" % (count, "" if count == 1 else "s", "s" if count == 1 else "")
    cause = _cause(ctx, None, "STALE_CALICO_NODE", "error", found, head, fix, text=text)
    cause.update(node=name, message="%s: %s; %s; %s." % (name, head, text, fix), detected_address=ev.get("address"),
                 addresses=[ev.get("address")], sessions_down=ev.get("sessions_down") or 0, blocks=list(blocks))
    return cause


def mtu_sentence(ctx, node, found):
    ev = found[0]["evidence"]
    head = found[0]["message"].split(": ", 1)[-1]
    if ev.get("larger_peers"):
        head += ", so packets above %s bytes between them are dropped" % ev.get("mtu")
        fix = "give %s the MTU of its peers (%s), or lower Calico's MTU to fit" % (
            ev.get("interface"), max(ev["peer_mtus"][n] for n in ev["larger_peers"]))
    else:
        fix = "lower Calico's MTU (the veth and tunnel MTU of its configuration) to fit in %s's %s" % (
            ev.get("interface"), ev.get("mtu"))
    cause = new_cause(node, "MTU_MISMATCH", "warning", found)
    cause.update(fix=fix, interface=ev.get("interface"), message="%s: %s; %s." % (node.name, head, fix))
    return cause


EXIT_FIXES = {
    "datastore_unreachable": "make the datastore reachable from %s (endpoints, network, firewall), then restart calico-node",
    "x509": "fix the certificates calico-node on %s uses for the datastore (expired, wrong name or CA), then restart it",
    "unauthorized": "fix the datastore credentials of calico-node on %s, then restart it",
    "invalid_autodetection": "fix IP_AUTODETECTION_METHOD of calico-node on %s, then restart it",
    "address_conflict": "give %s its own address or its old node name back, then restart calico-node",
}


def calico_down_head_fix(node):
    """(head, fix) of CALICO_NODE_DOWN, with the reason its newest log lines give."""
    calico = node.calico or {}
    why = calico.get("exit_reason") or {}
    head = "calico-node is not running (%s)" % (calico.get("reason") or "no reason given")
    if why:
        head += ', and its log says %s ("%s")' % (why.get("summary"), (why.get("detail") or "")[:160])
    template = EXIT_FIXES.get(why.get("kind"))
    fix = template % node.name if template else \
        "start calico-node again (%s restarts it) and read its log if it does not stay up" % REMEDIATE
    return head, fix


def unexplained_pairs(ctx, node, found):
    """Per pair of the unexplained session findings: what both ends showed (state, last error,
    probe, both addresses); [] when the findings name no pair."""
    if node is None:
        return []
    out, seen = [], set()
    for item in found:
        ev = item["evidence"]
        other = ev.get("peer_node") or (ev.get("to") if ev.get("from") == node.name else ev.get("from"))
        peer = ctx.cluster.by_name.get(other) if other else None
        if peer is None or peer is node or other in seen:
            continue
        seen.add(other)
        out.append(describe(pair(node, peer)))
    return out
