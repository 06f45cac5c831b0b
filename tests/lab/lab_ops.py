"""What each CLI subcommand does: up, down, outage, fault/heal, status, shell.

Order matters in `up`: every calico-node registers before the topology's Docker networks
exist, so first-found sees only the NIC; the bridges are a latent risk until a reboot.
"""
import concurrent.futures
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import time

import bird_status
import docker_engine
import etcd
import host
import inventory
import netns
from state import (CONTROLLER_NS, INVENTORY, PREFIX, REPO, STATE, SWITCH_NS, LabError,
                   host_dir, netns_of, run)
import state as state_mod
from topology import control_plane

ETC_CALICO_MARK = os.path.join(host.ETC_CALICO, ".meshdoctor-lab-created")
PROGRAM = os.path.join(docker_engine.PROGRAM_DIR, "calico-node")
CGROUP2 = "/sys/fs/cgroup/unified"


def say(msg):
    print(msg, flush=True)


def _parallel(func, items):
    """Run FUNC over ITEMS in threads -> their results in ITEMS' order; re-raise the first error."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(8, len(items)))) as pool:
        return [future.result() for future in [pool.submit(func, item) for item in items]]


def loaded():
    current = state_mod.load()
    if not current:
        raise LabError("no lab is up (no %s); run `lab up TOPOLOGY.yml`" % state_mod.STATE_FILE)
    return current


def node_by_name(topo, name):
    for node in topo["nodes"]:
        if node["name"] == name:
            return node
    raise LabError("no host named %r in the lab (hosts: %s)" % (name, ", ".join(n["name"] for n in topo["nodes"])))


# ------------------------------------------------------------------------------ calico-node
def calico_env(node, topo):
    cp = control_plane(topo)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "NODENAME": node["name"], "IP": "autodetect", "CALICO_NETWORKING_BACKEND": "bird",
           "ETCD_ENDPOINTS": "http://%s:2379" % cp["ip"], "CALICO_VERSION": topo["calico_version"],
           "AS_NUMBER": str(topo["as_number"]), "CALICO_IPV4POOL_CIDR": topo["pool"],
           "CALICO_LAB_BLOCK": node["block"]}
    if node["autodetection"] != "first-found":
        env["IP_AUTODETECTION_METHOD"] = node["autodetection"]
    return env


def light_log(name):
    # Seen inside the host as /var/run/calico/calico-node.log.
    return host_dir(name, "run", "calico", "calico-node.log")


def start_calico_node(node, topo):
    if node["docker"]:
        if docker_engine.docker(node["name"], "inspect", "calico-node", check=False).returncode == 0:
            docker_engine.docker(node["name"], "start", "calico-node")
        else:
            docker_engine.run_calico_node(node, topo, control_plane(topo)["ip"])
    else:
        host.spawn(node["name"], "calico-node", ["/usr/bin/python3", "-u", PROGRAM],
                   env=calico_env(node, topo), log_path=light_log(node["name"]))


def stop_calico_node(node):
    if node["docker"]:
        docker_engine.docker(node["name"], "stop", "-t", "5", "calico-node", check=False)
    else:
        pid = host.service_pid(node["name"], "calico-node")
        if pid:
            netns.kill([pid], signal.SIGTERM)
            if netns.wait_gone([pid], 5):
                netns.kill([pid] + list(netns.descendants({pid})))


def log_mark(node):
    """A point in calico-node's log to read from later: a time (docker) or an offset (file)."""
    if node["docker"]:
        return time.time()
    try:
        return os.path.getsize(light_log(node["name"]))
    except OSError:
        return 0


def calico_log(node, mark=None):
    """calico-node's log: `docker logs` (docker hosts) or the log file (light hosts),
    from MARK (see log_mark) on."""
    if node["docker"]:
        return docker_engine.logs(node["name"], since="%.3f" % mark if mark else None)
    try:
        with open(light_log(node["name"]), encoding="utf-8", errors="replace") as handle:
            handle.seek(mark or 0)
            return handle.read()
    except OSError:
        return ""


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
    _parallel(boot, nodes)
    etcd.wait_ready(cp["name"])
    say("hosts: %d namespaces with sshd; etcd on %s (%.1fs)" % (len(nodes), cp["name"], time.time() - start))

    def engine(node):
        if node["docker"]:
            docker_engine.wait_ready(node["name"])
            docker_engine.import_images(node["name"], topo["calico_version"])
    _parallel(engine, nodes)
    calico_nodes = [n for n in nodes if n["calico"]]
    _parallel(lambda n: start_calico_node(n, topo), calico_nodes)
    wait_registered(topo, calico_nodes)
    say("calico-node registered on %d hosts (%.1fs)" % (len(calico_nodes), time.time() - start))

    _parallel(docker_engine.create_networks, [n for n in nodes if n["docker_networks"]])
    inventory.write(topo)
    wait_converged(topo, timeout=max(60, 90 - (time.time() - start)))
    sessions = len(calico_nodes) * (len(calico_nodes) - 1)
    say("lab up: %d hosts, %d/%d BGP sessions Established, every block routed, in %.1fs"
        % (len(nodes), sessions, sessions, time.time() - start))
    say("inventory: %s" % INVENTORY)


