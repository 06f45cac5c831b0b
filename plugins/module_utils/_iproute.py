# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Interfaces and routes from iproute2's JSON output (`ip -json`).

parse_* functions take the text `ip` printed and return the contract's Interface / Route
dicts; they never raise. collect_* functions run `ip` through a module.run_command-like
callable: run_command(args) -> (rc, stdout, stderr).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, run_ok, to_text

KINDS = ("bridge", "veth", "ipip", "vxlan", "wireguard", "dummy", "tun")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_NO_DEV_TYPES = ("blackhole", "unreachable", "prohibit", "throw")
ROUTE_TYPES = ("unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable",
               "prohibit", "throw", "nat", "xresolve")
_ROUTE_FLAGS = ("onlink", "linkdown", "dead", "pervasive", "offload", "trap", "notify", "rt_offload",
                "rt_trap", "rt_offload_failed")
# `ip route` text keywords followed by one value.
_ROUTE_VALUED = ("via", "dev", "proto", "scope", "src", "metric", "table", "pref", "mtu", "advmss",
                 "expires", "error", "realm", "realms", "hoplimit", "initcwnd", "initrwnd", "rtt",
                 "rttvar", "window", "ssthresh", "cwnd", "reordering", "features", "quickack",
                 "congctl", "fastopen_no_cookie", "nhid", "tos", "dsfield", "weight", "from",
                 "encap", "cache", "lock", "id")


def _loads_list(text):
    try:
        data = json.loads(to_text(text) or "null")
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _kind(link):
    kind = as_dict(link.get("linkinfo")).get("info_kind")
    if kind:
        kind = to_text(kind)
        return kind if kind in KINDS else "other"
    link_type = link.get("link_type")
    if link_type == "loopback":
        return "loopback"
    if link_type == "ether":
        return "ether"
    if link_type in ("ipip", "tunnel"):
        return "ipip"
    if link_type == "none" and to_text(link.get("ifname")).startswith("wg"):
        return "wireguard"
    return "other"


def _mac(link):
    address = to_text(link.get("address")).lower()
    if _MAC.match(address) and address != "00:00:00:00:00:00":
        return address
    return None


def _addresses(addr_info, family):
    out = []
    if not isinstance(addr_info, list):
        return out
    for item in addr_info:
        if not isinstance(item, dict) or item.get("family") != family or not item.get("local"):
            continue
        prefixlen = _int_or_none(item.get("prefixlen"))
        if prefixlen is None:
            prefixlen = 32 if family == "inet" else 128
        address = to_text(item.get("local"))
        out.append({"address": address, "prefixlen": prefixlen, "cidr": "%s/%s" % (address, prefixlen),
                    "scope": to_text(item.get("scope") or "global")})
    return out


def interface_from_json(link):
    """One entry of `ip -json -details addr show` (or link show) -> Interface dict, or None."""
    if not isinstance(link, dict):
        return None
    index = _int_or_none(link.get("ifindex"))
    name = link.get("ifname")
    if index is None or not name:
        return None
    flags = link.get("flags")
    return {
        "index": index,
        "name": to_text(name),
        "kind": _kind(link),
        "state": to_text(link.get("operstate") or "UNKNOWN"),
        "flags": [to_text(f) for f in flags] if isinstance(flags, list) else [],
        "mtu": _int_or_none(link.get("mtu")),
        "mac": _mac(link),
        "master": to_text(link["master"]) if link.get("master") else None,
        "ipv4": _addresses(link.get("addr_info"), "inet"),
        "ipv6": _addresses(link.get("addr_info"), "inet6"),
    }


