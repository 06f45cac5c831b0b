# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Predicts the IPv4 and IPv6 addresses calico-node's IP autodetection would choose on this host.

Follows node/pkg/lifecycle/startup/autodetection in projectcalico/calico (filtered.go,
interfaces.go, reachaddr.go, autodetection_methods.go; the method grammar is `_method`, the
default exclusions `_exclusions`):
- interfaces are walked in reverse of Go's net.Interfaces() order, i.e. descending ifindex,
  whatever their link state; an interface passes when the include regexp (if any) matches its
  name and the exclude regexp (if any) does not (one joined Go regexp each, MatchString);
- the first address of the family that is global unicast (Go's IP.IsGlobalUnicast) and, for
  cidr=, inside one of the networks, wins; "no valid host interfaces found" when no interface
  passes the name filters at all;
- can-reach= takes the kernel's source address towards DEST:80 (UDP connect, nothing sent; an
  empty DEST is the local system) and the first interface in the same reverse walk that holds
  it, global unicast or not; kubernetes-internal-ip does the same with the Kubernetes node's
  first InternalIP of the family (only the controller knows it: see `resolve_internal_ip`).
predict() works on the contract's Interface dicts and never raises.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import socket

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._exclusions import default_exclusions, release
from ansible_collections.meshdoctor.calico.plugins.module_utils._method import K8S_INTERNAL_IP, parse_method
from ansible_collections.meshdoctor.calico.plugins.module_utils._re2 import RE2Error, Untranslatable, search

NEWEST = release(None)[0]
# Releases whose kubernetes-internal-ip stored the masked network (192.168.1.0/24), fixed in
# v3.22.4 and v3.23.2 ("ipNet.IP = ip.IP" in autoDetectUsingK8sInternalIP).
_K8S_NETWORK_BUG = (((3, 22, 0), (3, 22, 4)), ((3, 23, 0), (3, 23, 2)))
KEEPS_OR_EXITS = "calico-node keeps the address its Node already has, or exits when it has none"


def version_tuple(calico_version):
    """The release whose behaviour to model, and whether it was assumed (version unknown)."""
    return release(calico_version)


def global_unicast(address):
    """Go's net.IP.IsGlobalUnicast for an IPv4 or IPv6 address string."""
    try:
        ip = ipaddress.ip_address(to_text(address))
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 4 and ip == ipaddress.IPv4Address("255.255.255.255"):
        return False
    link_local = ip in ipaddress.ip_network("169.254.0.0/16" if ip.version == 4 else "fe80::/10")
    return not (ip.is_unspecified or ip.is_loopback or ip.is_multicast or link_local)


def _ordered(interfaces):
    ifaces = [i for i in as_list(interfaces) if isinstance(i, dict) and isinstance(i.get("index"), int)]
    return sorted(ifaces, key=lambda i: i["index"], reverse=True)


def _addresses(iface, version):
    out = []
    for addr in as_list(iface.get("ipv4" if version == 4 else "ipv6")):
        if isinstance(addr, dict) and addr.get("address"):
            out.append((to_text(addr.get("address")), to_text(addr.get("cidr")) or to_text(addr.get("address"))))
    return out


def _choice(interface=None, address=None, reason=None, failure=None):
    return {"interface": interface, "address": address, "reason": reason, "failure": failure}


def _first_pattern(patterns, name):
    for pattern in patterns:
        try:
            if search(pattern, name):
                return pattern
        except (RE2Error, Untranslatable):
            continue
    return None


def candidates(interfaces, calico_version=None, version=4):
    """Every global-unicast address of the family in the order the walk sees them, with the
    first default exclusion of CALICO_VERSION that matches its interface (excluded_by)."""
    exclusions = default_exclusions(calico_version)
    out = []
    for iface in _ordered(interfaces):
        name = to_text(iface.get("name"))
        for address, cidr in _addresses(iface, version):
            if global_unicast(address):
                out.append({"interface": name, "index": iface["index"], "address": cidr,
                            "excluded_by": _first_pattern(exclusions, name), "state": iface.get("state")})
    return out


def _walk(interfaces, version, include=None, exclude=None, cidrs=None):
    kept = [i for i in _ordered(interfaces)
            if (include is None or include.matches(to_text(i.get("name"))))
            and not (exclude is not None and exclude.matches(to_text(i.get("name"))))]
    if not kept:
        return _choice(reason="no valid host interfaces found", failure="detection_failed")
    for iface in kept:
        for address, cidr in _addresses(iface, version):
            if global_unicast(address) and (cidrs is None or cidrs.contains(address)):
                return _choice(to_text(iface.get("name")), cidr)
    return _choice(reason="no valid IPv%d addresses found on the host interfaces" % version, failure="detection_failed")


def _holder(interfaces, version, wanted):
    """(interface name, cidr) of the first interface in the reverse walk holding address WANTED."""
    try:
        target = ipaddress.ip_address(to_text(wanted))
    except ValueError:
        return None, None
    for iface in _ordered(interfaces):
        for address, cidr in _addresses(iface, version):
            try:
                if ipaddress.ip_address(address) == target:
                    return to_text(iface.get("name")), cidr
            except ValueError:
                continue
    return None, None


def reach_source(dest, version=4, port=80):
    """The local address the kernel would use to reach DEST (UDP connect, no packet sent)."""
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.settimeout(1)
        sock.connect((dest, port))
        return sock.getsockname()[0]
    finally:
        sock.close()


