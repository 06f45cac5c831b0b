"""Load and strictly validate a lab topology file.

Everything is checked before the lab creates anything, so a typo never leaves half a lab
behind. Errors are raised as TopologyError with a one-line message; the CLI exits 2.
"""
import ipaddress
import re

import yaml

from state import LabError

DEFAULT_AS = 64512
VERSION_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
NIC_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
# The values calico-node itself accepts (see calico_node/autodetect.py); others are refused
# here so that a topology cannot start a node that exits at once by accident. A test that
# wants an invalid method writes it into /etc/calico/calico.env instead.
METHOD_RE = re.compile(r"^(first-found|can-reach=.+|interface=.+|skip-interface=.+|cidr=.+)$")
FORBIDDEN_NET = ipaddress.ip_network("192.0.2.0/24")  # this machine's own uplink

TOP_KEYS = {"calico_version", "as_number", "pool", "lan", "nodes", "docker", "autodetect_poll_interval", "backend"}
# CALICO_NETWORKING_BACKEND: bird (BGP mesh, the default) or vxlan (no BIRD; calico_node/felix_vxlan.py).
BACKENDS = ("bird", "vxlan")
NODE_KEYS = {"name", "ip", "block", "control_plane", "nic", "autodetection", "calico",
             "docker", "docker_networks", "ip_env"}
DEFAULT_POLL_INTERVAL = 60  # seconds: calico-node's AUTODETECT_POLL_INTERVAL default
NET_KEYS = {"name", "subnet", "containers", "bridge_name"}


class TopologyError(ValueError):
    """A topology that the lab refuses; str() is the one-line message."""


def _net(value, what):
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError as exc:
        raise TopologyError(f"{what}: {value!r} is not an IPv4 network ({exc})") from None


def _ip(value, what):
    try:
        return ipaddress.IPv4Address(str(value))
    except ValueError:
        raise TopologyError(f"{what}: {value!r} is not an IPv4 address") from None


def _bool(value, what):
    if not isinstance(value, bool):
        raise TopologyError(f"{what}: expected true or false, got {value!r}")
    return value


def _unknown(data, allowed, where):
    if not isinstance(data, dict):
        raise TopologyError(f"{where}: expected a mapping, got {type(data).__name__}")
    extra = sorted(set(data) - allowed)
    if extra:
        raise TopologyError(f"{where}: unknown key(s) {', '.join(map(str, extra))}")


def _ip_env(value, where):
    """calico-node's IP: `autodetect` (re-detect at start and, with the monitor, every poll
    interval), `unset` (IP not set: the stored address is kept), or an IPv4 address."""
    if value in ("autodetect", "unset"):
        return value
    if isinstance(value, str):
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            pass
    raise TopologyError(f"{where}: ip_env {value!r} must be autodetect, unset or an IPv4 address")