def wait_registered(topo, calico_nodes, timeout=60):
    cp = control_plane(topo)["name"]
    deadline = time.time() + timeout
    missing = [n["name"] for n in calico_nodes]
    while time.time() < deadline:
        addresses = etcd.node_addresses(cp)
        missing = []
        for node in calico_nodes:
            text = calico_log(node)
            if "[FATAL]" in text:
                raise LabError("calico-node on %s exited: %s" % (node["name"], [l for l in text.splitlines() if "[FATAL]" in l][-1]))
            if not addresses.get(node["name"]) or "Calico node started successfully" not in text:
                missing.append(node["name"])
        if not missing:
            return
        time.sleep(0.3)
    details = "; ".join("%s: %s" % (m, calico_log(node_by_name(topo, m)).strip().splitlines()[-1:] or "no log")
                        for m in missing)
    raise LabError("calico-node did not register in etcd on: %s (%s)" % (", ".join(missing), details))


def session_table(topo):
    """{host: [protocol rows] or None (BIRD down)} for hosts with calico."""
    return {n["name"]: bird_status.protocols(n["name"]) for n in topo["nodes"] if n["calico"]}


def session_gaps(topo):
    """The directed sessions of a full mesh that are not Established, one line per host."""
    want = sum(1 for n in topo["nodes"] if n["calico"]) - 1
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


def host_route_gaps(node, calico_nodes):
    """What NODE's kernel lacks of a settled mesh: a `proto bird` route to every other
    calico host's block via that host's LAN address, and the blackhole for its own block."""
    proc = host.in_host(node["name"], ["ip", "-j", "route", "show", "proto", "bird"], check=False)
    try:
        routes = json.loads(proc.stdout or "[]")
    except ValueError:
        return ["%s: `ip -j route` printed no JSON (%s)" % (node["name"], (proc.stderr or proc.stdout).strip()[:100])]
    have = {(r.get("dst"), r.get("type", "unicast"), r.get("gateway")) for r in routes}
    gaps = []
    for other in calico_nodes:
        if other["name"] == node["name"]:
            if (node["block"], "blackhole", None) not in have:
                gaps.append("%s: no blackhole for its own block %s" % (node["name"], node["block"]))
        elif (other["block"], "unicast", other["ip"]) not in have:
            gaps.append("%s: no route to %s's block %s via %s" % (node["name"], other["name"], other["block"], other["ip"]))
    return gaps


def route_gaps(topo):
    calico_nodes = [n for n in topo["nodes"] if n["calico"]]
    per_host = _parallel(lambda n: host_route_gaps(n, calico_nodes), calico_nodes)
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


# ------------------------------------------------------------------------------ outage
def _links(name):
    out = host.in_host(name, ["ip", "-details", "-json", "link", "show"]).stdout
    return json.loads(out or "[]")


def outage(name):
    """Power cut + reboot of NAME: everything but its sshd dies, virtual links and BIRD's
    kernel routes vanish, /run's Docker state is wiped; then the engine (which recreates its
    networks' bridges with new, higher ifindexes) and calico-node start again."""
    current = loaded()
    topo = current["topology"]
    node = node_by_name(topo, name)
    ns = netns_of(name)
    t0 = time.time()
    mark = log_mark(node)
    sshd = host.service_pid(name, "sshd")
    # The power cut spares only the namespace holder and sshd (with its sessions and the
    # nsenter that waits for it), so the lab keeps its handle on the host.
    keep = host.holder_family(name)
    if sshd:
        keep |= {sshd} | netns.descendants({sshd}) | {_ppid(sshd)}
    victims = netns.pids_in(ns) - keep
    netns.kill(victims)
    left = netns.wait_gone(victims, 10)
    if left:
        raise LabError("outage %s: processes survived SIGKILL: %s" % (name, sorted(left)))
    say("outage %s: power cut (%d processes killed)" % (name, len(victims)))
    # What does not survive a reboot: virtual links, BIRD's routes, /run contents.
    nic_index = None
    for link in _links(name):
        kind = (link.get("linkinfo") or {}).get("info_kind")
        if link["ifname"] == node["nic"]:
            nic_index = link["ifindex"]
        elif link["ifname"] != "lo" and kind in ("bridge", "veth", "vxlan", "dummy", "ipip"):
            host.in_host(name, ["ip", "link", "del", link["ifname"]], check=False)
    host.in_host(name, ["ip", "route", "flush", "proto", "bird"], check=False)
    if node["docker"]:
        docker_engine.clear_runtime_state(name)
    try:
        os.unlink(bird_status.socket_path(name))
    except OSError:
        pass

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
        start_calico_node(node, topo)
    if node["calico"]:
        wait_after_restart(topo, node, mark)
    say("outage %s: done in %.1fs" % (name, time.time() - t0))


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


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


