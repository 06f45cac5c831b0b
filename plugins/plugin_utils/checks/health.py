# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can we see the node, and is Calico running on it? One check per function."""
from __future__ import annotations

from .._model import NO_BGP
from . import Code, register
from ._finding import finding

# node.status -> (code, what happened on the host, the message when there is none)
NO_FACTS = {"unreachable": ("HOST_UNREACHABLE", "Ansible could not reach host", "unreachable"),
            "failed": ("COLLECTION_FAILED", "node_facts failed on host", "no facts"),
            # facts that break docs/facts-schema.md: the node's side is not analysed, the others are
            "invalid": ("COLLECTION_FAILED", "the facts of host", "they break the contract")}


@register("collection",
          Code("HOST_UNREACHABLE", "error", "Ansible could not reach the host (`results[host].unreachable`)",
               ("host", "msg")),
          Code("COLLECTION_FAILED", "error", "node_facts failed on the host (`results[host].failed`), left no "
               "`meshdoctor` facts, or left facts that break docs/facts-schema.md (`msg` names the field)",
               ("host", "msg")))
def check_collection(ctx):
    """HOST_UNREACHABLE / COLLECTION_FAILED: the hosts we have no facts from."""
    for node in ctx.cluster.nodes:
        if node.status not in NO_FACTS:
            continue
        code, what, default = NO_FACTS[node.status]
        if node.status == "invalid":
            detail = "break the contract of docs/facts-schema.md at %s" % node.status_msg
            message = "%s: %s %s %s; its side of the mesh was not checked" % (node.name, what, node.host, detail)
        else:
            message = "%s: %s %s (%s); its side of the mesh was not checked" % (
                node.name, what, node.host, node.status_msg or default)
        yield finding(code, node.name, message, {"host": node.host, "msg": node.status_msg})


@register("calico_node",
          Code("CALICO_NODE_DOWN", "error", "calico-node is not running on the node (`calico_node.running` is false); "
               "`exit_reason` is why, from its newest run's log lines (datastore unreachable, x509, a conflict...)",
               ("deployment", "reason", "image", "exit_reason")))
def check_calico_node(ctx):
    """CALICO_NODE_DOWN: calico-node is not running (and what its last log lines say)."""
    for node in ctx.cluster.nodes:
        if node.facts is None or node.calico_running is not False:
            continue
        calico = node.calico
        exit_reason = calico.get("exit_reason") or None
        said = ""
        if exit_reason:
            said = '; its log says %s: "%s"' % (exit_reason.get("summary"), (exit_reason.get("detail") or "")[:200])
        yield finding(
            "CALICO_NODE_DOWN", node.name,
            "%s: calico-node is not running (%s)%s" % (node.name, calico.get("reason") or "no reason given", said),
            {"deployment": calico.get("deployment"), "reason": calico.get("reason"),
             "container_id": calico.get("container_id"), "image": calico.get("image"), "exit_reason": exit_reason})


@register("calico_node",
          Code("BIRD_UNREACHABLE", "error", "calico-node runs but BIRD's control socket does not answer (not reported "
               "again when calico-node is down, nor with CALICO_NETWORKING_BACKEND=vxlan or none, where no BIRD runs)",
               ("socket", "reason")))
def check_bird(ctx):
    """BIRD_UNREACHABLE: calico-node runs (or we cannot tell) but BIRD's socket does not answer.

    When calico-node is down, BIRD being silent is implied and not reported again. With
    CALICO_NETWORKING_BACKEND=vxlan (or none) no BIRD runs: nothing to report.
    """
    for node in ctx.cluster.nodes:
        if node.facts is None or node.bird_running or node.calico_running is False or node.backend in NO_BGP:
            continue
        bird = node.bird or {}
        yield finding(
            "BIRD_UNREACHABLE", node.name,
            "%s: BIRD does not answer on %s (%s); the node's BGP sessions cannot be read"
            % (node.name, bird.get("socket") or "its control socket", bird.get("reason") or "no reason given"),
            {"socket": bird.get("socket"), "reason": bird.get("reason"),
             "calico_node_running": node.calico_running})


@register("docker",
          Code("DOCKER_UNREACHABLE", "info", "Docker could not be asked about its bridges (`docker.docker_available` "
               "is false): bridges are judged by name", ("docker_socket", "docker_reason")))
def check_docker(ctx):
    """DOCKER_UNREACHABLE: Docker's bridges could not be listed (names alone are used then)."""
    for node in ctx.cluster.nodes:
        if node.facts is None or (node.docker or {}).get("docker_available", True):
            continue
        yield finding(
            "DOCKER_UNREACHABLE", node.name,
            "%s: Docker could not be asked about its networks (%s); bridges are judged by name only"
            % (node.name, node.docker.get("docker_reason") or "no reason given"),
            {"docker_socket": node.docker.get("docker_socket"), "docker_reason": node.docker.get("docker_reason")})


@register("datastore",
          Code("DATASTORE_UNREACHABLE", "warning", "the Calico datastore could not be read (`datastore.reachable` is "
               "false, or `datastore_host` was unreachable, failed or read no datastore); node `null`",
               ("datastore", "reason")))
def check_datastore(ctx):
    """DATASTORE_UNREACHABLE: the datastore result (node_facts on the datastore host, or datastore_info) says it could not be read."""
    ds = ctx.cluster.datastore
    if ds is None or ds.get("reachable"):
        return []
    return [finding(
        "DATASTORE_UNREACHABLE", None,
        "the Calico datastore (%s) could not be read (%s); stored addresses and blocks were not checked"
        % (ds.get("datastore") or "unknown type", ds.get("reason") or "no reason given"),
        {"datastore": ds.get("datastore"), "reason": ds.get("reason")})]


@register("datastore",
          Code("NODE_NOT_IN_DATASTORE", "warning", "the datastore answered but no Calico node resource carries the "
               "node's name", ("hostname", "inventory_hostname")))
def check_in_datastore(ctx):
    """NODE_NOT_IN_DATASTORE: the datastore answered but has no node of this name."""
    cluster = ctx.cluster
    if not cluster.datastore_reachable:
        return
    for node in cluster.nodes:
        if node.in_datastore:
            continue
        hostname = node.facts.get("hostname") if node.facts else None
        yield finding(
            "NODE_NOT_IN_DATASTORE", node.name,
            "%s: the Calico datastore has no node named %s (hostname %s, inventory name %s)"
            % (node.name, node.name, hostname or "unknown", node.host),
            {"hostname": hostname, "inventory_hostname": node.host,
             "datastore_nodes": len(cluster.ds_nodes)})
