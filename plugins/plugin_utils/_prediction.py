# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's reading of a node's autodetection prediction (facts `autodetection`).

The node predicts with calico-node's own rules (module_utils/_autodetect.py); the controller
adds what only it knows, and never runs a pattern a node reports:
- `kubernetes-internal-ip`: the node cannot know its Kubernetes InternalIP, the datastore read
  has it; it is resolved with the node's interfaces exactly as calico-node does
  (resolve_internal_ip: the address must sit on an interface, which gives the prefix);
- default exclusions come from the per-release table (module_utils/_exclusions.py) for the
  node's Calico version, matched with the RE2 model, never from the node's facts;
- pins suggested to the user are checked with the same predictor before they are offered.
"""
from __future__ import annotations

import ipaddress

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import choose, resolve_internal_ip
from ansible_collections.meshdoctor.calico.plugins.module_utils._exclusions import default_exclusions
from ansible_collections.meshdoctor.calico.plugins.module_utils._method import K8S_INTERNAL_IP, parse_method
from ansible_collections.meshdoctor.calico.plugins.module_utils._re2 import RE2Error, Untranslatable, search

from ._addr import bare

_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:@%")


def calico_version(node):
    """The Calico release the node's prediction models (a string, or None when unknown)."""
    value = (node.autodetection or {}).get("calico_version") or (node.calico or {}).get("calico_version")
    return value if isinstance(value, str) else None


def excluded_by_release(node, ifname):
    """The first default exclusion of the node's Calico release matching IFNAME, else None."""
    if not ifname or not isinstance(ifname, str):
        return None
    for pattern in default_exclusions(calico_version(node)):
        try:
            if search(pattern, ifname):
                return pattern
        except (RE2Error, Untranslatable):     # the table's own patterns always compile
            continue
    return None


def _interfaces(node):
    value = (node.facts or {}).get("interfaces")
    return value if isinstance(value, list) else []


def _internal_ips(node):
    ds = node.ds if isinstance(node.ds, dict) else {}
    ips = ds.get("internal_ips")
    if isinstance(ips, list) and ips:
        return [ip for ip in ips if isinstance(ip, str)]
    return [ds["internal_ip"]] if isinstance(ds.get("internal_ip"), str) else []


def _on_kubernetes(node):
    deployment = (node.calico or {}).get("deployment")
    return deployment in (None, "", "kubernetes", "unknown")


def family(node, version=4):
    """The prediction dict of one family (the top level for IPv4, `ipv6` for IPv6), or {}."""
    pred = node.autodetection if isinstance(node.autodetection, dict) else {}
    part = pred if version == 4 else pred.get("ipv6")
    return part if isinstance(part, dict) else {}


def configured_choice(node, version=4):
    """(choice dict, method): what the configured method picks at the next start, with
    kubernetes-internal-ip resolved from the datastore when the node could not."""
    part = family(node, version)
    method = part.get("method") if isinstance(part.get("method"), str) else "first-found"
    configured = part.get("configured") if isinstance(part.get("configured"), dict) else {}
    if configured.get("failure") == "unknown" and node.ds is not None:
        if parse_method(method, version, calico_version(node)).kind == K8S_INTERNAL_IP:
            configured = resolve_internal_ip(_internal_ips(node), _interfaces(node), version,
                                             calico_version(node), _on_kubernetes(node))
    return configured, method


def pin_selects(node, method, expected, version=4):
    """True/False whether METHOD picks EXPECTED on this node; None when the controller cannot
    tell (can-reach= depends on the node's routing)."""
    if method.startswith("can-reach="):
        return None
    picked = choose(method, _interfaces(node), calico_version(node), version)
    return bare(picked.get("address")) == expected


def _holder(node, address, version):
    for iface in _interfaces(node):
        if not isinstance(iface, dict):
            continue
        for addr in iface.get("ipv4" if version == 4 else "ipv6") or ():
            if isinstance(addr, dict) and addr.get("address") == address:
                return iface.get("name"), addr.get("cidr")
    return None, None


def ipv6_risk(node):
    """The IPv6 side of AUTODETECTION_RISK: None, or the evidence of a node whose calico-node
    autodetects IPv6 at every start (IP6=autodetect) and would take another IPv6 address than
    the one its Node has now (datastore ipv6_address)."""
    part = family(node, 6)
    current = bare((node.ds or {}).get("ipv6_address")) if isinstance(node.ds, dict) else None
    if not part.get("detects") or not current:
        return None
    choice, method = configured_choice(node, 6)
    predicted = bare(choice.get("address"))
    if not predicted or predicted == current:
        return None
    ifname, cidr = _holder(node, current, 6)
    network = _network(cidr)
    candidates = ([exact_interface_pin(ifname)] if ifname else []) + (["cidr=%s" % network] if network else [])
    pins = [pin for pin in candidates if pin_selects(node, pin, current, 6)]
    return {"family": 6, "method": method, "calico_version": calico_version(node), "predicted_address": predicted,
            "predicted_interface": choice.get("interface"), "expected_address": current, "expected_interface": ifname,
            "bridge": None, "pin_methods": pins}


def _network(cidr):
    try:
        return str(ipaddress.ip_interface(cidr).network)
    except ValueError:
        return None


def exact_interface_pin(name):
    """interface=^NAME$ with NAME's special characters made literal without backslashes
    (systemd's EnvironmentFile= reads backslashes as escapes)."""
    out = []
    for char in name:
        if char in _PLAIN:
            out.append(char)
        elif char in ".+*?()|{}$[":
            out.append("[%s]" % char)
        else:
            out.append("\\x{%x}" % ord(char))
    return "interface=^%s$" % "".join(out)
