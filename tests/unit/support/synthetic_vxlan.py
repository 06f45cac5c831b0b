# -*- coding: utf-8 -*-
"""Synthetic Calico clusters with CALICO_NETWORKING_BACKEND=vxlan (no BIRD): synthetic.py's
clusters turned into what felix programs, the node side's `vxlan` facts made by _vxlan's own
parsers from iproute2's JSON shapes (tests/unit/fixtures/vxlan/README.md).

``make_vxlan_cluster(n, broken=())`` -> (hostvars, datastore). Every node has a vxlan.calico
device (VNI 4096, local = its Calico address on its parent, MTU 1450), a neighbour entry and an
FDB entry for every other node's VTEP (the FDB sends to that node's Calico address, so to
172.19.0.1 for a broken node), routes `<block> via <VTEP> dev vxlan.calico onlink proto 80`.
With ``lab=True`` the FDB entries carry no destination, as on the lab's bridge stand-in.
"""
from __future__ import annotations

import copy
import ipaddress
import json

from ansible_collections.meshdoctor.calico.plugins.module_utils._vxlan import parse_device, parse_fdb, parse_neighbours

from synthetic import _iface, _route, make_cluster, node_block, node_name


def vtep_of(k):
    return str(ipaddress.ip_network(node_block(k)).network_address)


def vtep_mac(k):
    return "66:%02x:%02x:2e:c1:5f" % (k // 256, k % 256)


def _device(k, local, parent, mtu=1450):
    link = {"ifindex": 7, "ifname": "vxlan.calico", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": mtu,
            "operstate": "UNKNOWN", "link_type": "ether", "address": vtep_mac(k),
            "linkinfo": {"info_kind": "vxlan", "info_data": {"id": 4096, "local": local, "link": parent,
                                                             "port_range": {"low": 0, "high": 0}, "port": 4789,
                                                             "learning": False, "ttl": 0, "ageing": 300}}}
    return parse_device(json.dumps([link]))


def make_vxlan_cluster(n=4, broken=(), lab=False):
    hostvars, datastore = copy.deepcopy(make_cluster(n, broken=broken))
    names = [node_name(k) for k in range(1, n + 1)]
    index = {name: k for k, name in enumerate(names, 1)}
    calico = {name: datastore["nodes"][name]["ipv4_address"].split("/")[0] for name in names}
    for name in names:
        k = index[name]
        datastore["nodes"][name].update(ipv4_vxlan_tunnel_addr=vtep_of(k), vxlan_tunnel_mac=vtep_mac(k),
                                        ipv4_ipip_tunnel_addr=None)
    for name in names:
        facts = hostvars[name].get("meshdoctor")
        if facts is None:
            continue
        k = index[name]
        others = [p for p in names if p != name]
        env = facts["calico_node"]["env"]
        env.update(CALICO_NETWORKING_BACKEND="vxlan", CALICO_IPV4POOL_IPIP=None, CALICO_IPV4POOL_VXLAN="Always")
        facts["bird"]["ipv4"].update(running=False, reason="no socket at /var/run/calico/bird.ctl", version=None,
                                     router_id=None, protocols=[])
        parent = next((i["name"] for i in facts["interfaces"] for a in i["ipv4"] if a["address"] == calico[name]), "eth0")
        facts["interfaces"] = [i for i in facts["interfaces"] if i["name"] != "tunl0"]
        vx = _iface(7, "vxlan.calico", "vxlan", "UNKNOWN", [vtep_of(k) + "/32"], mac=vtep_mac(k))
        vx["mtu"] = 1450
        facts["interfaces"].append(vx)
        routes = [r for r in facts["routes"] if r["protocol"] != "bird"]
        routes += [_route(node_block(index[p]), vtep_of(index[p]), "vxlan.calico", "80", flags=("onlink",)) for p in others]
        routes.append(_route(node_block(k), kind="blackhole", protocol="80"))
        facts["routes"] = routes
        neighbours = [{"dst": vtep_of(index[p]), "lladdr": vtep_mac(index[p]), "state": ["PERMANENT"]} for p in others]
        fdb = [dict({"mac": vtep_mac(index[p]), "flags": ["self"], "state": "permanent"},
                    **({} if lab else {"dst": calico[p]})) for p in others]
        facts["vxlan"] = {"device": _device(k, calico[name], parent),
                          "neighbours": parse_neighbours(json.dumps(neighbours)), "fdb": parse_fdb(json.dumps(fdb))}
    return hostvars, datastore
