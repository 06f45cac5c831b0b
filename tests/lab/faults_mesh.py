"""Mesh faults of issue 13, each an (apply, heal) pair on one lab host, plus `remove`.

- bgp-blocked: an iptables chain in the host's netns rejects TCP 179 in and out; its BIRD's
  mesh protocols are cycled so the block bites now, not at the 240 s hold timer. Heal: the
  chain goes.
- as-mismatch: the host's Node gets `spec.bgp.asNumber` = global + 1 in etcd; its calico-node
  renders `local as` from it, the peers keep the global AS. Heal: the field goes.
- port-taken: a listener takes 0.0.0.0:179 before calico-node (and BIRD) start again. Heal:
  listener stopped, calico-node restarted.
- hostname-change: the host's name becomes `<name>.cluster.internal` and calico-node restarts:
  it registers under the new name and hits "already using the IPv4 address". Heal: old name
  back, calico-node restarted.
- mtu: the host's NIC MTU drops to 1280 (the peers keep 1500). Heal: 1500 again.

`remove NODE`: the host is gone for good (processes, namespace, inventory entry); its Calico
node and blocks stay in etcd.
"""
import json
import time

import bird_status
import calico_service
import convergence
import docker_engine
import etcd
import host
import inventory
import netns
import state as state_mod
from state import LabError, host_dir, netns_of
from topology import control_plane, node_by_name

CHAIN = "MD-LAB-BGP"
NODES = "/calico/resources/v3/projectcalico.org/nodes/"
LOW_MTU = 1280
DEFAULT_MTU = 1500
RENAMED = "%s.cluster.internal"
PORT_HOLDER = "port-holder"
LISTENER = ("import socket\n"
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('0.0.0.0', 179)); s.listen(16)\n"
            "while True:\n"
            "    c, _ = s.accept(); c.close()\n")


def _wait(what, check, timeout=45, step=0.5):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        ok, last = check()
        if ok:
            return
        time.sleep(step)
    raise LabError("%s: not reached in %ds (%s)" % (what, timeout, last))


def _pairs_show(topo, node, words):
    """(every pair NODE<->peer shows one of WORDS in the info of one of its two ends, what they show).

    Calico's mesh makes one end of each pair passive (it never connects), so the evidence of a
    failure is on whichever end tried."""
    own = {r["peer"]: r["info"] for r in bird_status.protocols(node["name"]) or []}
    seen = {}
    for other in topo["nodes"]:
        if other["name"] == node["name"] or not other["calico"]:
            continue
        rows = [r["info"] for r in bird_status.protocols(other["name"]) or [] if r["peer"] == node["ip"]]
        seen[other["name"]] = (own.get(other["ip"]), rows[0] if rows else None)
    # a peer NODE has no protocol for at its address (e.g. one on a wrong address) is no pair here
    pairs = [pair for pair in seen.values() if pair[0] is not None]
    ok = bool(pairs) and all(any(info and any(w in info for w in words) for info in pair) for pair in pairs)
    return ok, seen


def _node_healed(topo, node):
    """(NODE's sessions with the peers it peers on their addresses are Established at both ends
    and they route each other's blocks, what is still missing). Only NODE's own pairs count, so
    a heal also settles on a lab that has another broken host (the outage's ai)."""
    own = {r["peer"]: r["info"] for r in bird_status.protocols(node["name"]) or []}
    peers, missing = [], []
    for other in topo["nodes"]:
        if other["name"] == node["name"] or not other["calico"] or other["ip"] not in own:
            continue
        theirs = [r["info"] for r in bird_status.protocols(other["name"]) or [] if r["peer"] == node["ip"]]
        if not theirs:
            continue   # the peer does not peer with NODE at its address: not NODE's pair
        peers.append(other)
        for who, info in ((node["name"], own[other["ip"]]), (other["name"], theirs[0])):
            if not info.startswith("Established"):
                missing.append("%s-%s: %s" % (who, other["name"] if who == node["name"] else node["name"], info))
    if not peers:
        return False, "no peer peers with %s" % node["name"]
    if not missing:
        missing = convergence.host_route_gaps(node, [node] + peers)
        for other in peers:
            missing += convergence.host_route_gaps(other, [other, node])
    return not missing, missing


def _wait_healed(topo, node):
    _wait("%s: healed" % node["name"], lambda: _node_healed(topo, node), timeout=60, step=0.3)


# ------------------------------------------------------------------------------ bgp-blocked
def _iptables(name, *args, check=True):
    return host.in_host(name, ["iptables", "-w"] + list(args), check=check)


def block_bgp(node, topo):
    name = node["name"]
    if _iptables(name, "-n", "-L", CHAIN, check=False).returncode == 0:
        return
    bird_status.birdc(name, "disable", '"Mesh_*"')   # Cease to every peer while it still can
    _iptables(name, "-N", CHAIN)
    for flag in ("--dport", "--sport"):
        _iptables(name, "-A", CHAIN, "-p", "tcp", flag, "179", "-j", "REJECT")
    for chain in ("INPUT", "OUTPUT"):
        _iptables(name, "-I", chain, "-j", CHAIN)
    bird_status.birdc(name, "enable", '"Mesh_*"')
    _wait("%s: every pair refused" % name, lambda: _pairs_show(topo, node, ("Connection refused", "timed out")))