def load(path):
    """Read and validate PATH; return the normalised topology dict."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise TopologyError(f"cannot read topology {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TopologyError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return validate(data)


def validate(data):
    """Return a normalised copy of DATA, or raise TopologyError."""
    _unknown(data, TOP_KEYS, "topology")
    for key in ("calico_version", "pool", "lan", "nodes"):
        if key not in data:
            raise TopologyError(f"topology: missing required key {key}")
    version = data["calico_version"]
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise TopologyError(f"calico_version: {version!r} is not a release like v3.24.5")
    as_number = data.get("as_number", DEFAULT_AS)
    if isinstance(as_number, bool) or not isinstance(as_number, int) or not 1 <= as_number <= 4294967295:
        raise TopologyError(f"as_number: {as_number!r} is not an AS number (1-4294967295)")
    pool = _net(data["pool"], "pool")
    lan = _net(data["lan"], "lan")
    if pool.version != 4 or lan.version != 4:
        raise TopologyError("pool and lan must be IPv4 networks")
    if lan.overlaps(FORBIDDEN_NET) or pool.overlaps(FORBIDDEN_NET):
        raise TopologyError("192.0.2.0/24 is this machine's uplink; the lab must not use it")
    if lan.overlaps(pool):
        raise TopologyError(f"lan {lan} overlaps pool {pool}")
    if lan.num_addresses < 4:
        raise TopologyError(f"lan {lan} is too small")
    default_docker = _bool(data.get("docker", True), "docker")
    poll = data.get("autodetect_poll_interval", DEFAULT_POLL_INTERVAL)
    if isinstance(poll, bool) or not isinstance(poll, int) or not 1 <= poll <= 3600:
        raise TopologyError(f"autodetect_poll_interval: {poll!r} is not a whole number of seconds (1-3600)")
    backend = data.get("backend", "bird")
    if backend not in BACKENDS:
        raise TopologyError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    nodes = data["nodes"]
    if not isinstance(nodes, list) or not nodes:
        raise TopologyError("nodes: expected a non-empty list")

    out_nodes, names, ips, blocks, bridge_names = [], set(), set(), [], set()
    for index, raw in enumerate(nodes):
        where = f"nodes[{index}]"
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            where = f"node {raw['name']}"
        _unknown(raw, NODE_KEYS, where)
        for key in ("name", "ip", "block"):
            if key not in raw:
                raise TopologyError(f"{where}: missing required key {key}")
        name = raw["name"]
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise TopologyError(f"{where}: name {name!r} must be lower-case letters, digits, '-' (max 32)")
        where = f"node {name}"
        if name in names:
            raise TopologyError(f"{where}: duplicate node name")
        names.add(name)
        ip = _ip(raw["ip"], f"{where}: ip")
        if ip not in lan or ip in (lan.network_address, lan.broadcast_address):
            raise TopologyError(f"{where}: ip {ip} is not a host address in lan {lan}")
        if ip in ips:
            raise TopologyError(f"{where}: duplicate ip {ip}")
        ips.add(ip)
        block = _net(raw["block"], f"{where}: block")
        if block.version != 4 or not block.subnet_of(pool):
            raise TopologyError(f"{where}: block {block} is outside pool {pool}")
        for other_name, other in blocks:
            if block.overlaps(other):
                raise TopologyError(f"{where}: block {block} overlaps block {other} of node {other_name}")
        blocks.append((name, block))
        nic = raw.get("nic", "eth0")
        if not isinstance(nic, str) or not NIC_RE.match(nic) or nic == "lo":
            raise TopologyError(f"{where}: nic {nic!r} is not a valid interface name")
        method = raw.get("autodetection", "first-found")
        if not isinstance(method, str) or not METHOD_RE.match(method):
            raise TopologyError(f"{where}: autodetection {method!r} is not a method calico-node accepts")
        ip_env = _ip_env(raw.get("ip_env", "autodetect"), where)
        docker = _bool(raw.get("docker", default_docker), f"{where}: docker")
        nets = raw.get("docker_networks", []) or []
        if not isinstance(nets, list):
            raise TopologyError(f"{where}: docker_networks must be a list")
        if nets and not docker:
            raise TopologyError(f"{where}: docker_networks need docker: true")
        out_nets, net_names = [], set()
        for n_index, net in enumerate(nets):
            n_where = f"{where}: docker_networks[{n_index}]"
            _unknown(net, NET_KEYS, n_where)
            for key in ("name", "subnet"):
                if key not in net:
                    raise TopologyError(f"{n_where}: missing required key {key}")
            n_name = net["name"]
            if not isinstance(n_name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", n_name):
                raise TopologyError(f"{n_where}: bad network name {n_name!r}")
            if n_name in net_names:
                raise TopologyError(f"{n_where}: duplicate network name {n_name}")
            net_names.add(n_name)
            subnet = _net(net["subnet"], f"{n_where}: subnet")
            for clash, label in ((lan, "lan"), (pool, "pool"), (FORBIDDEN_NET, "192.0.2.0/24")):
                if subnet.overlaps(clash):
                    raise TopologyError(f"{n_where}: subnet {subnet} overlaps {label} {clash}")
            for other in out_nets:
                if subnet.overlaps(ipaddress.ip_network(other["subnet"])):
                    raise TopologyError(f"{n_where}: subnet {subnet} overlaps network {other['name']}")
            containers = net.get("containers", 0)
            if isinstance(containers, bool) or not isinstance(containers, int) or not 0 <= containers <= 20:
                raise TopologyError(f"{n_where}: containers must be an integer 0-20")
            bridge = net.get("bridge_name")
            if bridge is not None:
                if not isinstance(bridge, str) or not NIC_RE.match(bridge):
                    raise TopologyError(f"{n_where}: bridge_name {bridge!r} is not a valid interface name")
                if bridge in bridge_names or bridge == nic:
                    raise TopologyError(f"{n_where}: bridge_name {bridge} is already used")
                bridge_names.add(bridge)
            out_nets.append({"name": n_name, "subnet": str(subnet), "containers": containers,
                             "bridge_name": bridge})
        out_nodes.append({
            "name": name, "ip": str(ip), "block": str(block), "nic": nic,
            "control_plane": _bool(raw.get("control_plane", False), f"{where}: control_plane"),
            "autodetection": method, "ip_env": ip_env,
            "calico": _bool(raw.get("calico", True), f"{where}: calico"),
            "docker": docker, "docker_networks": out_nets,
        })
    cps = [n for n in out_nodes if n["control_plane"]]
    if len(cps) > 1:
        raise TopologyError("only one node may have control_plane: true")
    if not cps:
        out_nodes[0]["control_plane"] = True
    hosts = list(lan.hosts())
    free = [h for h in reversed(hosts) if str(h) not in {n["ip"] for n in out_nodes}]
    if not free:
        raise TopologyError(f"lan {lan} has no free address left for the controller")
    return {
        "calico_version": version, "as_number": as_number, "pool": str(pool), "lan": str(lan),
        "autodetect_poll_interval": poll, "nodes": out_nodes, "controller_ip": str(free[0]), "backend": backend,
    }


def control_plane(topo):
    """The node that runs etcd."""
    return next(n for n in topo["nodes"] if n["control_plane"])


def node_by_name(topo, name):
    for node in topo["nodes"]:
        if node["name"] == name:
            return node
    raise LabError("no host named %r in the lab (hosts: %s)" % (name, ", ".join(n["name"] for n in topo["nodes"])))