def parse_interfaces(addr_text, link_text=None):
    """`ip -json -details addr show` text (optionally plus `ip -json -details link show` text,
    whose linkinfo/master win) -> [Interface, ...] sorted by index. Bad input -> []."""
    addrs = _loads_list(addr_text) or []
    links = _loads_list(link_text) if link_text is not None else None
    by_index = {}
    for entry in addrs:
        if isinstance(entry, dict) and _int_or_none(entry.get("ifindex")) is not None:
            by_index[_int_or_none(entry.get("ifindex"))] = dict(entry)
    for entry in links or []:
        if not isinstance(entry, dict) or _int_or_none(entry.get("ifindex")) is None:
            continue
        merged = by_index.setdefault(_int_or_none(entry.get("ifindex")), {})
        for key, value in entry.items():
            if key != "addr_info":
                merged[key] = value
    out = []
    for index in sorted(by_index):
        iface = interface_from_json(by_index[index])
        if iface is not None:
            out.append(iface)
    return out


def _normalise_dst(dst, family):
    dst = to_text(dst).strip()
    if dst in ("", "default"):
        return "0.0.0.0/0" if family == "ipv4" else "::/0"
    if "/" not in dst:
        return dst + ("/32" if ":" not in dst else "/128")
    return dst


def _family_of(dst, gateway, default):
    text = to_text(dst) + to_text(gateway)
    if ":" in text:
        return "ipv6"
    if "." in text:
        return "ipv4"
    return default


def route_from_json(entry, table="main", family="ipv4"):
    """One entry of `ip -json route show` -> Route dict, or None."""
    if not isinstance(entry, dict) or "dst" not in entry:
        return None
    gateway = entry.get("gateway")
    dev = entry.get("dev")
    nexthops = as_list(entry.get("nexthops"))
    if nexthops and isinstance(nexthops[0], dict):
        gateway = gateway or nexthops[0].get("gateway")
        dev = dev or nexthops[0].get("dev")
    rtype = to_text(entry.get("type") or "unicast")
    fam = family if family in ("ipv4", "ipv6") else _family_of(entry.get("dst"), gateway, "ipv4")
    flags = entry.get("flags")
    protocol = entry.get("protocol")
    return {
        "table": to_text(entry.get("table") or table),
        "family": fam,
        "type": rtype,
        "dst": _normalise_dst(entry.get("dst"), fam),
        "gateway": to_text(gateway) if gateway else None,
        "dev": None if rtype in _NO_DEV_TYPES or not dev else to_text(dev),
        "protocol": to_text(protocol) if protocol not in (None, "") else "boot",
        "scope": to_text(entry.get("scope") or "global"),
        "prefsrc": to_text(entry["prefsrc"]) if entry.get("prefsrc") else None,
        "metric": _int_or_none(entry.get("metric")),
        "flags": [to_text(f) for f in flags] if isinstance(flags, list) else [],
    }


def parse_routes(text, table="main", family="ipv4"):
    """`ip -json [-4|-6] route show table T` text -> [Route, ...] in kernel order; bad input -> []."""
    out = []
    for entry in _loads_list(text) or []:
        route = route_from_json(entry, table, family)
        if route is not None:
            out.append(route)
    return out


def parse_routes_text(text, table="main", family="ipv4"):
    """Fallback for iproute2 releases whose `ip -json route` prints text: `ip route` lines -> Routes."""
    out = []
    current = None
    for raw in to_text(text).splitlines():
        if not raw.strip():
            continue
        tokens = raw.split()
        if raw[:1].isspace():
            # `nexthop via X dev Y weight 1` lines of a multipath route.
            if current is not None and tokens[0] == "nexthop":
                hop = _route_tokens(tokens[1:])
                if current.get("gateway") is None and "via" in hop:
                    current["gateway"] = hop["via"]
                if current.get("dev") is None and "dev" in hop:
                    current["dev"] = hop["dev"]
            continue
        entry = {}
        if tokens[0] in ROUTE_TYPES:
            entry["type"] = tokens.pop(0)
        if not tokens:
            continue
        entry["dst"] = tokens.pop(0)
        if not _is_destination(entry["dst"]):
            current = None   # not a route line (an error message, a banner): never a route
            continue
        values = _route_tokens(tokens)
        for src, dest in (("via", "gateway"), ("dev", "dev"), ("proto", "protocol"), ("scope", "scope"),
                          ("src", "prefsrc"), ("metric", "metric"), ("table", "table")):
            if src in values:
                entry[dest] = values[src]
        entry["flags"] = values.get("_flags", [])
        if entry.get("gateway") and " " in to_text(entry["gateway"]):
            entry["gateway"] = entry["gateway"].split()[-1]
        current = route_from_json(entry, table, family)
        if current is not None:
            out.append(current)
    return out


