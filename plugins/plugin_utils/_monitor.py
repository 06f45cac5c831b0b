# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico-node's address monitor on a node: whether it re-detects, how often, and when it moved
the node's address (read from Calico's source, node/pkg/lifecycle/startup/startup.go):

- the runit service `monitor-addresses` exists from v3.15.2 (in 3.15) and v3.16.0;
- it re-runs IP_AUTODETECTION_METHOD every AUTODETECT_POLL_INTERVAL (a Go duration, default
  60 s, unparsable: 60 s) only when IP=autodetect, and writes a changed address to the Node;
- before v3.29.0 it reads the Node once, when it starts, and its first write clears the
  in-memory ResourceVersion: every later write fails ("resource already exists") until
  calico-node restarts. So it moves the address once per start, and does not move it back
  by itself; from v3.29.0 it re-reads the Node every poll and does.
"""
from __future__ import annotations

import datetime
import re

from ._addr import bare

DEFAULT_INTERVAL = 60.0
MONITOR = "monitor-addresses"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def release(text):
    """'v3.24.5' -> (3, 24, 5); None when unknown."""
    match = _VERSION.match(str(text or "").strip())
    return tuple(int(x or 0) for x in match.groups()) if match else None


def has_monitor(version):
    """True/False for a release tuple, None when the release is unknown."""
    if version is None:
        return None
    return version >= (3, 16, 0) or (version[:2] == (3, 15) and version >= (3, 15, 2))


def go_duration(text):
    """Go's time.ParseDuration for non-negative values -> seconds, None when Go refuses it."""
    text = str(text or "").strip()
    if text == "0":
        return 0.0
    body = text[1:] if text[:1] == "+" else text
    pos, total = 0, 0.0
    while pos < len(body):
        match = _PART.match(body, pos)
        if not match:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total if body else None


def parse_time(text):
    """A Docker `Created` (RFC 3339, nanoseconds) or a Calico log time -> aware datetime
    (no offset: UTC, as in the calico/node image), None when unreadable."""
    match = _RFC3339.match(str(text or "").strip())
    if not match:
        return None
    day, clock, frac, zone = match.groups()
    micro = int(((frac or ".0")[1:] + "000000")[:6])
    stamp = datetime.datetime.strptime(day + " " + clock, "%Y-%m-%d %H:%M:%S").replace(microsecond=micro)
    offset = datetime.timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return stamp.replace(tzinfo=datetime.timezone(offset))


def last_switch(evidence):
    """The monitor's last written move of the IPv4 address: {time, address, interface, original},
    or None. `time` is its "Updated node IP addresses" line (the write), `original` comes from
    the "IPv4 address has changed" line between the two."""
    found = None
    for pos, item in enumerate(evidence or ()):
        if item.get("component") != MONITOR or item.get("kind") != "autodetected" or item.get("version") != 4 \
                or item.get("written") is not True:
            continue
        found = {"time": item.get("time"), "address": bare(item.get("address")), "interface": item.get("interface"),
                 "original": None}
        for later in evidence[pos + 1:]:
            if later.get("component") != MONITOR:
                continue
            if later.get("kind") == "address_changed":
                found["original"] = later.get("original")
            elif later.get("kind") == "node_updated":
                found["time"] = later.get("time") or found["time"]
                break
    return found


def _wrote_since_start(evidence):
    """Has the monitor written an address since calico-node's last start-up detection?"""
    wrote = False
    for item in evidence or ():
        if item.get("kind") == "autodetected" and item.get("component") != MONITOR:
            wrote = False
        elif item.get("kind") == "node_updated" and item.get("component") == MONITOR:
            wrote = True
    return wrote


def monitor_of(node):
    """What calico-node's address monitor does on NODE (facts of calico_node_info)."""
    calico = node.calico or {}
    env = calico.get("env") or {}
    version = release(calico.get("calico_version"))
    present = has_monitor(version)
    raw = env.get("AUTODETECT_POLL_INTERVAL")
    interval = go_duration(raw) if raw else None
    if interval is None:
        interval = DEFAULT_INTERVAL
    rereads = None if version is None else version >= (3, 29, 0)
    redetects = bool(present) and env.get("IP") == "autodetect"
    evidence = calico.get("log_evidence") or []
    # Before v3.29.0 one write per calico-node start: after it the monitor cannot move the address.
    can_write = redetects and (rereads or not _wrote_since_start(evidence))
    return {"present": present, "redetects": redetects, "interval": interval,
            "interval_text": "%gs" % interval, "switches_back": bool(redetects and rereads),
            "can_write": bool(can_write), "switch": last_switch(evidence)}


def seconds_between(earlier, later):
    """Whole seconds from EARLIER to LATER (both texts parse_time reads), None if unknown."""
    start, end = parse_time(earlier), parse_time(later)
    if start is None or end is None:
        return None
    return int(round((end - start).total_seconds()))


def switch_clause(node, address, bridge):
    """', switched at 14:03:12 by calico-node's address monitor, 41 s after docker network
    gerrit_default was created' when the monitor's last written move went to ADDRESS; else ''.
    Also returns the figures: (text, {switched_at, switched_by, bridge_created, seconds_after})."""
    switch = monitor_of(node)["switch"]
    if not switch or switch["address"] != bare(address) or not switch["time"]:
        return "", {}
    clock = switch["time"].split(" ", 1)[-1].split(".", 1)[0]
    text = ", switched at %s by calico-node's address monitor" % clock
    figures = {"switched_at": switch["time"], "switched_by": MONITOR, "switched_from": switch["original"],
               "bridge_created": (bridge or {}).get("created"), "seconds_after_bridge": None}
    if bridge and bridge.get("created"):
        after = seconds_between(bridge["created"], switch["time"])
        if after is not None and after >= 0:
            figures["seconds_after_bridge"] = after
            what = ("docker network %s" % bridge["network_name"]) if bridge.get("network_name") \
                else "bridge %s" % bridge.get("name")
            text += ", %d s after %s was created" % (after, what)
    return text, figures
