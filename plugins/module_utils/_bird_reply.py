# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""BIRD's control-socket replies: the framing and the parsers of `show status` and `show protocols`.

BIRD (1.6 as Calico ships it, and 2.x) answers on a unix socket with lines that start with a
4-digit code followed by '-' (more lines follow) or ' ' (last line of the reply); a
continuation line may start with a single space instead of a code. 0xxx: ok, 1xxx: table
rows, 2xxx: table headings, 8xxx: run-time errors, 9xxx: parse errors.

Parsers take the raw reply (bytes or text) or the (code, line) list _bird.BirdClient.command()
returns, and never raise on odd input. Nothing here touches a socket.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import to_text

BGP_STATES = ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established",
              "Close", "Passive", "Down")
PEER_PREFIXES = {"Mesh": "mesh", "Node": "node", "Global": "global"}

_CODE_LINE = re.compile(r"^(\d{4})([ -])(.*)$")
_ROW = re.compile(
    r"^(?P<name>\S+)\s+(?P<proto>\S+)\s+(?P<table>\S+)\s+(?P<state>\S+)\s+"
    r"(?P<since>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}:\d{2}(?:\.\d+)?|\S+)"
    r"(?:\s+(?P<info>.*?))?\s*$")
_HEADING = re.compile(r"^\s*name\s+proto\s+table\s+state\s+since\s+info\s*$", re.IGNORECASE)
_WELCOME = re.compile(r"^BIRD\s+(\S+)\s+ready\.?\s*$")
_VERSION = re.compile(r"^BIRD\s+(v?\d\S*)\s*$")
# Calico's BIRD fork: "v0.3.3+birdv1.6.8" (fork release + the BIRD release it is built on).
_FORK_VERSION = re.compile(r"^v?(?P<fork>\d[\w.-]*)\+bird-?v?(?P<bird>\d\S*)$")
_ROUTER_ID = re.compile(r"Router ID is\s+(\S+)")
_PEER_NAME = re.compile(r"^(Mesh|Node|Global)_(.+?)(?:_port_(\d+))?$")
_NEIGHBOR = re.compile(r"^\s*Neighbor address:\s*(\S+)")
_DETAIL_STATE = re.compile(r"^\s*BGP state:\s*(\S+)")
_DETAIL_ERROR = re.compile(r"^\s*Last error:\s*(.+?)\s*$")


def reply_complete(data):
    """True when DATA (bytes or text) ends with the last line of a reply ('NNNN text\\n')."""
    text = to_text(data)
    if not text.endswith("\n"):
        return False
    last = text[:-1].rsplit("\n", 1)[-1]
    return len(last) >= 5 and last[:4].isdigit() and last[4] == " "


def parse_reply(data):
    """Raw reply (bytes/text) or a list of lines -> [(code or None, text), ...].

    Continuation lines (starting with a space) carry the code of the line before them.
    Lines without any code (e.g. birdc's printed output) get code None.
    """
    if isinstance(data, (list, tuple)):
        out = []
        for item in data:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                code, line = item
                out.append((code if isinstance(code, int) else None, to_text(line)))
            else:
                out.extend(parse_reply(to_text(item) + "\n"))
        return out
    out = []
    code = None
    for line in to_text(data).replace("\r\n", "\n").split("\n"):
        if line == "":
            continue
        match = _CODE_LINE.match(line)
        if match:
            code = int(match.group(1))
            out.append((code, match.group(3)))
        elif line.startswith(" ") and code is not None:
            out.append((code, line[1:]))
        else:
            out.append((None, line))
    return out


def reply_error(lines):
    """The first 8xxx/9xxx message of a reply as 'NNNN text', else None."""
    for code, text in parse_reply(lines):
        if code is not None and code >= 8000:
            return "%04d %s" % (code, text.strip())
    return None


def decode_peer_name(name):
    """'Mesh_192_168_1_172' -> ('mesh', '192.168.1.172'); 'Node_fd00__1' -> ('node', 'fd00::1').

    Calico names BGP peers Mesh_/Node_/Global_ + the address with '.' and ':' replaced by '_'
    (recent releases may add '_port_<n>'). Anything else -> (None, None).
    """
    match = _PEER_NAME.match(to_text(name))
    if not match:
        return None, None
    body = match.group(2)
    parts = body.split("_")
    candidates = []
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        candidates.append(".".join(parts))
    candidates.append(body.replace("_", ":"))
    for text in candidates:
        try:
            return PEER_PREFIXES[match.group(1)], str(ipaddress.ip_address(text))
        except ValueError:
            continue
    return None, None


def split_version(text):
    """BIRD's version string -> (BIRD version, Calico fork version or None).

    '1.6.8' -> ('1.6.8', None); 'v0.3.3+birdv1.6.8' (Calico's fork) -> ('1.6.8', '0.3.3');
    anything else is kept as it is, without a leading 'v' before a digit.
    """
    text = to_text(text).strip()
    match = _FORK_VERSION.match(text)
    if match:
        return match.group("bird"), match.group("fork")
    if text[:1] == "v" and text[1:2].isdigit():
        text = text[1:]
    return (text or None), None


