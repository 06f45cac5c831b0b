# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Deciding whether a (Docker) bridge may be removed, and how (standard library only).

`match_network`, `bridge_facts` and `refusals` are pure: they take the interface list (the
contract's Interface dicts) and Docker's network objects (Engine API JSON) and return plain
data, so the refuse/allow logic is tested without a host. Only the module acts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import (
    BRIDGE_NAME_OPTION as BRIDGE_OPTION,
    DEFAULT_BRIDGE_OPTION,
    bridge_name_of,
)

_DOCKER_BRIDGE = re.compile(r"^br-([0-9a-f]{12})$")

# Refusal codes. FORCEABLE ones are lifted by force=true; the others never are.
FORCEABLE = ("containers", "expected_address", "default_bridge", "ports", "docker_unreachable", "uplink_port")
_DOCKER_MAC = "02:42:"


def match_network(networks, name):
    """The network NAME designates: its bridge name (option or br-<12 hex of the id>), its
    name, or its id (full or a 12+ character prefix). None when none matches."""
    if not name:
        return None
    for net in networks:
        if (net.get("Options") or {}).get(BRIDGE_OPTION) == name:
            return net
    match = _DOCKER_BRIDGE.match(name)
    if match:
        for net in networks:
            if (net.get("Id") or "").startswith(match.group(1)) and not (net.get("Options") or {}).get(BRIDGE_OPTION):
                return net
    for net in networks:
        if net.get("Name") == name:
            return net
    if len(name) >= 12:
        for net in networks:
            if (net.get("Id") or "").startswith(name):
                return net
    if name == "docker0":
        for net in networks:
            if net.get("Name") == "bridge":
                return net
    return None


def containers_of(network):
    """[{id, name, ipv4}] from an inspected network's Containers map, sorted by name."""
    out = []
    for cid, info in (network.get("Containers") or {}).items():
        info = info or {}
        out.append({"id": cid, "name": (info.get("Name") or cid[:12]).lstrip("/"), "ipv4": info.get("IPv4Address") or None})
    out.sort(key=lambda c: c["name"])
    return out


def bridge_facts(name, interfaces, network=None, docker_available=True, docker_reason=None):
    """The state of bridge NAME: what `before`/`after` report and `refusals` judges.

    NETWORK is the inspected Docker network NAME matched (or None). When NAME was a network
    name or id, the link looked at is that network's bridge."""
    link_name = bridge_name_of(network) if network else name
    link = None
    for iface in interfaces:
        if iface.get("name") == link_name:
            link = iface
            break
    enslaved = [i for i in interfaces if i.get("master") == link_name]
    ports = [i["name"] for i in enslaved]
    facts = {
        "name": link_name,
        "requested": name,
        "present": bool(link) or network is not None,
        "link": link is not None,
        "kind": link.get("kind") if link else None,
        "state": link.get("state") if link else None,
        "addresses": [a["cidr"] for a in (link.get("ipv4") or []) + (link.get("ipv6") or []) if a.get("scope") != "link"] if link else [],
        "ports": ports,
        # Ports that are not a container's veth: a NIC, a bond, a VLAN - the host's uplink.
        "uplink_ports": ["%s (%s)" % (i["name"], i.get("kind") or "ether") for i in enslaved if i.get("kind") != "veth"],
        "port_addresses": [a["cidr"] for i in enslaved for a in (i.get("ipv4") or []) + (i.get("ipv6") or [])
                           if a.get("scope") != "link"],
        "docker_made": docker_made(link_name, link, network),
        "network_id": network.get("Id") if network else None,
        "network_name": network.get("Name") if network else None,
        "driver": network.get("Driver") if network else None,
        "compose_project": ((network.get("Labels") or {}).get("com.docker.compose.project")) if network else None,
        "containers": containers_of(network) if network else [],
        "default_bridge": link_name == "docker0" or bool(network and (network.get("Name") == "bridge" or str(
            (network.get("Options") or {}).get(DEFAULT_BRIDGE_OPTION)).lower() == "true")),
        "docker_available": bool(docker_available),
        "docker_reason": docker_reason,
    }
    return facts


def docker_made(link_name, link, network=None):
    """True when the bridge LINK_NAME is one Docker creates itself: docker0, or br-<the first
    12 hex digits of NETWORK's id> (without NETWORK: any br-<12 hex>, or a 02:42 MAC, as an
    orphan of Docker's looks). A bridge a network only names (com.docker.network.bridge.name)
    may be the host's own, made before Docker: never deleted with `ip link delete`."""
    if link_name == "docker0":
        return True
    match = _DOCKER_BRIDGE.match(link_name or "")
    if network is not None:
        return bool(match) and (network.get("Id") or "").startswith(match.group(1)) \
            and not (network.get("Options") or {}).get(BRIDGE_OPTION)
    return bool(match) or bool(link and str(link.get("mac") or "").lower().startswith(_DOCKER_MAC))


def _ip_of(text):
    try:
        return ipaddress.ip_interface(text.strip()).ip
    except ValueError:
        return None


def refusals(facts, expected_address=None):
    """[(code, message)] reasons not to remove the bridge in FACTS; [] means it may go.
    Codes in FORCEABLE are lifted by force=true."""
    out = []
    name = facts["name"]
    what = "bridge %s" % name
    if facts["network_name"]:
        what += " (Docker network %s)" % facts["network_name"]
    if facts["link"] and facts["kind"] != "bridge":
        out.append(("not_a_bridge", "%s is a %s link, not a bridge: this module only removes bridges" % (name, facts["kind"])))
    if facts["driver"] and facts["driver"] != "bridge":
        out.append(("not_bridge_driver", "Docker network %s uses the %s driver, not bridge: this module only removes bridge networks"
                    % (facts["network_name"], facts["driver"])))
    if facts["default_bridge"]:
        out.append(("default_bridge", "%s is Docker's default bridge (docker0 / network \"bridge\"); Docker recreates it at every start "
                    "and containers without a network use it. Start dockerd with --bridge=none instead, or set force: true" % what))
    if facts["containers"]:
        names = ", ".join("%s (%s)" % (c["name"], c["ipv4"]) if c["ipv4"] else c["name"] for c in facts["containers"])
        out.append(("containers", "%s has %d container(s) attached: %s. Either stop or move them off it (docker stop / docker network "
                    "disconnect %s <container>) and run again, or set force: true to disconnect them; or keep the bridge and pin "
                    "IP_AUTODETECTION_METHOD with meshdoctor.calico.autodetection (e.g. cidr=<LAN> or interface=<NIC>), then cycle "
                    "calico-node with meshdoctor.calico.calico_node" % (what, len(facts["containers"]), names, facts["network_name"] or name)))
    if facts["uplink_ports"]:
        out.append(("uplink_port", "%s has %s enslaved, which is no container's veth: the bridge carries the host's uplink, "
                    "and removing it would cut the node off. Check `ip link show master %s`, or set force: true"
                    % (what, ", ".join(facts["uplink_ports"]), name)))
    expected = _ip_of(expected_address) if expected_address else None
    if expected is not None:
        for cidr in facts["addresses"] + facts.get("port_addresses", []):
            if _ip_of(cidr) == expected:
                out.append(("expected_address", "%s carries %s, the node's expected address: removing it would cut the node off. "
                            "Check expected_address, or set force: true" % (what, cidr)))
    if facts["kind"] == "bridge" and not facts["network_id"] and not facts.get("docker_made", True):
        out.append(("not_docker_bridge", "%s is not a Docker network and does not look like a bridge Docker made (name docker0 "
                    "or br-<12 hex>, MAC 02:42:...): this module never deletes a bridge Docker did not create. Use "
                    "`ip link delete` yourself if it must go" % what))
    if not facts["network_id"] and facts["ports"] and not facts["uplink_ports"]:
        veths = ", ".join(facts["ports"])
        out.append(("ports", "%s is not a Docker network but has ports enslaved to it (%s): it may carry the host's uplink or "
                    "other workloads. Check `ip link show master %s`, or set force: true" % (what, veths, name)))
    if not facts["network_id"] and not facts["docker_available"] and _DOCKER_BRIDGE.match(name) and facts["docker_reason"] \
            and "no socket" not in facts["docker_reason"]:
        out.append(("docker_unreachable", "%s looks like a Docker bridge, but the Docker engine did not answer (%s): if Docker still "
                    "has the network, a bridge deleted with `ip link delete` comes back at the next Docker start. Start Docker and "
                    "run again, or set force: true" % (what, facts["docker_reason"])))
    return out


def blocking(refusal_list, force):
    """The refusals that stand, given FORCE."""
    return [r for r in refusal_list if not (force and r[0] in FORCEABLE)]


def summary(facts):
    """The diff view of FACTS: what an operator wants to see before/after."""
    if not facts["present"]:
        return {"name": facts["name"], "present": False}
    return {
        "name": facts["name"],
        "present": True,
        "link": facts["link"],
        "state": facts["state"],
        "addresses": facts["addresses"],
        "network_id": facts["network_id"],
        "network_name": facts["network_name"],
        "containers": [c["name"] for c in facts["containers"]],
    }