DETECT_RE = re.compile(r"Using autodetected IPv4 address.*?(\d+\.\d+\.\d+\.\d+/\d+)")


def wait_after_restart(topo, node, mark, timeout=60):
    """Wait until NODE's calico-node re-detected and stored its address, its BIRD runs with
    it as router id, and every other host re-rendered its mesh and settled."""
    name, cp = node["name"], control_plane(topo)["name"]
    deadline = time.time() + timeout
    detected, reason = None, "no autodetection logged yet"
    while time.time() < deadline:
        text = calico_log(node, mark)
        if "FATAL" in text or "Invalid IP autodetection method" in text:
            raise LabError("outage %s: calico-node failed: %s" % (name, [l for l in text.splitlines() if "FATAL" in l or "WARNING" in l][-2:]))
        found = DETECT_RE.findall(text)
        if found:
            detected = found[-1]
            ip = detected.split("/")[0]
            stored = etcd.node_addresses(cp).get(name)
            rid = bird_status.router_id(name)
            others_ok, routes_ok = True, True
            for other in topo["nodes"]:
                if other["name"] == name or not other["calico"]:
                    continue
                rows = bird_status.protocols(other["name"]) or []
                peers = {r["peer"] for r in rows}
                if ip not in peers or len(rows) != len([n for n in topo["nodes"] if n["calico"]]) - 1:
                    others_ok = False
                route = host.in_host(other["name"], ["ip", "route", "show", node["block"]]).stdout.strip()
                healthy = ip == node["ip"]
                if healthy and not route or not healthy and route:
                    routes_ok = False
            own = host.in_host(name, ["ip", "route", "show", node["block"]]).stdout
            reason = "etcd has %s, router id %s, peers re-rendered %s, routes settled %s, own blackhole %s" % (
                stored, rid, others_ok, routes_ok, "blackhole" in own)
            if stored == detected and rid == ip and others_ok and routes_ok and "blackhole" in own:
                say("outage %s: calico-node detected %s; BIRD router id %s; peers updated" % (name, detected, rid))
                if ip == node["ip"]:
                    wait_converged(topo, timeout=max(10, deadline - time.time()))
                return detected
        time.sleep(0.5)
    raise LabError("outage %s: state did not settle in %ds (%s)" % (name, timeout, reason))


# ------------------------------------------------------------------------------ fault / heal
SERVICES = ("sshd", "calico-node", "docker", "etcd")


def fault(name, service):
    topo = loaded()["topology"]
    node = node_by_name(topo, name)
    _check_service(node, service)
    if service == "sshd":
        _kill_service(name, "sshd")
    elif service == "calico-node":
        stop_calico_node(node)
    elif service == "docker":
        docker_engine.stop(name)
        _kill_service(name, "dockerd")
    elif service == "etcd":
        _kill_service(name, "etcd")
    say("%s: %s stopped" % (name, service))


def heal(name, service):
    topo = loaded()["topology"]
    node = node_by_name(topo, name)
    _check_service(node, service)
    if service == "sshd":
        if not host.service_pid(name, "sshd"):
            host.start_sshd(node)
    elif service == "calico-node":
        if node["docker"] or not host.service_pid(name, "calico-node"):
            start_calico_node(node, topo)
    elif service == "docker":
        if not host.service_pid(name, "dockerd"):
            docker_engine.clear_runtime_state(name)
            docker_engine.start(name)
            docker_engine.wait_ready(name)
    elif service == "etcd":
        if not host.service_pid(name, "etcd"):
            etcd.start(node)
            etcd.wait_ready(name)
    say("%s: %s started" % (name, service))


def _check_service(node, service):
    if service not in SERVICES:
        raise LabError("unknown service %r (one of %s)" % (service, ", ".join(SERVICES)))
    if service == "docker" and not node["docker"]:
        raise LabError("%s has no Docker engine (docker: false)" % node["name"])
    if service == "etcd" and not node["control_plane"]:
        raise LabError("%s does not run etcd (not the control plane)" % node["name"])
    if service == "calico-node" and not node["calico"]:
        raise LabError("%s runs no calico-node (calico: false)" % node["name"])


