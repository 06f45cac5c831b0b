# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Calico's VXLAN data plane on this node (standard library only): the `vxlan.calico` device,
its neighbour (ARP) entries and its forwarding database, from iproute2's JSON.

With CALICO_NETWORKING_BACKEND=vxlan no BIRD runs; felix programs, for every other node, a
route `<block> via <its VTEP address> dev vxlan.calico onlink`, a permanent neighbour entry
VTEP address -> VTEP MAC, and an FDB entry VTEP MAC -> that node's address (`dst`).

parse_* functions take the text iproute2 printed and never raise; collect_vxlan runs
`ip`/`bridge` through a module.run_command-like callable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, run_ok, to_text

DEVICE = "vxlan.calico"
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def _list(text):
    try:
        data = json.loads(to_text(text) or "null")
    except ValueError:
        return []
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _mac(value):
    value = to_text(value).lower()
    return value if _MAC.match(value) else None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_device(text, name=DEVICE):
    """`ip -json -details link show dev NAME` -> {name, kind, up, state, mtu, mac, vni, local,
    parent, port, learning}, or None when NAME is not in it. vni/local/parent/port/learning are
    null unless the device is a vxlan link (`linkinfo.info_data` of kind vxlan)."""
    for link in _list(text):
        if link.get("ifname") != name:
            continue
        info = as_dict(link.get("linkinfo"))
        data = as_dict(info.get("info_data")) if info.get("info_kind") == "vxlan" else {}
        flags = [to_text(f) for f in as_list(link.get("flags"))]
        return {
            "name": name,
            "kind": to_text(info.get("info_kind")) or None,
            # A vxlan device's operstate is UNKNOWN when it works: UP and LOWER_UP are what count.
            "up": "UP" in flags and "LOWER_UP" in flags,
            "state": to_text(link.get("operstate")) or None,
            "mtu": _int(link.get("mtu")),
            "mac": _mac(link.get("address")),
            "vni": _int(data.get("id")),
            "local": to_text(data.get("local")) or None,
            "parent": to_text(data.get("link")) or None,
            "port": _int(data.get("port")),
            "learning": data.get("learning") if isinstance(data.get("learning"), bool) else None,
        }
    return None


def parse_neighbours(text):
    """`ip -json neigh show dev vxlan.calico` -> [{address, mac, state}] (state: the kernel's NUD
    states, upper case, e.g. ['PERMANENT']; mac null for an unresolved entry)."""
    out = []
    for entry in _list(text):
        address = to_text(entry.get("dst")) or None
        if not address:
            continue
        state = entry.get("state")
        out.append({"address": address, "mac": _mac(entry.get("lladdr")),
                    "state": [to_text(s) for s in (state if isinstance(state, list) else [state] if state else [])]})
    return out


def parse_fdb(text, name=DEVICE):
    """`bridge -json fdb show dev vxlan.calico` -> [{mac, dst, self, state, vni, port}] for the unicast
    entries (multicast MACs the kernel adds for the device itself are left out). iproute2 names the
    device `ifname` (older releases `dev`) and leaves it out when filtering by device."""
    out = []
    for entry in _list(text):
        mac = _mac(entry.get("mac"))
        dev = entry.get("ifname", entry.get("dev"))
        if mac is None or int(mac[:2], 16) & 1 or (dev is not None and dev != name):
            continue
        out.append({"mac": mac, "dst": to_text(entry.get("dst")) or None,
                    "self": "self" in as_list(entry.get("flags")),
                    "state": to_text(entry.get("state")) or None,
                    "vni": _int(entry.get("vni")), "port": _int(entry.get("port"))})
    return out


def collect_vxlan(run_command, interfaces, name=DEVICE, ip="ip", bridge="bridge"):
    """-> (VxlanInfo or None, warnings). None (and no command run) when INTERFACES (the
    contract's Interface list) has no NAME."""
    if not any(as_dict(i).get("name") == name for i in as_list(interfaces)):
        return None, []
    warnings = []
    info = {"device": None, "neighbours": [], "fdb": []}
    for key, args, parser in (
            ("device", [ip, "-json", "-details", "link", "show", "dev", name], lambda text: parse_device(text, name)),
            ("neighbours", [ip, "-json", "neigh", "show", "dev", name], parse_neighbours),
            ("fdb", [bridge, "-json", "fdb", "show", "dev", name], lambda text: parse_fdb(text, name))):
        out, err = run_ok(run_command, args)
        if out is None:
            warnings.append("could not read %s's %s: %s" % (name, key, err))
            continue
        info[key] = parser(out)
    return info, warnings
