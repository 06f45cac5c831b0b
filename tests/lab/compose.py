"""`lab compose NODE up NAME SUBNET [--containers N]` and `lab compose NODE down NAME`: a Docker
bridge network made or removed at runtime through that host's dockerd, as `docker compose up`
and `docker compose down` do. The lab's state keeps the host's networks in step, so an outage
expects Docker to recreate them. Nothing waits for calico-node: what it does about the new
bridge (nothing before the next start, or a move within the poll interval where the address
monitor runs) is for the caller to watch.
"""
import time

import docker_engine
import state
import topology
from state import LabError, say


def _with_networks(current, node_name, networks):
    """The lab's topology with NODE_NAME's networks replaced, validated like a topology file."""
    topo = current["topology"]
    raw = {key: value for key, value in topo.items() if key != "controller_ip"}
    raw["nodes"] = [dict(n, docker_networks=networks) if n["name"] == node_name else n for n in topo["nodes"]]
    try:
        return topology.validate(raw)
    except topology.TopologyError as exc:
        raise LabError("compose %s: %s" % (node_name, exc)) from None


def _docker_node(topo, node_name):
    node = topology.node_by_name(topo, node_name)
    if not node["docker"]:
        raise LabError("%s has no Docker engine (docker: false)" % node_name)
    return node


def _reconciled(current, node_name):
    """NODE_NAME's lab networks that its engine still has (a test or remediate may have
    removed one with `docker network rm`)."""
    node = _docker_node(current["topology"], node_name)
    have = set(docker_engine.docker(node_name, "network", "ls", "--format", "{{.Name}}").stdout.split())
    kept = [net for net in node["docker_networks"] if net["name"] in have]
    if len(kept) != len(node["docker_networks"]):
        current["topology"] = _with_networks(current, node_name, kept)
        node = topology.node_by_name(current["topology"], node_name)
    return node


def up(node_name, name, subnet, containers=0):
    current = state.loaded()
    node = _reconciled(current, node_name)
    if any(net["name"] == name for net in node["docker_networks"]):
        raise LabError("compose %s: docker network %s exists already" % (node_name, name))
    net = {"name": name, "subnet": subnet, "containers": containers, "bridge_name": None}
    topo = _with_networks(current, node_name, node["docker_networks"] + [net])
    net = next(n for n in topology.node_by_name(topo, node_name)["docker_networks"] if n["name"] == name)
    started = time.time()
    docker_engine.create_network(node_name, net)
    current["topology"] = topo
    state.save(current)
    say("compose %s: docker network %s (%s) on bridge %s, %d container(s), up in %.1fs"
        % (node_name, name, net["subnet"], docker_engine.bridge_of(node_name, name), containers, time.time() - started))


def down(node_name, name):
    current = state.loaded()
    node = _reconciled(current, node_name)
    if not any(net["name"] == name for net in node["docker_networks"]):
        raise LabError("compose %s: no docker network %s made by the lab (has: %s)"
                       % (node_name, name, ", ".join(n["name"] for n in node["docker_networks"]) or "none"))
    bridge = docker_engine.bridge_of(node_name, name)
    removed = docker_engine.remove_network(node_name, name)
    current["topology"] = _with_networks(current, node_name, [n for n in node["docker_networks"] if n["name"] != name])
    state.save(current)
    say("compose %s: docker network %s removed with bridge %s and %d container(s)" % (node_name, name, bridge, len(removed)))
