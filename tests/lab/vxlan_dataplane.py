"""The lab's VXLAN hosts (topology `backend: vxlan`) seen from outside: what a settled VXLAN
data plane looks like (calico_node/felix_vxlan.py programs it; README.md says how it differs
from a real node's)."""
import ipaddress
import json

import etcd
import host
from topology import control_plane

DEVICE = "vxlan.calico"
PROTO = "80"


def vtep(block):
    """The VTEP address the lab's felix gives a node: its block's first address."""
    return str(ipaddress.ip_network(block).network_address)


def _routes(name):
    proc = host.in_host(name, ["ip", "-j", "route", "show", "proto", PROTO], check=False)
    try:
        return json.loads(proc.stdout or "[]"), None
    except ValueError:
        return None, "%s: `ip -j route` printed no JSON (%s)" % (name, (proc.stderr or proc.stdout).strip()[:100])


def host_route_gaps(node, nodes):
    """What NODE's kernel lacks: `<block> via <VTEP> dev vxlan.calico onlink proto 80` for every
    other calico host's block, and `blackhole <own block> proto 80`."""
    routes, error = _routes(node["name"])
    if error:
        return [error]
    have = {(r.get("dst"), r.get("type", "unicast"), r.get("gateway"), r.get("dev")) for r in routes}
    gaps = []
    for other in nodes:
        if other["name"] == node["name"]:
            if (node["block"], "blackhole", None, None) not in have:
                gaps.append("%s: no blackhole for its own block %s" % (node["name"], node["block"]))
        elif (other["block"], "unicast", vtep(other["block"]), DEVICE) not in have:
            gaps.append("%s: no route to %s's block %s via %s dev %s"
                        % (node["name"], other["name"], other["block"], vtep(other["block"]), DEVICE))
    return gaps


def device_up(name):
    proc = host.in_host(name, ["ip", "-j", "link", "show", DEVICE], check=False)
    try:
        links = json.loads(proc.stdout or "[]")
    except ValueError:
        return False
    return bool(links) and "LOWER_UP" in (links[0].get("flags") or [])


def restart_settled(topo, node, nodes, detected):
    """(settled, reason) for NODE restarted with address DETECTED: etcd holds it, its
    vxlan.calico is up again and its routes are back."""
    stored = etcd.node_addresses(control_plane(topo)["name"]).get(node["name"])
    up = device_up(node["name"])
    gaps = host_route_gaps(node, nodes)
    reason = "etcd has %s, %s up %s, route gaps %s" % (stored, DEVICE, up, gaps or "none")
    return stored == detected and up and not gaps, reason
