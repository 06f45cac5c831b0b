# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Risks on nodes that work today: the next calico-node start (or, where calico-node's address
monitor re-detects, its next poll), leftover Docker bridges."""
from __future__ import annotations

import shlex

from ansible_collections.meshdoctor.calico.plugins.module_utils._exclusions import default_exclusions

from .._addr import bare, is_ipv4
from .._derived import bridge_evidence, calico_sources, describe_bridge, is_docker_bridge, pinning_methods
from .._monitor import monitor_of
from .._prediction import calico_version, configured_choice, ipv6_risk
from . import Code, register
from ._finding import finding


def predicted_choice(node):
    """(choice dict, which) the next calico-node start would make, or (None, reason).

    kubernetes-internal-ip, which the node cannot predict, is resolved here from the
    datastore's InternalIP (_prediction.configured_choice)."""
    pred = node.autodetection or {}
    env = (node.calico or {}).get("env") or {}
    ip_env = env.get("IP")
    if ip_env and is_ipv4(ip_env):
        return None, "IP is set to %s: no autodetection" % ip_env
    configured, method = configured_choice(node, 4)
    method = method or (node.calico or {}).get("autodetection_method") or "first-found"
    if configured.get("address"):
        return configured, method
    if method == "first-found":
        first = pred.get("first_found") or {}
        if first.get("address"):
            return first, method
        return None, first.get("reason")
    return None, configured.get("reason")


@register("autodetection",
          Code("AUTODETECTION_RISK", "warning", "a node peering right today would pick another address at its next "
               "calico-node start, or within the poll interval where calico-node's address monitor re-detects "
               "(the configured method's prediction, or first-found's, is not the expected address; "
               "for IPv6 with IP6=autodetect, not the Node's IPv6 address)",
               ("family", "method", "calico_version", "predicted_address", "predicted_interface", "bridge",
                "pin_methods", "monitor")))
def check_autodetection_risk(ctx):
    """AUTODETECTION_RISK: a node that peers right today would pick another address at its next start."""
    cluster = ctx.cluster
    for node in cluster.nodes:
        if node.facts is None:
            continue
        if node.expected and all(addr == node.expected for addr in calico_sources(node).values()):
            item = _ipv4_risk(cluster, node)    # a node already broken gets its root cause instead
            if item is not None:
                yield item
        risk6 = ipv6_risk(node)
        if risk6 is not None:
            pins = risk6["pin_methods"]
            yield finding(
                "AUTODETECTION_RISK", node.name,
                "%s: at the next calico-node start IP6_AUTODETECTION_METHOD=%s (calico %s) would pick IPv6 %s on %s "
                "instead of the Node's IPv6 address %s%s; pin IP6_AUTODETECTION_METHOD (%s)"
                % (node.name, risk6["method"], risk6["calico_version"] or "version unknown", risk6["predicted_address"],
                   risk6["predicted_interface"] or "another interface", risk6["expected_address"],
                   (" on %s" % risk6["expected_interface"]) if risk6["expected_interface"] else "",
                   " or ".join(shlex.quote(p) for p in pins) if pins else "e.g. interface=<nic>"),
                dict(risk6, monitor=None))