def _split_bgp_info(info, state=None):
    """BGP info column -> (bgp_state, last_error).

    'Active        Socket: Connection refused' -> ('Active', 'Socket: Connection refused').
    A protocol that is down prints its error in place of the BGP state (BIRD 1.6 and 2:
    'down  13:25:20  Error: No listening socket'): -> ('Down', 'Error: No listening socket').
    """
    if not info:
        return None, None
    words = info.split(None, 1)
    if words[0] not in BGP_STATES:
        if state == "down":
            return "Down", info.strip()
        return None, None
    error = words[1].strip() if len(words) > 1 else ""
    return words[0], (error or None)


def parse_protocol_row(line):
    """One `show protocols` row -> protocol dict (the contract's BirdInfo.protocols item) or None."""
    line = to_text(line)
    if _HEADING.match(line):
        return None
    match = _ROW.match(line.strip())
    if not match:
        return None
    name, proto = match.group("name"), match.group("proto")
    table = match.group("table")
    info = (match.group("info") or "").strip() or None
    item = {
        "name": name,
        "proto": proto,
        "table": None if table == "---" else table,
        "state": match.group("state").lower(),
        "since": match.group("since"),
        "info": info,
        "bgp_state": None,
        "last_error": None,
        "peer_address": None,
        "peer_type": None,
    }
    if proto.upper() == "BGP":
        item["bgp_state"], item["last_error"] = _split_bgp_info(info, item["state"])
        item["peer_type"], item["peer_address"] = decode_peer_name(name)
    return item


def parse_show_protocols(data):
    """`show protocols` (or `show protocols all`) reply -> [protocol dict, ...] in BIRD's order.

    Accepts the raw socket reply, the (code, line) list of BirdClient.command(), or plain text
    as birdc prints it. With `all`, the 'Neighbor address:' detail fills peer_address when the
    name does not carry it.
    """
    protocols = []
    for code, text in parse_reply(data):
        if code is None:
            # birdc-style text: rows start in column 0, details are indented.
            if _HEADING.match(text) or _WELCOME.match(text.strip()):
                continue
            is_row = not text[:1].isspace()
        elif code == 1002:
            is_row = True
        elif 1000 <= code < 2000:
            is_row = False
        else:
            continue  # 0xxx end/ok, 2xxx headings, 8xxx/9xxx errors
        if is_row:
            row = parse_protocol_row(text)
            if row is not None:
                protocols.append(row)
            continue
        if not protocols or protocols[-1]["proto"].upper() != "BGP":
            continue
        _detail(protocols[-1], text)
    return protocols


def _detail(proto, text):
    """One `show protocols all` detail line of a BGP protocol fills what its row left empty."""
    match = _NEIGHBOR.match(text)
    if match and proto["peer_address"] is None:
        try:
            proto["peer_address"] = str(ipaddress.ip_address(match.group(1)))
        except ValueError:
            pass
        return
    match = _DETAIL_STATE.match(text)
    if match and proto["bgp_state"] is None and match.group(1) in BGP_STATES:
        proto["bgp_state"] = match.group(1)
        return
    match = _DETAIL_ERROR.match(text)
    if match and proto["last_error"] is None:
        proto["last_error"] = match.group(1)


def parse_show_status(data):
    """`show status` reply (or the welcome banner) -> dict with version, router_id, status, times."""
    result = {"version": None, "fork_version": None, "router_id": None, "status": None, "server_time": None,
              "last_reboot": None, "last_reconfiguration": None}
    for code, text in parse_reply(data):
        text = text.strip()
        if not text:
            continue
        match = _WELCOME.match(text) or _VERSION.match(text)
        if match and result["version"] is None:
            result["version"], result["fork_version"] = split_version(match.group(1))
            continue
        match = _ROUTER_ID.search(text)
        if match:
            try:
                result["router_id"] = str(ipaddress.ip_address(match.group(1)))
            except ValueError:
                result["router_id"] = match.group(1)
            continue
        for prefix, key in (("Current server time is", "server_time"), ("Last reboot on", "last_reboot"),
                            ("Last reconfiguration on", "last_reconfiguration")):
            if text.startswith(prefix):
                result[key] = text[len(prefix):].strip() or None
                break
        else:
            if code is not None and code < 1000 and code != 1:
                result["status"] = text
    return result


def reply_end(buf, start=0):
    """Offset just past the first 'NNNN text' line (the last line of a reply) in BUF at or
    after START (a line start), or None."""
    while True:
        nl = buf.find(b"\n", start)
        if nl < 0:
            return None
        if nl - start >= 5 and buf[start:start + 4].isdigit() and buf[start + 4:start + 5] == b" ":
            return nl + 1
        start = nl + 1