def _can_reach(dest, interfaces, version, reach):
    host = dest or ("127.0.0.1" if version == 4 else "::1")   # Go dials the local system for an empty host
    try:
        local = to_text(reach(host) if version == 4 else reach(host, 6))
    except (OSError, ValueError, TypeError, UnicodeError) as exc:
        return _choice(reason="Unable to auto-detect IPv%d address by connecting to %s: %s (%s)"
                       % (version, dest, exc, KEEPS_OR_EXITS), failure="detection_failed")
    name, cidr = _holder(interfaces, version, local)
    if name is None:
        return _choice(reason="autodetected IPv%d address does not match any addresses found on local interfaces: "
                              "%s (%s)" % (version, local, KEEPS_OR_EXITS), failure="detection_failed")
    return _choice(name, cidr)


def resolve_internal_ip(internal_ips, interfaces, version=4, calico_version=None, on_kubernetes=True):
    """What kubernetes-internal-ip gives, from the Kubernetes node's InternalIP addresses (in
    status.addresses order) and this node's interfaces (GetLocalCIDR: the address must sit on an
    interface, and its prefix comes from there)."""
    if not on_kubernetes:
        return _choice(reason="Cannot use method 'kubernetes-internal-ip' when not running on a Kubernetes cluster "
                              "(%s)" % KEEPS_OR_EXITS, failure="detection_failed")
    chosen = None
    for text in as_list(internal_ips):
        try:
            ip = ipaddress.ip_address(to_text(text).split("/")[0])
        except ValueError:
            continue
        if ip.version == version:
            chosen = to_text(text)
            break
    if chosen is None:
        return _choice(reason="the Kubernetes node has no IPv%d InternalIP (%s)" % (version, KEEPS_OR_EXITS),
                       failure="detection_failed")
    name, cidr = _holder(interfaces, version, chosen.split("/")[0])
    if "/" in chosen:
        cidr = chosen
    if cidr is None:
        return _choice(reason="Unable to parse CIDR %s: the InternalIP is on no interface of this host (%s)"
                       % (chosen, KEEPS_OR_EXITS), failure="detection_failed")
    ver = release(calico_version)[0]
    if any(first <= ver < fixed for first, fixed in _K8S_NETWORK_BUG):
        network = ipaddress.ip_interface(cidr).network
        return _choice(name, str(network), "this release stores the InternalIP's network address %s, not %s "
                                           "(fixed in v3.22.4 and v3.23.2)" % (network, cidr))
    return _choice(name, cidr)


def choose(method, interfaces, calico_version=None, version=4, reach=reach_source, internal_ips=None,
           on_kubernetes=True):
    """What METHOD (the raw IP_AUTODETECTION_METHOD / IP6_AUTODETECTION_METHOD) picks now:
    {interface, address, reason, failure}. failure: null when an address is chosen;
    invalid_method (calico-node terminates), detection_failed (it keeps the Node's address or
    exits when there is none) or unknown (cannot be predicted here; reason says why)."""
    parsed = parse_method(method, version, calico_version)
    if parsed.error:
        if parsed.fatal:
            return _choice(reason="%s (calico-node terminates)" % parsed.error, failure="invalid_method")
        return _choice(reason="%s (%s)" % (parsed.error, KEEPS_OR_EXITS), failure="detection_failed")
    if parsed.untranslatable:
        return _choice(reason="cannot predict %s: %s" % (parsed.raw, parsed.untranslatable), failure="unknown")
    if parsed.kind in ("first-found", "skip-interface"):
        return _walk(interfaces, version, exclude=parsed)
    if parsed.kind == "interface":
        return _walk(interfaces, version, include=parsed)
    if parsed.kind == "cidr":
        return _walk(interfaces, version, cidrs=parsed)
    if parsed.kind == "can-reach":
        return _can_reach(parsed.argument, interfaces, version, reach)
    if internal_ips is None:
        return _choice(reason="kubernetes-internal-ip uses the Kubernetes node's InternalIP: the node cannot "
                              "know it, mesh_check resolves it from the datastore", failure="unknown")
    return resolve_internal_ip(internal_ips, interfaces, version, calico_version, on_kubernetes)


def _family(interfaces, method, calico_version, version, reach):
    effective = method if method else "first-found"
    first = choose("first-found", interfaces, calico_version, version, reach)
    configured = first if effective == "first-found" else choose(method, interfaces, calico_version, version, reach)
    return {"method": effective, "configured": configured, "first_found": first,
            "candidates": candidates(interfaces, calico_version, version)}


def predict(interfaces, method=None, calico_version=None, reach=reach_source, env=None, bird6_running=False):
    """The contract's Prediction: for IPv4 (and IPv6 when calico-node has IPv6 configured) the
    configured method's choice and first-found's, plus every candidate. Returns (prediction, warnings).

    METHOD: the raw IP_AUTODETECTION_METHOD (None or "" is first-found); ENV: calico-node's
    selected env (IP6, IP6_AUTODETECTION_METHOD); BIRD6_RUNNING: BIRD's IPv6 daemon answers.
    """
    warnings = []
    if version_tuple(calico_version)[1]:
        warnings.append("Calico version unknown: predicted autodetection with the newest behaviour (v%d.%d.%d and later)"
                        % NEWEST)
    method = to_text(method)
    prediction = _family(interfaces, method, calico_version, 4, reach)
    prediction.update(calico_version=to_text(calico_version) if calico_version else None,
                      exclusions=default_exclusions(calico_version), ipv6=None)
    env = as_dict(env)
    ip6, method6 = to_text(env.get("IP6")), to_text(env.get("IP6_AUTODETECTION_METHOD"))
    if ip6 == "autodetect" or method6 or (bird6_running and ip6 != "none"):
        ipv6 = _family(interfaces, method6, calico_version, 6, reach)
        ipv6["detects"] = ip6 == "autodetect"
        prediction["ipv6"] = ipv6
    return prediction, warnings


__all__ = ["K8S_INTERNAL_IP", "candidates", "choose", "global_unicast", "predict", "resolve_internal_ip"]
