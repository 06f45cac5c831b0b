# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One-sentence root causes for the mesh failures of _checks_peering: each builder takes the
defining finding and the impact text ('6 of 12 BGP sessions are down ...') and returns
(head, fix); the sentence is '<node>: <head>; <impact>; <fix>.'"""
from __future__ import annotations

REMEDIATE = "playbooks/remediate.yml"
DEFAULT_AS = 64512


def _names(items):
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quote(errors):
    return ", ".join('"%s"' % e for e in errors[:2])


def peering_blocked(finding):
    ev = finding["evidence"]
    address = ev.get("address")
    errors = []
    probes = {}
    for text in ev.get("pairs") or ():
        for part in text.split("; "):
            if 'last error "' in part:
                err = part.split('last error "', 1)[1].split('"', 1)[0]
                if err not in errors:
                    errors.append(err)
            if ", probe " in part:
                who = part.split(": ", 1)[-1].split(" (", 1)[0]
                probes[who] = part.rsplit(", probe ", 1)[1]
    seen = []
    if errors:
        seen.append("BIRD reports %s" % _quote(errors))
    refused = sorted(who for who, result in probes.items() if result in ("refused", "timed out", "unreachable"))
    if refused:
        seen.append("the probe of TCP 179 was %s for %s" % (
            _names(sorted(set(probes[w] for w in refused))), _names(refused)))
    if ev.get("bird_listens"):
        seen.append("although BIRD listens on TCP 179 there")
    head = "TCP 179 to and from %s is blocked while its datastore address, router id and inventory agree on %s (%s)" % (
        address, address, ", ".join(seen) or "every session is down")
    fix = "allow TCP 179 between the nodes in %s's packet filter (iptables/nftables rules, cloud security groups) " \
          "and diagnose again" % finding["node"]
    return head, fix


def as_mismatch(finding):
    ev = finding["evidence"]
    own = ev.get("as_number")
    common = ev.get("cluster_as_number")
    common_text = common if common is not None else "the default AS %d" % DEFAULT_AS
    own_text = own if own is not None else "the default AS %d" % DEFAULT_AS
    head = "its AS number is %s in the datastore while the other nodes use %s, so the BGP sessions are refused%s" % (
        own_text, common_text, " (%s)" % _quote(ev.get("errors") or []) if ev.get("errors") else "")
    if own is not None and common is None:
        fix = ("remove %s's own AS number (calicoctl patch node %s -p '{\"spec\":{\"bgp\":{\"asNumber\":null}}}') "
               "or configure its peers for AS %s, and diagnose again" % (finding["node"], finding["node"], own))
    else:
        fix = "give %s the AS number its peers expect (%s) in the datastore, and diagnose again" % (
            finding["node"], common_text)
    return head, fix


def port_in_use(finding):
    ev = finding["evidence"]
    holders = ev.get("holders") or []
    if holders:
        who = _names(["%s (pid %s%s) on %s:%s" % (
            h.get("program") or "a process", h.get("pid") or "unknown",
            ": " + h["cmdline"][:60] if h.get("cmdline") else "", h.get("address"), h.get("port")) for h in holders])
        head = 'BIRD cannot listen on TCP 179 (%s) because %s holds the port' % (_quote(ev.get("errors") or []), who)
        fix = "stop that program or move it off port 179, then restart calico-node (%s)" % REMEDIATE
    else:
        head = "BIRD cannot listen on TCP 179 (%s)" % _quote(ev.get("errors") or [])
        fix = "find what holds TCP 179 on %s (ss -ltnp sport = :179), free it and restart calico-node (%s)" % (
            finding["node"], REMEDIATE)
    return head, fix


def stale_node(finding):
    ev = finding["evidence"]
    name = finding["node"]
    blocks = ev.get("blocks") or []
    head = "Calico node %s (%s%s) has no host in the play and answers nobody (%s)" % (
        name, ev.get("address"), ", block%s %s" % ("s" if len(blocks) > 1 else "", _names(blocks)) if blocks else "",
        finding["message"].split(" answers nobody: ", 1)[-1])
    fix = ("if that host is gone for good, delete the node from the datastore "
           "(remediate with -e '{\"meshdoctor_delete_stale_nodes\": [\"%s\"]}', or calicoctl delete node %s)" % (name, name))
    return head, fix


def name_conflict(finding):
    ev = finding["evidence"]
    head = ("calico-node starts as Calico node %s (host name %s) and stops because Calico node %s already holds "
            "its address %s" % (ev.get("calico_node_name"), ev.get("hostname"), ev.get("conflicting_node"), ev.get("address")))
    fix = ("set the host name back to %s or set NODENAME=%s for calico-node and restart it (if %s is really another "
           "machine, give this one its own address)" % (ev.get("conflicting_node"), ev.get("conflicting_node"),
                                                         ev.get("conflicting_node")))
    return head, fix


def mtu_mismatch(finding):
    ev = finding["evidence"]
    head = finding["message"].split(": ", 1)[-1]
    larger = ev.get("larger_peers") or []
    if larger:
        head += ", so packets above %s bytes between them are dropped" % ev.get("mtu")
        fix = "give %s the MTU of its peers (%s) or lower Calico's MTU to fit" % (
            ev.get("interface"), max((ev.get("peer_mtus") or {}).get(n) for n in larger))
    else:
        fix = "lower Calico's MTU (veth/tunnel MTU in the Calico configuration) to fit in %s's %s" % (
            ev.get("interface"), ev.get("mtu"))
    return head, fix


FIXES_FOR_EXIT = {
    "datastore_unreachable": "make the datastore reachable from %s (endpoints, network, firewall), then restart calico-node",
    "x509": "fix the certificates calico-node uses for the datastore on %s (expired, wrong name or CA), then restart it",
    "unauthorized": "fix calico-node's datastore credentials on %s, then restart it",
    "invalid_autodetection": "fix IP_AUTODETECTION_METHOD of calico-node on %s, then restart it",
    "address_conflict": "give %s its own address or its old node name back, then restart calico-node",
}


def calico_node_down(node_name, calico):
    """(head, fix) for CALICO_NODE_DOWN with the reason from calico-node's last log lines."""
    reason = (calico or {}).get("reason") or "no reason given"
    exit_reason = (calico or {}).get("exit_reason") or {}
    head = "calico-node is not running (%s)" % reason
    if exit_reason:
        head += ', and its log says %s ("%s")' % (exit_reason.get("summary"), (exit_reason.get("detail") or "")[:160])
    template = FIXES_FOR_EXIT.get(exit_reason.get("kind"))
    if template:
        fix = template % node_name
    else:
        fix = "start calico-node again (%s restarts it) and read its log if it does not stay up" % REMEDIATE
    return head, fix
