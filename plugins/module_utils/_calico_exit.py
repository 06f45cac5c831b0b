# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Why calico-node is not running, from the last lines of its log.

Parsers only: lines in, one reason out. Kinds, the most specific first:

- ``address_conflict``: "Calico node 'X' is already using the IPv4 address A." (start-up
  refuses to take another node's address: a renamed host, a duplicated VM);
- ``x509``: a TLS certificate error talking to the datastore (expired, wrong SAN, unknown CA);
- ``unauthorized``: "Connection to the datastore is unauthorized";
- ``datastore_unreachable``: "Hit error connecting to datastore - retry" (and the like);
- ``invalid_autodetection``: an IP_AUTODETECTION_METHOD calico-node rejects, or no address found;
- ``error``: none of these, the newest WARNING/ERROR/FATAL/PANIC line;
- ``stopped``: the newest line says calico-node stopped or was told to.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import to_text

TAIL = 50
_LEVEL = re.compile(r"\[(WARNING|ERROR|FATAL|PANIC)\]")
_ERROR_FIELD = re.compile(r"\berror=(.*)$")
_CONFLICT = re.compile(r"Calico node '([^']+)' is already using the IPv(\d) address (\S+?)\.?\s*$")
_NAME = re.compile(r"Determined node name: (\S+)")
_KINDS = (
    ("address_conflict", re.compile(r"is already using the IPv\d address|conflicting node detected")),
    ("x509", re.compile(r"x509: ")),
    ("unauthorized", re.compile(r"datastore is unauthorized|Unauthorized")),
    ("datastore_unreachable", re.compile(r"error connecting to datastore|Failed to connect to the datastore"
                                         r"|etcd unreachable|connection to the datastore", re.IGNORECASE)),
    ("invalid_autodetection", re.compile(r"Invalid IP autodetection method|Couldn't autodetect|Invalid interface regex")),
)
# The first line calico-node's start-up logs: only the newest run's lines count.
_START = re.compile(r"Early log level set to")
_STOPPED = re.compile(r"calico-node stopped|Received SIGTERM|Shutting down", re.IGNORECASE)
_SUMMARY = {
    "address_conflict": "it conflicts with another Calico node",
    "x509": "a TLS certificate error reaching the datastore",
    "unauthorized": "the datastore refuses its credentials",
    "datastore_unreachable": "it cannot reach the datastore",
    "invalid_autodetection": "its IP autodetection fails",
    "error": "an error",
    "stopped": "it was stopped",
}


def _message(line):
    """The message part of 'DATE TIME [LEVEL][PID] file.go N: message'."""
    head, sep, tail = line.partition("]: ")
    if sep:
        return tail.strip()
    match = re.search(r"\]\s+\S+\s+\d+:\s(.*)$", line)
    return match.group(1).strip() if match else line.strip()


def exit_reason(lines, tail=TAIL):
    """calico-node's newest log LINES (oldest first) -> {kind, summary, line, detail, node_name,
    conflict} or None when the lines say nothing. Only the newest run counts (from the last
    "Early log level set to ..." line on), so an error healed by a restart is forgotten. ``detail`` is the error text (a log field
    ``error=`` when there is one); ``conflict`` = {node, address} for address_conflict;
    ``node_name`` is the name calico-node last said it runs as."""
    lines = [to_text(line).rstrip() for line in (lines or []) if to_text(line).strip()]
    starts = [i for i, line in enumerate(lines) if _START.search(line)]
    if starts:
        lines = lines[starts[-1]:]
    node_name = None
    for line in lines:
        match = _NAME.search(line)
        if match:
            node_name = match.group(1)
    recent = lines[-tail:]
    if not recent:
        return None
    found = None
    for kind, pattern in _KINDS:
        hits = [line for line in recent if pattern.search(line)]
        if hits:
            found = (kind, hits[-1])
            break
    if found is None:
        if _STOPPED.search(recent[-1]):
            found = ("stopped", recent[-1])
        else:
            errors = [line for line in recent if _LEVEL.search(line)]
            if not errors:
                return None
            found = ("error", errors[-1])
    kind, line = found
    message = _message(line)
    match = _ERROR_FIELD.search(message)
    detail = match.group(1).strip().strip('"') if match else message
    conflict = None
    if kind == "address_conflict":
        for candidate in reversed(recent):
            match = _CONFLICT.search(candidate)
            if match:
                conflict = {"node": match.group(1), "address": match.group(3)}
                line, detail = candidate, _message(candidate)
                break
    return {"kind": kind, "summary": _SUMMARY[kind], "line": line, "detail": detail,
            "node_name": node_name, "conflict": conflict}
