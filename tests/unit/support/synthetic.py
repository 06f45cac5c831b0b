# -*- coding: utf-8 -*-
"""Synthetic Calico clusters for mesh_check tests and the benchmark.

``make_cluster(n, broken=("node-1",))`` returns ``(hostvars, datastore)``: per host (named
node-1 .. node-n) the inventory variable ``ip`` and the ``meshdoctor`` facts exactly as
docs/facts-schema.md describes them, and a ``datastore_info`` result. It is a full mesh with
IPIP, calico/node first-found autodetection, one /24 block per node.

- ``broken``: nodes that autodetected a Docker bridge (172.19.0.1, 172.20.0.1, ... on
  br-<hex>, compose project projK): their router id and datastore address are the bridge's,
  their sessions are Connect/Active, nobody routes their block and they route nobody's.
- ``stray_bridge``: healthy nodes with such a bridge present (the next first-found start would
  pick it: the latent risk).
- ``calico_down``: calico-node not running there (BIRD silent, peers in Active).
- ``unreachable``: no facts at all for these hosts (pass ``results`` to say why).

Facts of different nodes share the dicts that would be equal (a healthy peer's Mesh_ protocol,
the route to a healthy node's block): a 1000-node cluster fits in memory and builds in about a
second. Never modify what this returns.
"""
from __future__ import annotations

import copy

EXCLUSIONS_V3_24 = ["^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
                    "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^vxlan\\.calico.*",
                    "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*"]


def node_name(k):
    return "node-%d" % k