def _is_destination(token):
    """`default`, or an address with an optional prefix length, as `ip route` prints them."""
    if token == "default":
        return True
    address, dummy, length = token.partition("/")
    if length and not length.isdigit():
        return False
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _route_tokens(tokens):
    values = {"_flags": []}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _ROUTE_FLAGS:
            values["_flags"].append(tok)
            i += 1
        elif tok == "via" and i + 2 < len(tokens) and tokens[i + 1] in ("inet", "inet6"):
            values["via"] = tokens[i + 2]
            i += 3
        elif tok in _ROUTE_VALUED and i + 1 < len(tokens):
            values.setdefault(tok, tokens[i + 1])
            i += 2
        else:
            i += 1
    return values


def collect_interfaces(run_command, ip="ip"):
    """-> (interfaces, warnings). One `ip -json -details addr show`; falls back to
    `ip -json addr show` + `ip -json -details link show` when that fails."""
    warnings = []
    out, err = run_ok(run_command, [ip, "-json", "-details", "addr", "show"])
    if out is not None:
        interfaces = parse_interfaces(out)
        if interfaces:
            return interfaces, warnings
        err = "`ip -json -details addr show` printed no JSON list: %r" % to_text(out)[:200]
    addr_out, addr_err = run_ok(run_command, [ip, "-json", "addr", "show"])
    link_out, link_err = run_ok(run_command, [ip, "-json", "-details", "link", "show"])
    interfaces = parse_interfaces(addr_out or "[]", link_out)
    if not interfaces:
        warnings.append("could not read interfaces: %s" % "; ".join(e for e in (err, addr_err, link_err) if e))
    return interfaces, warnings


def collect_routes(run_command, tables=("main",), families=("ipv4",), ip="ip"):
    """-> (routes, warnings): `ip -json -4|-6 route show table T` for each table and family,
    parsing `ip route` text when this iproute2 cannot print routes as JSON."""
    routes = []
    warnings = []
    for table in tables:
        for family in families:
            flag = "-4" if family == "ipv4" else "-6"
            out, err = run_ok(run_command, [ip, "-json", flag, "route", "show", "table", to_text(table)])
            if out is None:
                warnings.append("could not read %s routes of table %s: %s" % (family, table, err))
                continue
            parsed = _loads_list(out or "[]")
            if parsed is None:
                more, warning = _routes_without_json(run_command, ip, flag, table, family, out)
                routes.extend(more)
                warnings.extend([warning] if warning else [])
                continue
            routes.extend(parse_routes(out, table, family))
    return routes, warnings


def _routes_without_json(run_command, ip, flag, table, family, out):
    """Routes when `ip -json route` printed no JSON list -> (routes, warning or None).

    iproute2 4.17-4.20 (Debian 10) prints invalid JSON (`{"blackhole","dst":...}`) as soon as a
    non-unicast route exists, and every Calico node has a blackhole route: `ip route` is run
    again without -json and its text parsed. Releases older than -json print text anyway.
    """
    text = to_text(out)
    if text.lstrip()[:1] not in ("[", "{"):
        routes = parse_routes_text(text, table, family)
        if not routes and text.strip():
            return routes, ("`ip -json route` printed text with no %s route of table %s in it: %r"
                            % (family, table, text.strip()[:200]))
        return routes, None
    args = [ip, flag, "route", "show", "table", to_text(table)]
    again, err = run_ok(run_command, args)
    if again is None:
        return [], ("`ip -json route` printed invalid JSON and `%s` failed: %s: no %s routes of table %s"
                    % (" ".join(args), err, family, table))
    return parse_routes_text(again, table, family), None
