# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""calico-node's log: the lines as any runtime stores them, and the evidence lines that say how
calico-node chose its address (standard library only).

The address monitor (`calico-node -monitor-addresses`, v3.15.2+/v3.16.0+) logs with the
`monitor-addresses/` component prefix of Calico's log formatter; its lines say when the
node's address moved at runtime ("Updated node IP addresses") or could not be written
("Unable to set node resource configuration"). Each evidence item keeps the line's own
timestamp and component.

Parsers take text/bytes and return plain data, never raising; they are tested on recorded logs
(tests/unit/fixtures/calico_node).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import loads_or_none, to_text

_ADDR = r"([0-9A-Fa-f:.]+(?:/\d+)?)"
_AUTODETECT = (
    ("cidr", re.compile(r"Using autodetected IPv([46]) address %s on interface (\S+) matching cidrs" % _ADDR)),
    ("interface", re.compile(r"Using autodetected IPv([46]) address %s on matching interface (\S+?)\s*$" % _ADDR)),
    ("can-reach", re.compile(r"Using autodetected IPv([46]) address %s, detected by connecting to (\S+?)\s*$" % _ADDR)),
    ("skip-interface", re.compile(r"Using autodetected IPv([46]) address on interface (\S+): %s while skipping" % _ADDR)),
    ("first-found", re.compile(r"Using autodetected IPv([46]) address on interface (\S+): %s\s*$" % _ADDR)),
)
_CHANGED = re.compile(r"IPv([46]) address has changed\.")
_FIELD = re.compile(r'\b(original|updated|node)=("([^"]*)"|(\S+))')
_CONFLICT = re.compile(r"Calico node '([^']*)' is already using the IPv([46]) address ([0-9A-Fa-f:.]+?)\.?(?:\s|$)")
_CRI = re.compile(r"^(\S+)\s+(stdout|stderr)\s+([PF])\s?(.*)$")
# Calico's formatter: `2026-11-25 14:03:12.345 [INFO][90] monitor-addresses/startup.go 356: msg`
# (the component is absent on old releases' start-up lines: `[INFO][10] startup.go 564:`).
_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) \[\w+\]\[\d+\] (?:([A-Za-z][\w-]*)/)?\S+ \d+: ")
MONITOR = "monitor-addresses"
_UPDATED = "Updated node IP addresses"
_UPDATE_FAILED = re.compile(r"Unable to set node resource configuration(?:, retrying\.\.\.)?(?:\s+error=(\"[^\"]*\"|\S+))?")


def parse_log_lines(data):
    """calico-node's log as stored by any runtime -> [message line, ...].

    Understands plain text, CRI files (`<time> stdout F <line>`, partial 'P' lines joined) and
    Docker's json-file lines (`{"log": "...", ...}`).
    """
    out = []
    partial = ""
    for raw in to_text(data).replace("\r\n", "\n").split("\n"):
        if raw.startswith("{") and '"log"' in raw:
            entry = loads_or_none(raw)
            if isinstance(entry, dict) and "log" in entry:
                text = partial + to_text(entry.get("log"))
                partial = ""
                if text.endswith("\n"):
                    out.append(text.rstrip("\n"))
                else:
                    partial = text
                continue
        match = _CRI.match(raw)
        if match and re.match(r"^\d{4}-\d{2}-\d{2}T", match.group(1)):
            if match.group(3) == "P":
                partial += match.group(4)
            else:
                out.append(partial + match.group(4))
                partial = ""
            continue
        if raw.strip():
            out.append(partial + raw.rstrip("\r"))
            partial = ""
    if partial:
        out.append(partial)
    return out


def merge_by_time(*sources):
    """Several logs' lines (lists) -> one list in the time order of Calico's own timestamps
    (stable; a line without one keeps the time of the line before it in its source). Used to
    put the monitor's own log file beside the container's log."""
    keyed = []
    for index, lines in enumerate(sources):
        last = ""
        for pos, line in enumerate(lines or ()):
            match = _PREFIX.match(to_text(line))
            if match:
                last = match.group(1).ljust(23, "0")
            keyed.append(((last, index, pos), line))
    keyed.sort(key=lambda pair: pair[0])
    return [line for _key, line in keyed]


