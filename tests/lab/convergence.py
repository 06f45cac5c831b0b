"""When the lab counts as settled: every calico-node registered, every directed BGP session
Established, every host routing every other host's block; and, after a restart, the node's
new address everywhere (see README.md, "When the lab counts as settled")."""
import json
import re
import time

import bird_status
import calico_service
import etcd
import host
import vxlan_dataplane
from state import LabError, parallel, say
from topology import control_plane, node_by_name

DETECT_RE = re.compile(r"Using autodetected IPv4 address.*?(\d+\.\d+\.\d+\.\d+/\d+)")


def calico_nodes(topo):
    return [n for n in topo["nodes"] if n["calico"]]


def wait_registered(topo, nodes, timeout=60):
    """Wait until each of NODES' calico-node stored its address in etcd and logged its start."""
    cp = control_plane(topo)["name"]
    deadline = time.time() + timeout
    missing = [n["name"] for n in nodes]
    while time.time() < deadline:
        addresses = etcd.node_addresses(cp)
        missing = []
        for node in nodes:
            text = calico_service.log(node)
            if "[FATAL]" in text:
                raise LabError("calico-node on %s exited: %s" % (node["name"], [l for l in text.splitlines() if "[FATAL]" in l][-1]))
            if not addresses.get(node["name"]) or "Calico node started successfully" not in text:
                missing.append(node["name"])
        if not missing:
            return
        time.sleep(0.3)
    details = "; ".join("%s: %s" % (m, calico_service.log(node_by_name(topo, m)).strip().splitlines()[-1:] or "no log")
                        for m in missing)
    raise LabError("calico-node did not register in etcd on: %s (%s)" % (", ".join(missing), details))


def session_table(topo):
    """{host: [protocol rows] or None (BIRD down)} for hosts with calico."""
    return {n["name"]: bird_status.protocols(n["name"]) for n in calico_nodes(topo)}


def vxlan(topo):
    """True for a `backend: vxlan` lab: no BIRD, no sessions; felix's VXLAN routes instead."""
    return topo.get("backend") == "vxlan"


def session_gaps(topo):
    """The directed sessions of a full mesh that are not Established, one line per host."""
    if vxlan(topo):
        return []
    want = len(calico_nodes(topo)) - 1
    bad = []
    for name, rows in session_table(topo).items():
        if rows is None:
            bad.append("%s: BIRD not answering" % name)
            continue
        est = [r for r in rows if r["info"].startswith("Established")]
        if len(rows) != want or len(est) != want:
            bad.append("%s: %d/%d Established (%s)" % (name, len(est), want,
                       ", ".join("%s %s" % (r["peer"], r["info"]) for r in rows if r not in est) or "peers missing"))
    return bad


def host_route_gaps(node, nodes):
    """What NODE's kernel lacks of a settled mesh: a `proto bird` route to every other
    calico host's block via that host's LAN address, and the blackhole for its own block."""
    proc = host.in_host(node["name"], ["ip", "-j", "route", "show", "proto", "bird"], check=False)
    try:
        routes = json.loads(proc.stdout or "[]")
    except ValueError:
        return ["%s: `ip -j route` printed no JSON (%s)" % (node["name"], (proc.stderr or proc.stdout).strip()[:100])]
    have = {(r.get("dst"), r.get("type", "unicast"), r.get("gateway")) for r in routes}
    gaps = []
    for other in nodes:
        if other["name"] == node["name"]:
            if (node["block"], "blackhole", None) not in have:
                gaps.append("%s: no blackhole for its own block %s" % (node["name"], node["block"]))
        elif (other["block"], "unicast", other["ip"]) not in have:
            gaps.append("%s: no route to %s's block %s via %s" % (node["name"], other["name"], other["block"], other["ip"]))
    return gaps


def route_gaps(topo):
    nodes = calico_nodes(topo)
    gaps_of = vxlan_dataplane.host_route_gaps if vxlan(topo) else host_route_gaps
    per_host = parallel(lambda n: gaps_of(n, nodes), nodes)
    return [gap for gaps in per_host for gap in gaps]


def wait_converged(topo, timeout=60):
    """Wait until every directed session is Established and every host routes every other
    host's block. Routes trail the sessions: a BIRD started with -R (as calico-node starts
    it) sends its routes only after End-of-RIB from all its peers."""
    deadline = time.time() + timeout
    while True:
        bad = session_gaps(topo)
        bad = bad or route_gaps(topo)
        if not bad:
            return
        if time.time() > deadline:
            raise LabError("mesh not converged after %ds: %s" % (timeout, "; ".join(bad)))
        time.sleep(0.3)


def _restart_settled(topo, node, detected):
    """(settled, router id, reason) for NODE restarted with address DETECTED (a CIDR): etcd
    holds it, BIRD runs with it as router id, every peer re-rendered, and the block routes
    match (routed via the node when it is its LAN address, unrouted when not; its own
    blackhole in place)."""
    name, ip = node["name"], detected.split("/")[0]
    stored = etcd.node_addresses(control_plane(topo)["name"]).get(name)
    rid = bird_status.router_id(name)
    others_ok, routes_ok = True, True
    want_peers = len(calico_nodes(topo)) - 1
    for other in calico_nodes(topo):
        if other["name"] == name:
            continue
        rows = bird_status.protocols(other["name"]) or []
        if ip not in {r["peer"] for r in rows} or len(rows) != want_peers:
            others_ok = False
        route = host.in_host(other["name"], ["ip", "route", "show", node["block"]]).stdout.strip()
        healthy = ip == node["ip"]
        if healthy and not route or not healthy and route:
            routes_ok = False
    own = host.in_host(name, ["ip", "route", "show", node["block"]]).stdout
    reason = "etcd has %s, router id %s, peers re-rendered %s, routes settled %s, own blackhole %s" % (
        stored, rid, others_ok, routes_ok, "blackhole" in own)
    return stored == detected and rid == ip and others_ok and routes_ok and "blackhole" in own, rid, reason


def wait_after_restart(topo, node, mark, timeout=60):
    """Wait until NODE's calico-node re-detected and stored its address, its BIRD runs with
    it as router id, and every other host re-rendered its mesh and settled."""
    name = node["name"]
    deadline = time.time() + timeout
    reason = "no autodetection logged yet"
    while time.time() < deadline:
        text = calico_service.log(node, mark)
        if "FATAL" in text or "Invalid IP autodetection method" in text:
            raise LabError("outage %s: calico-node failed: %s" % (name, [l for l in text.splitlines() if "FATAL" in l or "WARNING" in l][-2:]))
        found = DETECT_RE.findall(text)
        if found and vxlan(topo):
            detected = found[-1]
            settled, reason = vxlan_dataplane.restart_settled(topo, node, calico_nodes(topo), detected)
            if settled:
                say("outage %s: calico-node detected %s; vxlan.calico and its routes are back" % (name, detected))
                return detected
        elif found:
            detected = found[-1]
            settled, rid, reason = _restart_settled(topo, node, detected)
            if settled:
                say("outage %s: calico-node detected %s; BIRD router id %s; peers updated" % (name, detected, rid))
                if detected.split("/")[0] == node["ip"]:
                    wait_converged(topo, timeout=max(10, deadline - time.time()))
                return detected
        time.sleep(0.5)
    raise LabError("outage %s: state did not settle in %ds (%s)" % (name, timeout, reason))