def _ipv4_risk(cluster, node):
    choice, method = predicted_choice(node)
    if choice is None:
        return _terminating_method(cluster, node, method)
    if bare(choice.get("address")) == node.expected:
        return None
    pred = node.autodetection or {}
    addr, ifname = bare(choice.get("address")), choice.get("interface")
    bridge = bridge_evidence(node, ifname) if is_docker_bridge(node, ifname) else None
    methods = pinning_methods(cluster, node)
    where = ifname or "another interface"
    if bridge is not None:
        where = "%s (%s)" % (ifname, describe_bridge(bridge) or "Docker bridge")
    pins = " or ".join(shlex.quote(m) for m in methods) if methods else "e.g. interface=<nic>"
    fix = "pin IP_AUTODETECTION_METHOD (%s)" % pins
    if bridge is not None:
        fix += " or remove bridge %s" % shlex.quote(ifname)
    monitor = monitor_of(node)
    version = pred.get("calico_version") or "version unknown"
    if monitor["can_write"]:
        when = "calico-node's address monitor (calico %s, IP=autodetect) re-runs %s every %s and will switch " \
            "to %s on %s within that interval, with no restart," % (version, method, monitor["interval_text"], addr, where)
    else:
        when = "at the next calico-node start %s (calico %s) would pick %s on %s" % (method, version, addr, where)
        if monitor["redetects"]:
            when += " (its address monitor already moved the address once since calico-node started, and " \
                "before v3.29.0 it cannot write again)"
    return finding(
        "AUTODETECTION_RISK", node.name,
        "%s: %s instead of %s%s; %s"
        % (node.name, when, node.expected, (" on %s" % node.expected_interface) if node.expected_interface else "",
           fix),
        {"family": 4, "method": method, "calico_version": pred.get("calico_version"), "predicted_address": addr,
         "predicted_interface": ifname, "expected_address": node.expected,
         "expected_interface": node.expected_interface, "bridge": bridge, "pin_methods": methods,
         "exclusions": list(default_exclusions(calico_version(node))),     # our table, not the node's list
         "monitor": {k: monitor[k] for k in ("present", "redetects", "interval", "can_write", "switches_back")}})


def _terminating_method(cluster, node, reason):
    """A configured method calico-node rejects outright: the next start terminates it."""
    env = (node.calico or {}).get("env") or {}
    if env.get("IP") and is_ipv4(env.get("IP")):
        return None
    configured, method = configured_choice(node, 4)
    if configured.get("failure") != "invalid_method":
        return None
    methods = pinning_methods(cluster, node)
    calico = (node.autodetection or {}).get("calico_version")
    return finding(
        "AUTODETECTION_RISK", node.name,
        "%s: at the next calico-node start IP_AUTODETECTION_METHOD=%r is invalid for calico %s, so calico-node "
        "terminates (%s); pin IP_AUTODETECTION_METHOD (%s)"
        % (node.name, method, calico or "version unknown", configured.get("reason") or reason,
           " or ".join(shlex.quote(m) for m in methods) if methods else "e.g. interface=<nic>"),
        {"family": 4, "method": method, "calico_version": calico, "predicted_address": None,
         "predicted_interface": None, "expected_address": node.expected, "expected_interface": node.expected_interface,
         "bridge": None, "pin_methods": methods, "failure": "invalid_method", "monitor": None})


@register("docker_bridges",
          Code("ORPHANED_DOCKER_BRIDGE", "warning", "a Docker-looking bridge with an IPv4 address that no Docker "
               "network owns (`ip link delete` removes it)", ("name", "ipv4", "reason")),
          Code("STRAY_DOCKER_BRIDGE", "info", "a leftover (non-default) Docker bridge network with an IPv4 address and "
               "no containers", ("name", "network_name", "compose_project", "ipv4")))
def check_docker_bridges(ctx):
    """ORPHANED_DOCKER_BRIDGE / STRAY_DOCKER_BRIDGE: leftover Docker bridges with an IPv4 address."""
    for node in ctx.cluster.nodes:
        for name, bridge in (node.bridges or {}).items():
            if bridge.get("default_bridge") or not bridge.get("ipv4"):
                continue
            evidence = bridge_evidence(node, name)
            evidence["ipv4"] = bridge.get("ipv4")
            evidence["state"] = bridge.get("state")
            evidence["reason"] = bridge.get("reason")
            addrs = ", ".join(bridge.get("ipv4") or ())
            if bridge.get("orphaned"):
                yield finding(
                    "ORPHANED_DOCKER_BRIDGE", node.name,
                    "%s: bridge %s (%s) looks like Docker's but no Docker network owns it; `ip link delete %s` removes it"
                    % (node.name, name, addrs, shlex.quote(name)), evidence)
            elif not bridge.get("container_count"):
                label = describe_bridge(evidence)
                remove = ("docker network rm %s" % shlex.quote(bridge["network_name"])) if bridge.get("network_name") \
                    else ("ip link delete %s" % shlex.quote(name))
                yield finding(
                    "STRAY_DOCKER_BRIDGE", node.name,
                    "%s: Docker bridge %s (%s) with %s has no containers; `%s` removes it"
                    % (node.name, name, label, addrs, remove), evidence)