def unblock_bgp(node, topo):
    name = node["name"]
    for chain in ("INPUT", "OUTPUT"):
        while _iptables(name, "-D", chain, "-j", CHAIN, check=False).returncode == 0:
            pass
    _iptables(name, "-F", CHAIN, check=False)
    _iptables(name, "-X", CHAIN, check=False)
    _wait_healed(topo, node)


# ------------------------------------------------------------------------------ as-mismatch
def _set_node_as(node, topo, as_number):
    cp = control_plane(topo)["name"]
    key = NODES + node["name"]
    raw = etcd.get_prefix(cp, key).get(key)
    if not raw:
        raise LabError("%s: no Calico node %s in etcd" % (node["name"], key))
    resource = json.loads(raw)
    bgp = resource.setdefault("spec", {}).setdefault("bgp", {})
    if as_number is None:
        bgp.pop("asNumber", None)
    else:
        bgp["asNumber"] = as_number
    etcd.ctl(cp, "put", key, json.dumps(resource))


def as_mismatch(node, topo):
    _set_node_as(node, topo, topo["as_number"] + 1)
    _wait("%s: every pair sees Bad peer AS" % node["name"], lambda: _pairs_show(topo, node, ("Bad peer AS",)))


def as_restore(node, topo):
    _set_node_as(node, topo, None)
    _wait_healed(topo, node)


# ------------------------------------------------------------------------------ port-taken
def _listening_179(name):
    out = host.in_host(name, ["ss", "-Hltn", "sport", "=", ":179"], check=False).stdout
    return bool(out.strip()), out.strip()


def take_port(node, topo):
    name = node["name"]
    calico_service.stop(node)
    _wait("%s: BIRD gone" % name, lambda: (not _listening_179(name)[0], _listening_179(name)[1]), timeout=15)
    host.spawn(name, PORT_HOLDER, ["/usr/bin/python3", "-c", LISTENER])
    _wait("%s: port holder listening" % name, lambda: _listening_179(name), timeout=10, step=0.1)
    calico_service.start(node, topo)

    def bird_failed():
        rows = bird_status.protocols(name) or []
        return bool(rows) and all("No listening socket" in r["info"] for r in rows), rows
    _wait("%s: BIRD without listening socket" % name, bird_failed)


def free_port(node, topo):
    name = node["name"]
    calico_service.stop(node)
    pid = host.service_pid(name, PORT_HOLDER)
    if pid:
        netns.kill([pid])
        netns.wait_gone([pid], 5)
    calico_service.start(node, topo)
    _wait_healed(topo, node)


# ------------------------------------------------------------------------------ hostname-change
def _set_hostname(name, new):
    host.in_host(name, ["hostname", new])


def rename_host(node, topo):
    name = node["name"]
    mark = calico_service.log_mark(node)
    calico_service.stop(node)
    _set_hostname(name, RENAMED % name)
    calico_service.start(node, topo)
    _wait("%s: calico-node hits the address conflict" % name,
          lambda: ("already using the IPv4 address" in calico_service.log(node, mark), calico_service.log(node, mark)[-300:]))


def restore_hostname(node, topo):
    calico_service.stop(node)
    _set_hostname(node["name"], node["name"])
    calico_service.start(node, topo)
    _wait_healed(topo, node)


# ------------------------------------------------------------------------------ mtu
def _set_mtu(node, mtu):
    host.in_host(node["name"], ["ip", "link", "set", "dev", node["nic"], "mtu", str(mtu)])


def lower_mtu(node, topo):
    _set_mtu(node, LOW_MTU)


def restore_mtu(node, topo):
    _set_mtu(node, DEFAULT_MTU)


FAULTS = {
    "bgp-blocked": (block_bgp, unblock_bgp),
    "as-mismatch": (as_mismatch, as_restore),
    "port-taken": (take_port, free_port),
    "hostname-change": (rename_host, restore_hostname),
    "mtu": (lower_mtu, restore_mtu),
}


# ------------------------------------------------------------------------------ remove
def remove(name):
    """Host NAME is gone for good: every process of it stops, its namespace goes, and the
    inventory no longer lists it. Its Calico node and blocks stay in etcd (stale)."""
    current = state_mod.load()
    if not current:
        raise LabError("no lab is up")
    topo = current["topology"]
    node = node_by_name(topo, name)
    if node["control_plane"]:
        raise LabError("%s runs etcd (the control plane): removing it would remove the datastore" % name)
    if node["docker"]:
        docker_engine.stop(name)
    victims = netns.pids_in(netns_of(name)) | host.holder_family(name)
    netns.kill(victims)
    left = netns.wait_gone(victims, 10)
    if left:
        raise LabError("remove %s: processes survived SIGKILL: %s" % (name, sorted(left)))
    for line in open("/proc/self/mounts", encoding="utf-8").read().splitlines():
        point = line.split()[1]
        if point.startswith(host_dir(name) + "/"):
            state_mod.run(["umount", "-l", point], check=False)
    netns.delete(netns_of(name))
    current.setdefault("topology_full", json.loads(json.dumps(topo)))   # what `lab reset` brings back
    topo["nodes"] = [n for n in topo["nodes"] if n["name"] != name]
    current.setdefault("removed", []).append(name)
    state_mod.save(current)
    inventory.write(topo)
    return node
