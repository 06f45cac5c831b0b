"""`lab up`, `lab down`, `lab reset`: building the whole lab from a topology and removing it.

Order matters in `up`: every calico-node registers before the topology's Docker networks
exist, so first-found sees only the NIC; the bridges are a latent risk until a reboot.
"""
import ipaddress
import os
import shutil
import time

import calico_service
import convergence
import docker_engine
import etcd
import host
import inventory
import netns
import procfs
from state import (CONTROLLER_NS, INVENTORY, PREFIX, STATE, SWITCH_NS, LabError, loaded, netns_of,
                   parallel, run, say)
import state as state_mod
from topology import control_plane

ETC_CALICO_MARK = os.path.join(host.ETC_CALICO, ".meshdoctor-lab-created")
CGROUP2 = "/sys/fs/cgroup/unified"


# ------------------------------------------------------------------------------ up
def up(topo, topo_path):
    start = time.time()
    wanted = [SWITCH_NS, CONTROLLER_NS] + [netns_of(n["name"]) for n in topo["nodes"]]
    if state_mod.load() or netns.lab_namespaces() or any(netns.exists(ns) for ns in wanted):
        raise LabError("a lab is already up (or left over): run `lab down` first")
    os.makedirs(STATE, exist_ok=True)
    current = {"topology": topo, "topology_path": os.path.abspath(topo_path), "created_etc_calico": False,
               "started": start}
    state_mod.save(current)
    if host.ensure_etc_calico_mountpoint():
        open(ETC_CALICO_MARK, "w").close()
        current["created_etc_calico"] = True
        state_mod.save(current)

    nodes, cp = topo["nodes"], control_plane(topo)
    prefixlen = ipaddress.ip_network(topo["lan"]).prefixlen
    host.ensure_user_key()
    docker_engine.build_rootfs_tar()

    say("network: switch %s, controller %s/%d" % (SWITCH_NS, topo["controller_ip"], prefixlen))
    current["namespaces"] = wanted  # recorded first, so `down` finds them after a failure
    state_mod.save(current)
    netns.make_switch()
    netns.add(CONTROLLER_NS)
    netns.cable(CONTROLLER_NS, "eth0", PREFIX + "pctl", "%s/%d" % (topo["controller_ip"], prefixlen))
    for index, node in enumerate(nodes):
        netns.add(netns_of(node["name"]))
        netns.cable(netns_of(node["name"]), node["nic"], "%sp%d" % (PREFIX, index), "%s/%d" % (node["ip"], prefixlen))

    def boot(node):
        host.prepare(node)
        host.start_holder(node)
        host.start_sshd(node)
        if node["control_plane"]:
            etcd.start(node)
        if node["docker"]:
            docker_engine.start(node["name"])
    parallel(boot, nodes)
    etcd.wait_ready(cp["name"])
    say("hosts: %d namespaces with sshd; etcd on %s (%.1fs)" % (len(nodes), cp["name"], time.time() - start))

    def engine(node):
        if node["docker"]:
            docker_engine.wait_ready(node["name"])
            docker_engine.import_images(node["name"], topo["calico_version"])
    parallel(engine, nodes)
    calico_nodes = convergence.calico_nodes(topo)
    parallel(lambda n: calico_service.start(n, topo), calico_nodes)
    convergence.wait_registered(topo, calico_nodes)
    say("calico-node registered on %d hosts (%.1fs)" % (len(calico_nodes), time.time() - start))

    parallel(docker_engine.create_networks, [n for n in nodes if n["docker_networks"]])
    inventory.write(topo)
    convergence.wait_converged(topo, timeout=max(60, 90 - (time.time() - start)))
    sessions = len(calico_nodes) * (len(calico_nodes) - 1)
    mesh = "VXLAN (no BIRD)" if convergence.vxlan(topo) else "%d/%d BGP sessions Established" % (sessions, sessions)
    say("lab up: %d hosts, %s, every block routed, in %.1fs" % (len(nodes), mesh, time.time() - start))
    say("inventory: %s" % INVENTORY)


# ------------------------------------------------------------------------------ down
def down():
    current = state_mod.load() or {}
    names = set(current.get("namespaces") or [])
    namespaces = sorted(n for n in names | set(netns.lab_namespaces()) | {SWITCH_NS, CONTROLLER_NS} if netns.exists(n))
    victims = set()
    for ns in namespaces:
        victims |= netns.pids_in(ns)
    victims |= set(_lab_processes())
    victims -= procfs.ancestors()  # never the CLI itself or whatever called it
    netns.kill(victims)
    left = netns.wait_gone(victims, 10)
    _remove_cgroups()
    for ns in namespaces:
        netns.delete(ns)
    with open("/proc/self/mounts", encoding="utf-8") as handle:
        mounts = handle.read().splitlines()
    for line in mounts:
        point = line.split()[1]
        if point.startswith(STATE + "/"):
            run(["umount", "-l", point], check=False)
    shutil.rmtree(STATE, ignore_errors=True)
    if os.path.exists(ETC_CALICO_MARK):
        os.unlink(ETC_CALICO_MARK)
        try:
            os.rmdir(host.ETC_CALICO)
        except OSError:
            pass
    remaining = netns.lab_namespaces()
    if remaining or left:
        raise LabError("down: could not remove %s" % (remaining or sorted(left)))
    say("lab down: %d processes stopped, namespaces removed, %s removed" % (len(victims), STATE))


def _lab_processes():
    """Processes that name the lab in their command line (holders, or anything started
    with a path under the state dir), even outside lab namespaces."""
    for pid in procfs.pids():
        cmd = procfs.cmdline(pid)
        if cmd.startswith(PREFIX + "init-") or STATE + "/" in cmd:
            yield pid


def _remove_cgroups():
    # Containers' cgroups live in the shared cgroup2 hierarchy; remove those of lab engines.
    root = os.path.join(CGROUP2, "docker")
    for container_dir in _lab_container_ids():
        path = os.path.join(root, container_dir)
        if os.path.isdir(path):
            for _attempt in range(20):
                try:
                    os.rmdir(path)
                    break
                except OSError:
                    time.sleep(0.1)
    try:
        os.rmdir(root)  # only when empty: another engine may still use it
    except OSError:
        pass


def _lab_container_ids():
    hosts_dir = os.path.join(STATE, "hosts")
    try:
        names = os.listdir(hosts_dir)
    except OSError:
        return []
    ids = []
    for name in names:
        try:
            ids += os.listdir(os.path.join(hosts_dir, name, "docker", "containers"))
        except OSError:
            pass
    return ids


# ------------------------------------------------------------------------------ reset
def reset():
    """down + up with the same topology (for tests that need a healthy lab again)."""
    current = loaded()
    # after `lab remove`, the topology as it was before (the removed hosts come back)
    path, topo = current["topology_path"], current.get("topology_full") or current["topology"]
    down()
    up(topo, path)