def _evidence(kind, line, version, address=None, interface=None, method=None, original=None, updated=None):
    match = _PREFIX.match(line)
    return {"kind": kind, "line": line, "version": version, "address": address, "interface": interface,
            "method": method, "original": original, "updated": updated,
            "time": match.group(1) if match else None, "component": match.group(2) if match else None,
            "written": None, "error": None}


def _mark_monitor_writes(items):
    """Tell which monitor detections became the node's address, and drop repeats.

    A monitor detection that changed the address is written when "Updated node IP addresses"
    follows it (before its next detection) and not written when only "Unable to set node
    resource configuration" does. The monitor logs a detection every poll: a repeat of the
    address it saw last is dropped, and one repeating a detection it could not write is not
    written either (before v3.29.0 the monitor keeps the address in memory, so it stops
    reporting a change it never wrote). A start-up detection (calico-node started again)
    starts over.
    """
    for pos, item in enumerate(items):
        if item["kind"] != "autodetected" or item["component"] != MONITOR:
            continue
        for later in items[pos + 1:]:
            if later["component"] != MONITOR or later["kind"] == "autodetected":
                break
            if later["kind"] == "node_updated":
                item["written"] = True
                break
            if later["kind"] == "update_failed":
                item["written"] = False
    out, last, unwritten = [], None, None
    for item in items:
        if item["kind"] == "autodetected" and item["component"] != MONITOR:
            last, unwritten = None, None
        elif item["kind"] == "autodetected":
            if item["written"] is None and unwritten == item["address"]:
                item["written"] = False
            elif item["written"] is not None:
                unwritten = item["address"] if item["written"] is False else None
            if last is not None and last["address"] == item["address"] and item["written"] is not True:
                continue
            last = item
        out.append(item)
    return out


def parse_log_evidence(data):
    """Log text or a list of lines -> the contract's log_evidence list (oldest first)."""
    lines = data if isinstance(data, (list, tuple)) else parse_log_lines(data)
    out = []
    for line in lines:
        line = to_text(line).rstrip()
        if "Using autodetected IPv" in line:
            for method, pattern in _AUTODETECT:
                match = pattern.search(line)
                if not match:
                    continue
                version = int(match.group(1))
                if method in ("first-found", "skip-interface"):
                    iface, addr = match.group(2), match.group(3)
                elif method == "can-reach":
                    iface, addr = None, match.group(2)
                else:
                    addr, iface = match.group(2), match.group(3)
                out.append(_evidence("autodetected", line, version, addr, iface, method))
                break
            continue
        match = _CHANGED.search(line)
        if match:
            fields = dict((m.group(1), m.group(3) if m.group(3) is not None else m.group(4))
                          for m in _FIELD.finditer(line[match.end():]))
            out.append(_evidence("address_changed", line, int(match.group(1)), fields.get("updated"),
                                 original=fields.get("original"), updated=fields.get("updated")))
            continue
        match = _CONFLICT.search(line)
        if match:
            out.append(_evidence("conflict", line, int(match.group(2)), match.group(3)))
            continue
        if _UPDATED in line:
            out.append(_evidence("node_updated", line, None))
            continue
        match = _UPDATE_FAILED.search(line)
        if match:
            item = _evidence("update_failed", line, None)
            item["error"] = (match.group(1) or "").strip('"') or None
            out.append(item)
    return _mark_monitor_writes(out)


def detected_ipv4(evidence):
    """The IPv4 address and interface of the last autodetection in EVIDENCE that Calico kept,
    else (None, None): a monitor detection whose write failed is not the node's address."""
    for item in reversed(evidence):
        if item["kind"] == "autodetected" and item["version"] == 4 and item.get("written") is not False:
            return item["address"], item["interface"]
    return None, None