def _kill_service(name, service):
    pid = host.service_pid(name, service)
    if pid:
        netns.kill([pid], signal.SIGTERM)
        if netns.wait_gone([pid], 10):
            netns.kill([pid])
            netns.wait_gone([pid], 5)


# ------------------------------------------------------------------------------ down
def down():
    current = state_mod.load() or {}
    names = set(current.get("namespaces") or [])
    namespaces = sorted(n for n in names | set(netns.lab_namespaces()) | {SWITCH_NS, CONTROLLER_NS} if netns.exists(n))
    victims = set()
    for ns in namespaces:
        victims |= netns.pids_in(ns)
    victims |= set(_lab_processes())
    victims -= _ancestors()  # never the CLI itself or whatever called it
    netns.kill(victims)
    left = netns.wait_gone(victims, 10)
    _remove_cgroups()
    for ns in namespaces:
        netns.delete(ns)
    for line in open("/proc/self/mounts", encoding="utf-8").read().splitlines():
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


def _ancestors():
    out, pid = set(), os.getpid()
    while pid > 1:
        out.add(pid)
        try:
            with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            break
    return out


def _lab_processes():
    """Processes that name the lab in their command line (holders, or anything started
    with a path under the state dir), even outside lab namespaces."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                cmd = handle.read().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith(PREFIX + "init-") or STATE + "/" in cmd:
            yield int(entry)


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


# ------------------------------------------------------------------------------ status / shell
def status():
    current = loaded()
    topo = current["topology"]
    out = {"controller_ip": topo["controller_ip"], "inventory": INVENTORY, "hosts": []}
    for node in topo["nodes"]:
        rows = bird_status.protocols(node["name"]) if node["calico"] else None
        out["hosts"].append({
            "name": node["name"], "ip": node["ip"], "netns": netns_of(node["name"]),
            "control_plane": node["control_plane"], "calico": node["calico"], "docker": node["docker"],
            "deployment": ("docker" if node["docker"] else "process") if node["calico"] else "none",
            "running": host.holder_pid(node["name"]) is not None,
            "bird_socket": bird_status.socket_path(node["name"]),
            "bird_running": rows is not None,
            "router_id": bird_status.router_id(node["name"]) if rows is not None else None,
            "sessions": rows or [],
        })
    out["established"] = sum(1 for h in out["hosts"] for r in h["sessions"] if r["info"].startswith("Established"))
    calico = sum(1 for n in topo["nodes"] if n["calico"])
    out["expected"] = calico * (calico - 1)
    # Hosts whose BIRD is down make gaps of their own; these are the routes a settled mesh has.
    out["route_gaps"] = route_gaps(topo)
    return out


def format_status(data):
    lines = ["%-10s %-16s %-16s %-6s %-20s %s" % ("HOST", "ADDRESS", "ROUTER ID", "BIRD", "PEER", "STATE / INFO")]
    for h in data["hosts"]:
        first = "%-10s %-16s %-16s %-6s" % (h["name"], h["ip"], h["router_id"] or "-",
                                            "up" if h["bird_running"] else "down")
        if not h["sessions"]:
            lines.append(first + " -")
        for i, r in enumerate(h["sessions"]):
            prefix = first if i == 0 else " " * len(first)
            lines.append("%s %-20s %s %s" % (prefix, r["peer"], r["state"], r["info"]))
    lines.append("Established: %d/%d directed sessions; inventory %s" % (data["established"], data["expected"], data["inventory"]))
    lines.append("Routes: %s" % ("every host routes every other host's block" if not data["route_gaps"]
                                 else "; ".join(data["route_gaps"])))
    return "\n".join(lines)


def shell(cmd):
    loaded()
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["MESHDOCTOR_LAB_INVENTORY"] = INVENTORY
    env["VIRTUAL_ENV"] = os.path.join(REPO, ".venv")
    # After the venv: ssh/scp/sftp wrappers that use the lab's key and ignore host keys, so
    # a plain `ssh root@<host ip>` works in the controller namespace.
    env["PATH"] = env["PATH"].replace(os.pathsep, os.pathsep + host.SSH_BIN + os.pathsep, 1)
    return subprocess.run(["ip", "netns", "exec", CONTROLLER_NS] + list(cmd), cwd=REPO, env=env, check=False).returncode


def reset():
    """down + up with the same topology (for tests that need a healthy lab again)."""
    current = loaded()
    path, topo = current["topology_path"], current["topology"]
    down()
    up(topo, path)
