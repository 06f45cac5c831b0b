# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Predicts which IPv4 address calico-node's IP autodetection would choose on this host.

Follows node/pkg/lifecycle/startup/autodetection in projectcalico/calico: interfaces are
walked in reverse ifindex order (Go's net.Interfaces() lists them by index), link state is
ignored, the first global-unicast address of the first interface that passes the include /
exclude regexes (Go regexp MatchString: a search, not a full match) wins.
predict() works on the contract's Interface dicts and never raises.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import socket

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_list, parse_version, to_text

NEWEST = (3, 25, 0)
# Default exclusions (autodetection_linux.go) per release range.
EXCLUDES_V3_25 = ["^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*",
                  "^lo", "^br-.*", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*",
                  "^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*",
                  "^nodelocaldns.*"]
EXCLUDES_V3_24 = ["^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
                  "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^vxlan\\.calico.*",
                  "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*"]
EXCLUDES_OLD = ["docker.*", "cbr.*", "dummy.*", "virbr.*", "lxcbr.*", "veth.*", "lo", "cali.*",
                "tunl.*", "flannel.*", "kube-ipvs.*", "cni.*"]

INVALID = "Invalid IP autodetection method"
_SPLIT = re.compile(r"\s*,\s*")


def version_tuple(calico_version):
    """The release whose behaviour to model, and whether it was assumed (version unknown)."""
    parsed = parse_version(calico_version)
    if parsed is None:
        return NEWEST, True
    return parsed, False


def default_exclusions(calico_version):
    """The default interface exclusions calico-node of CALICO_VERSION applies (newest when unknown)."""
    ver, _assumed = version_tuple(calico_version)
    if ver >= (3, 25, 0):
        return list(EXCLUDES_V3_25)
    if ver > (3, 24, 0):
        return list(EXCLUDES_V3_24)
    return list(EXCLUDES_OLD)


def global_unicast(address):
    """Go's net.IP.IsGlobalUnicast for an IPv4 address string."""
    try:
        ip = ipaddress.IPv4Address(to_text(address))
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified
                or ip == ipaddress.IPv4Address("255.255.255.255"))


def _first_match(patterns, name):
    for pattern in patterns:
        try:
            if re.search(pattern, name):
                return pattern
        except re.error:
            continue
    return None


def _choice(interface=None, address=None, reason=None):
    return {"interface": interface, "address": address, "reason": reason}


def candidates(interfaces, exclusions):
    """Every global-unicast IPv4 address in the order first-found walks them, with excluded_by."""
    out = []
    ifaces = [i for i in as_list(interfaces) if isinstance(i, dict) and isinstance(i.get("index"), int)]
    for iface in sorted(ifaces, key=lambda i: i["index"], reverse=True):
        name = to_text(iface.get("name"))
        for addr in as_list(iface.get("ipv4")):
            if not isinstance(addr, dict) or not global_unicast(addr.get("address")):
                continue
            out.append({"interface": name, "index": iface["index"], "address": to_text(addr.get("cidr")),
                        "excluded_by": _first_match(exclusions, name), "state": iface.get("state")})
    return out


def _walk(interfaces, include=None, exclude=None, cidrs=None):
    for cand in candidates(interfaces, exclude or []):
        if include is not None and _first_match(include, cand["interface"]) is None:
            continue
        if cand["excluded_by"]:
            continue
        if cidrs is not None:
            ip = ipaddress.IPv4Address(cand["address"].split("/")[0])
            if not any(ip in net for net in cidrs):
                continue
        return cand
    return None


def _regexes(text):
    parts = [p for p in _SPLIT.split(text.strip()) if p != ""] or [""]
    for part in parts:
        re.compile(part)
    return parts


def reach_source(dest, port=80):
    """The local address the kernel would use to reach DEST (UDP connect, no packet sent)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(1)
        sock.connect((dest, port))
        return sock.getsockname()[0]
    finally:
        sock.close()


def choose(method, interfaces, calico_version=None, reach=reach_source):
    """What METHOD picks now: {interface, address, reason} (reason says why nothing was picked)."""
    method = to_text(method).strip()
    exclusions = default_exclusions(calico_version)
    try:
        if method in ("", "first-found"):
            cand = _walk(interfaces, exclude=exclusions)
            return _pick(cand, "no valid IPv4 addresses found on the host interfaces")
        if method.startswith("interface="):
            cand = _walk(interfaces, include=_regexes(method[len("interface="):]))
            return _pick(cand, "no interface matches %s" % method[len("interface="):])
        if method.startswith("skip-interface="):
            cand = _walk(interfaces, exclude=exclusions + _regexes(method[len("skip-interface="):]))
            return _pick(cand, "every interface is excluded or has no global IPv4 address")
        if method.startswith("cidr="):
            try:
                cidrs = [ipaddress.IPv4Network(c, strict=False) for c in _SPLIT.split(method[len("cidr="):].strip())]
            except ValueError as exc:
                return _choice(reason="Invalid CIDR for IP autodetection method %s: %s" % (method, exc))
            cand = _walk(interfaces, cidrs=cidrs)
            return _pick(cand, "no interface address inside %s" % method[len("cidr="):])
        if method.startswith("can-reach="):
            return _can_reach(method[len("can-reach="):].strip(), interfaces, reach)
        if method.startswith("kubernetes-internal-ip"):
            return _choice(reason="kubernetes-internal-ip uses the Kubernetes node's InternalIP: "
                                  "cannot be evaluated on the node")
    except re.error as exc:
        return _choice(reason="%s: bad interface regex in %s: %s" % (INVALID, method, exc))
    return _choice(reason="%s: %s" % (INVALID, method))


def _pick(cand, reason):
    if cand is None:
        return _choice(reason=reason)
    return _choice(cand["interface"], cand["address"])


def _can_reach(dest, interfaces, reach):
    if not dest:
        return _choice(reason="can-reach= names no destination")
    try:
        local = to_text(reach(dest))
    except (OSError, ValueError, TypeError) as exc:
        return _choice(reason="Unable to connect to %s: %s" % (dest, exc))
    ifaces = [i for i in as_list(interfaces) if isinstance(i, dict) and isinstance(i.get("index"), int)]
    for iface in sorted(ifaces, key=lambda i: i["index"]):
        for addr in as_list(iface.get("ipv4")):
            if isinstance(addr, dict) and addr.get("address") == local:
                return _choice(to_text(iface.get("name")), to_text(addr.get("cidr")))
    return _choice(None, local + "/32" if local else None,
                   None if local else "no local address towards %s" % dest)


def predict(interfaces, method=None, calico_version=None, reach=reach_source):
    """The contract's Prediction: configured method and first-found, plus every candidate.

    Returns (prediction, warnings).
    """
    warnings = []
    assumed = version_tuple(calico_version)[1]
    if assumed:
        warnings.append("Calico version unknown: predicted autodetection with the newest behaviour (v%d.%d.%d and later)"
                        % NEWEST)
    exclusions = default_exclusions(calico_version)
    effective = to_text(method).strip() or "first-found"
    first = choose("first-found", interfaces, calico_version, reach)
    configured = first if effective == "first-found" else choose(effective, interfaces, calico_version, reach)
    prediction = {
        "calico_version": to_text(calico_version) if calico_version else None,
        "method": effective,
        "exclusions": exclusions,
        "configured": configured,
        "first_found": first,
        "candidates": candidates(interfaces, exclusions),
    }
    return prediction, warnings