def node_address(k):
    return "10.0.%d.%d" % (k // 250, k % 250 + 1)


def node_block(k):
    return "10.%d.%d.0/24" % (200 + k // 256, k % 256)


def _bridge(j):
    hexid = "%012x" % (0xcddff8a3b81c + j)
    return {
        "name": "br-" + hexid, "address": "172.%d.0.1" % (19 + j), "cidr": "172.%d.0.1/16" % (19 + j),
        "subnet": "172.%d.0.0/16" % (19 + j), "network_id": hexid + "0c1e" * 13,
        "network_name": "proj%d_default" % j, "compose_project": "proj%d" % j,
    }


def _iface(index, name, kind, state, cidrs, mac=None, master=None):
    ipv4 = []
    for cidr in cidrs:
        address, prefix = cidr.split("/")
        ipv4.append({"address": address, "prefixlen": int(prefix), "cidr": cidr,
                     "scope": "host" if name == "lo" else "global"})
    flags = ["LOOPBACK", "UP", "LOWER_UP"] if name == "lo" else (
        ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"] if state == "UP" else ["NO-CARRIER", "BROADCAST", "MULTICAST", "UP"])
    return {"index": index, "name": name, "kind": kind, "state": state, "flags": flags, "mtu": 1500,
            "mac": mac, "master": master, "ipv4": ipv4, "ipv6": []}


def _route(dst, gateway=None, dev=None, protocol="kernel", kind="unicast", scope="global", prefsrc=None, flags=()):
    return {"table": "main", "family": "ipv4", "type": kind, "dst": dst, "gateway": gateway, "dev": dev,
            "protocol": protocol, "scope": scope, "prefsrc": prefsrc, "metric": None, "flags": list(flags)}


def _proto(address, state, bgp_state, last_error=None):
    info = bgp_state + ("  " + last_error if last_error else "")
    return {"name": "Mesh_" + address.replace(".", "_"), "proto": "BGP", "table": "master", "state": state,
            "since": "07:33:58", "info": info, "bgp_state": bgp_state, "last_error": last_error,
            "peer_address": address, "peer_type": "mesh"}


BIRD_BASE = [
    {"name": "static1", "proto": "Static", "table": "master", "state": "up", "since": "07:33:57", "info": "",
     "bgp_state": None, "last_error": None, "peer_address": None, "peer_type": None},
    {"name": "kernel1", "proto": "Kernel", "table": "master", "state": "up", "since": "07:33:57", "info": "",
     "bgp_state": None, "last_error": None, "peer_address": None, "peer_type": None},
    {"name": "device1", "proto": "Device", "table": "master", "state": "up", "since": "07:33:57", "info": "",
     "bgp_state": None, "last_error": None, "peer_address": None, "peer_type": None},
    {"name": "direct1", "proto": "Direct", "table": "master", "state": "up", "since": "07:33:57", "info": "",
     "bgp_state": None, "last_error": None, "peer_address": None, "peer_type": None},
]


def _docker_bridge_fact(bridge, index):
    return {"name": bridge["name"], "index": index, "state": "UP", "mac": "02:42:e4:19:ef:2b",
            "ipv4": [bridge["cidr"]], "network_id": bridge["network_id"], "network_name": bridge["network_name"],
            "compose_project": bridge["compose_project"], "subnets": [bridge["subnet"]], "containers": [],
            "container_count": 0, "default_bridge": False, "orphaned": False, "reason": "name br-<12 hex>"}


DOCKER0 = {"name": "docker0", "index": 3, "state": "DOWN", "mac": "02:42:5c:1a:00:01", "ipv4": ["172.17.0.1/16"],
           "network_id": "5c1a" * 16, "network_name": "bridge", "compose_project": None, "subnets": ["172.17.0.0/16"],
           "containers": [], "container_count": 0, "default_bridge": True, "orphaned": False, "reason": "name docker0"}


def _facts(name, k, *, address, bridge, chosen, calico_running, protocols, routes, calico_version):
    interfaces = [
        _iface(1, "lo", "loopback", "UNKNOWN", ["127.0.0.1/8"]),
        _iface(2, "eth0", "ether", "UP", [address + "/16"], mac="52:54:00:00:%02x:%02x" % (k // 256, k % 256)),
        _iface(3, "docker0", "bridge", "DOWN", ["172.17.0.1/16"], mac="02:42:5c:1a:00:01"),
        _iface(5, "tunl0", "ipip", "UP", [node_block(k).replace(".0/24", ".1/32")]),
    ]
    interfaces[-1]["mtu"] = 1480   # what the kernel gives an IPIP device on a 1500-byte NIC
    bridges = [DOCKER0]
    candidates = [{"interface": "eth0", "index": 2, "address": address + "/16", "excluded_by": None, "state": "UP"}]
    if bridge:
        interfaces.append(_iface(46, bridge["name"], "bridge", "UP", [bridge["cidr"]], mac="02:42:e4:19:ef:2b"))
        bridges.append(_docker_bridge_fact(bridge, 46))
        candidates.insert(0, {"interface": bridge["name"], "index": 46, "address": bridge["cidr"],
                              "excluded_by": None, "state": "UP"})
    pick = {"interface": candidates[0]["interface"], "address": candidates[0]["address"], "reason": None}
    chosen_iface, chosen_cidr = chosen
    line = ("2018-10-19 06:41:19.968 [INFO][10] startup.go 564: Using autodetected IPv4 address on interface "
            "%s: %s" % (chosen_iface, chosen_cidr))
    return {
        "schema": 1, "hostname": name, "collected_at": "2026-11-24T13:50:00Z", "duration_s": 0.2,
        "interfaces": interfaces,
        "routes": routes,
        "docker": {"docker_available": True, "docker_reason": None, "docker_socket": "/var/run/docker.sock",
                   "docker_version": "20.10.24", "bridges": bridges},
        "bird": {
            "ipv4": {"socket": "/var/run/calico/bird.ctl", "running": calico_running,
                     "reason": None if calico_running else "no socket at /var/run/calico/bird.ctl",
                     "version": "1.6.8" if calico_running else None,
                     "router_id": chosen_cidr.split("/")[0] if calico_running else None,
                     "protocols": protocols if calico_running else []},
            "ipv6": {"socket": "/var/run/calico/bird6.ctl", "running": False,
                     "reason": "no socket at /var/run/calico/bird6.ctl", "version": None, "router_id": None,
                     "protocols": []},
        },
        "calico_node": {
            "deployment": "kubernetes", "running": calico_running,
            "reason": None if calico_running else "container calico-node exited (137)",
            "container_id": "9f0e%060x" % k, "image": "calico/node:" + calico_version,
            "calico_version": calico_version,
            "env": {"IP": "autodetect", "IP_AUTODETECTION_METHOD": "first-found", "CALICO_ROUTER_ID": None,
                    "NODENAME": name, "CALICO_NETWORKING_BACKEND": "bird", "CALICO_IPV4POOL_IPIP": "Always"},
            "autodetection_method": "first-found",
            "log_evidence": [{"kind": "autodetected", "line": line, "version": 4, "address": chosen_cidr,
                              "interface": chosen_iface, "method": "first-found", "original": None, "updated": None}],
            "detected_address": chosen_cidr, "detected_interface": chosen_iface,
        },
        "autodetection": {"calico_version": calico_version, "method": "first-found", "exclusions": EXCLUSIONS_V3_24,
                          "configured": pick, "first_found": dict(pick), "candidates": candidates},
        "warnings": [],
    }


def make_cluster(n, broken=("node-1",), stray_bridge=(), calico_down=(), unreachable=(), calico_version="v3.24.5"):
    """(hostvars, datastore) of an n-node full-mesh Calico cluster; see the module docstring."""
    names = [node_name(k) for k in range(1, n + 1)]
    broken, stray_bridge, calico_down, unreachable = set(broken), set(stray_bridge), set(calico_down), set(unreachable)
    bridges = {}
    for j, name in enumerate(sorted(broken | stray_bridge, key=lambda s: int(s.split("-")[1]))):
        bridges[name] = _bridge(j)
    addr = {name: node_address(k) for k, name in enumerate(names, 1)}
    calico_addr = {name: bridges[name]["address"] if name in broken else addr[name] for name in names}
    block = {name: node_block(k) for k, name in enumerate(names, 1)}

    # What every peer sees of node X: its Mesh_ protocol and its route, shared by all peers.
    seen_proto, seen_route = {}, {}
    for name in names:
        if name in calico_down:
            seen_proto[name] = _proto(calico_addr[name], "start", "Active", "Socket: Connection refused")
        elif name in broken:
            seen_proto[name] = _proto(calico_addr[name], "start", "Connect")
        else:
            seen_proto[name] = _proto(addr[name], "up", "Established")
            seen_route[name] = _route(block[name], addr[name], "tunl0", "bird", flags=("onlink",))
    broken_view = {}
    for i, name in enumerate(names):
        state = ("Connect", "Socket: Connection closed") if i % 2 else ("Active", "Socket: Connection closed")
        broken_view[name] = _proto(addr[name], "start", state[0], state[1])

    hostvars = {}
    for k, name in enumerate(names, 1):
        entry = {"inventory_hostname": name, "ip": addr[name]}
        hostvars[name] = entry
        if name in unreachable:
            continue
        base = [_route("0.0.0.0/0", "10.0.0.254", "eth0", "dhcp"),
                _route("10.0.0.0/16", None, "eth0", "kernel", scope="link", prefsrc=addr[name]),
                _route("172.17.0.0/16", None, "docker0", "kernel", scope="link", prefsrc="172.17.0.1", flags=("linkdown",))]
        bridge = bridges.get(name)
        if bridge:
            base.append(_route(bridge["subnet"], None, bridge["name"], "kernel", scope="link", prefsrc=bridge["address"]))
        running = name not in calico_down
        if name in broken:
            protocols = BIRD_BASE + [broken_view[p] for p in names if p != name]
            routes = base + [_route(block[name], kind="blackhole", protocol="bird")]
            chosen = (bridge["name"], bridge["cidr"])
        else:
            protocols = BIRD_BASE + [seen_proto[p] for p in names if p != name]
            peer_routes = [seen_route[p] for p in names if p != name and p in seen_route]
            routes = base + peer_routes + ([_route(block[name], kind="blackhole", protocol="bird")] if running else [])
            chosen = ("eth0", addr[name] + "/16")
        entry["meshdoctor"] = _facts(name, k, address=addr[name], bridge=bridge, chosen=chosen,
                                     calico_running=running, protocols=protocols, routes=routes,
                                     calico_version=calico_version)
    datastore = {
        "datastore": "kubernetes", "reachable": True, "reason": None,
        "nodes": {name: {"ipv4_address": calico_addr[name] + "/16",
                         "ipv4_ipip_tunnel_addr": block[name].replace(".0/24", ".1"),
                         "ipv4_vxlan_tunnel_addr": None, "ipv6_address": None, "as_number": None,
                         "internal_ip": addr[name], "blocks": [block[name]]} for name in names},
        "calico_node_pods": [],
    }
    return hostvars, datastore


def own_facts(hostvars, host):
    """The host's facts, deep-copied first so that changing them leaves the other hosts alone."""
    hostvars[host]["meshdoctor"] = copy.deepcopy(hostvars[host]["meshdoctor"])
    return hostvars[host]["meshdoctor"]


def protocol_to(facts, address):
    """The Mesh_ protocol dict for address in facts (None when absent)."""
    for proto in facts["bird"]["ipv4"]["protocols"]:
        if proto["peer_address"] == address:
            return proto
    return None
