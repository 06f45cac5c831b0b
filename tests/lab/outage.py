"""`lab outage NODE`: a power cut and reboot of one host, the seed incident (README.md, "Outage")."""
import json
import os
import time

import bird_status
import calico_service
import convergence
import docker_engine
import etcd
import host
import netns
import procfs
from state import LabError, loaded, netns_of, say
from topology import node_by_name


def _links(name):
    out = host.in_host(name, ["ip", "-details", "-json", "link", "show"]).stdout
    return json.loads(out or "[]")


def outage(name):
    """Power cut + reboot of NAME: everything but its sshd dies, virtual links and BIRD's
    kernel routes vanish, /run's Docker state is wiped; then the engine (which recreates its
    networks' bridges with new, higher ifindexes) and calico-node start again."""
    topo = loaded()["topology"]
    node = node_by_name(topo, name)
    t0 = time.time()
    mark = calico_service.log_mark(node)
    _power_cut(node)
    nic_index = _forget_runtime_state(node)

    say("outage %s: booting" % name)
    if node["control_plane"]:
        etcd.start(node)
        etcd.wait_ready(name)
    if node["docker"]:
        docker_engine.start(name)
        docker_engine.wait_ready(name)
        check_bridges_recreated(node, nic_index)
        if node["calico"]:
            _ensure_container_running(name)
    elif node["calico"]:
        calico_service.start(node, topo)
    if node["calico"]:
        convergence.wait_after_restart(topo, node, mark)
    say("outage %s: done in %.1fs" % (name, time.time() - t0))


def _power_cut(node):
    # The power cut spares only the namespace holder and sshd (with its sessions and the
    # nsenter that waits for it), so the lab keeps its handle on the host.
    name = node["name"]
    sshd = host.service_pid(name, "sshd")
    keep = host.holder_family(name)
    if sshd:
        keep |= {sshd} | netns.descendants({sshd}) | {procfs.ppid(sshd)}
    victims = netns.pids_in(netns_of(name)) - keep
    netns.kill(victims)
    left = netns.wait_gone(victims, 10)
    if left:
        raise LabError("outage %s: processes survived SIGKILL: %s" % (name, sorted(left)))
    say("outage %s: power cut (%d processes killed)" % (name, len(victims)))


def _forget_runtime_state(node):
    """What does not survive a reboot: virtual links, BIRD's routes, /run contents.
    -> the NIC's ifindex (None if it has none)."""
    name, nic_index = node["name"], None
    for link in _links(name):
        kind = (link.get("linkinfo") or {}).get("info_kind")
        if link["ifname"] == node["nic"]:
            nic_index = link["ifindex"]
        elif link["ifname"] != "lo" and kind in ("bridge", "veth", "vxlan", "dummy", "ipip"):
            host.in_host(name, ["ip", "link", "del", link["ifname"]], check=False)
    host.in_host(name, ["ip", "route", "flush", "proto", "bird"], check=False)
    host.in_host(name, ["ip", "route", "flush", "proto", "80"], check=False)     # felix's (backend: vxlan)
    if node["docker"]:
        docker_engine.clear_runtime_state(name)
    try:
        os.unlink(bird_status.socket_path(name))
    except OSError:
        pass
    return nic_index


def check_bridges_recreated(node, nic_index, timeout=20):
    """Docker restores its networks at start: each must have a bridge again, created after
    (so with a higher ifindex than) the NIC, as on a real boot."""
    name = node["name"]
    deadline = time.time() + timeout
    while True:
        nets = {}
        for net in node["docker_networks"]:
            inspect = docker_engine.docker(name, "network", "inspect", "-f", "{{.Id}}", net["name"], check=False)
            nets[net["name"]] = net["bridge_name"] or "br-" + inspect.stdout.strip()[:12]
        links = {l["ifname"]: l["ifindex"] for l in _links(name)}
        missing = [b for b in nets.values() if b not in links]
        if not missing:
            for net_name, bridge in nets.items():
                if nic_index is not None and links[bridge] <= nic_index:
                    raise LabError("outage %s: bridge %s has ifindex %d, not above the NIC's %d" % (name, bridge, links[bridge], nic_index))
                say("outage %s: Docker recreated %s for %s (ifindex %d)" % (name, bridge, net_name, links[bridge]))
            return
        if time.time() > deadline:
            raise LabError("outage %s: Docker did not recreate bridge(s) %s" % (name, ", ".join(missing)))
        time.sleep(0.2)


def _ensure_container_running(name, timeout=15):
    # `--restart always` brings calico-node back when the engine starts; start it if not.
    deadline = time.time() + timeout
    while time.time() < deadline:
        proc = docker_engine.docker(name, "inspect", "-f", "{{.State.Running}}", "calico-node", check=False)
        if proc.stdout.strip() == "true":
            return
        time.sleep(0.3)
    docker_engine.docker(name, "start", "calico-node")
