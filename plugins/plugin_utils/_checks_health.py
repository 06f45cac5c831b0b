# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can we see the node, and is Calico running on it? One check per function."""
from __future__ import annotations

from ._findings import finding


def check_collection(cluster):
    """HOST_UNREACHABLE / COLLECTION_FAILED: the hosts we have no facts from."""
    out = []
    for node in cluster.nodes:
        if node.status == "unreachable":
            out.append(finding(
                "HOST_UNREACHABLE", node.name,
                "%s: Ansible could not reach host %s (%s); its side of the mesh was not checked"
                % (node.name, node.host, node.status_msg or "unreachable"),
                {"host": node.host, "msg": node.status_msg}))
        elif node.status == "failed":
            out.append(finding(
                "COLLECTION_FAILED", node.name,
                "%s: node_facts failed on host %s (%s); its side of the mesh was not checked"
                % (node.name, node.host, node.status_msg or "no facts"),
                {"host": node.host, "msg": node.status_msg}))
    return out


def check_calico_node(cluster):
    """CALICO_NODE_DOWN: calico-node is not running."""
    out = []
    for node in cluster.nodes:
        if node.facts is None or node.calico_running is not False:
            continue
        calico = node.calico
        out.append(finding(
            "CALICO_NODE_DOWN", node.name,
            "%s: calico-node is not running (%s)" % (node.name, calico.get("reason") or "no reason given"),
            {"deployment": calico.get("deployment"), "reason": calico.get("reason"),
             "container_id": calico.get("container_id"), "image": calico.get("image")}))
    return out


def check_bird(cluster):
    """BIRD_UNREACHABLE: calico-node runs (or we cannot tell) but BIRD's socket does not answer.

    When calico-node is down, BIRD being silent is implied and not reported again.
    """
    out = []
    for node in cluster.nodes:
        if node.facts is None or node.bird_running or node.calico_running is False:
            continue
        bird = node.bird or {}
        out.append(finding(
            "BIRD_UNREACHABLE", node.name,
            "%s: BIRD does not answer on %s (%s); the node's BGP sessions cannot be read"
            % (node.name, bird.get("socket") or "its control socket", bird.get("reason") or "no reason given"),
            {"socket": bird.get("socket"), "reason": bird.get("reason"),
             "calico_node_running": node.calico_running}))
    return out


def check_docker(cluster):
    """DOCKER_UNREACHABLE: Docker's bridges could not be listed (names alone are used then)."""
    out = []
    for node in cluster.nodes:
        if node.facts is None or (node.docker or {}).get("docker_available", True):
            continue
        out.append(finding(
            "DOCKER_UNREACHABLE", node.name,
            "%s: Docker could not be asked about its networks (%s); bridges are judged by name only"
            % (node.name, node.docker.get("docker_reason") or "no reason given"),
            {"docker_socket": node.docker.get("docker_socket"), "docker_reason": node.docker.get("docker_reason")}))
    return out


def check_datastore(cluster):
    """DATASTORE_UNREACHABLE: the datastore result (node_facts on the datastore host, or datastore_info) says it could not be read."""
    ds = cluster.datastore
    if ds is None or ds.get("reachable"):
        return []
    return [finding(
        "DATASTORE_UNREACHABLE", None,
        "the Calico datastore (%s) could not be read (%s); stored addresses and blocks were not checked"
        % (ds.get("datastore") or "unknown type", ds.get("reason") or "no reason given"),
        {"datastore": ds.get("datastore"), "reason": ds.get("reason")})]


def check_in_datastore(cluster):
    """NODE_NOT_IN_DATASTORE: the datastore answered but has no node of this name."""
    if not cluster.datastore_reachable:
        return []
    out = []
    for node in cluster.nodes:
        if node.in_datastore:
            continue
        hostname = node.facts.get("hostname") if node.facts else None
        out.append(finding(
            "NODE_NOT_IN_DATASTORE", node.name,
            "%s: the Calico datastore has no node named %s (hostname %s, inventory name %s)"
            % (node.name, node.name, hostname or "unknown", node.host),
            {"hostname": hostname, "inventory_hostname": node.host,
             "datastore_nodes": len(cluster.ds_nodes)}))
    return out


CHECKS = (check_collection, check_calico_node, check_bird, check_docker, check_datastore, check_in_datastore)
