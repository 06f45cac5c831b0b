# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""calico-node's log: the lines as any runtime stores them, and the evidence lines that say how
calico-node chose its address (standard library only).

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


def _evidence(kind, line, version, address=None, interface=None, method=None, original=None, updated=None):
    return {"kind": kind, "line": line, "version": version, "address": address, "interface": interface,
            "method": method, "original": original, "updated": updated}


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
    return out


def detected_ipv4(evidence):
    """The IPv4 address and interface of the last autodetection in EVIDENCE, else (None, None)."""
    for item in reversed(evidence):
        if item["kind"] == "autodetected" and item["version"] == 4:
            return item["address"], item["interface"]
    return None, None
