# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Who listens on a TCP port: /proc/net/tcp{,6} for the listening sockets, /proc/*/fd for
their owners. Standard library only; never raises on what /proc holds.

Used for BGP's port 179: when BIRD says "No listening socket", the owner of the port names
the program that took it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import re

TCP_LISTEN = "0A"
_SOCKET_LINK = re.compile(r"^socket:\[(\d+)\]$")


def _address(hexaddr):
    """/proc/net/tcp's 'AABBCCDD:PPPP' -> ('a.b.c.d', port); IPv6 in four little-endian words."""
    host, dummy, port = hexaddr.partition(":")
    try:
        raw = bytes.fromhex(host)
        if len(raw) == 4:
            address = str(ipaddress.IPv4Address(raw[::-1]))
        elif len(raw) == 16:
            address = str(ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))))
        else:
            return None, None
        return address, int(port, 16)
    except ValueError:
        return None, None


def parse_proc_net_tcp(text):
    """/proc/net/tcp or tcp6 text -> [{"address", "port", "state", "uid", "inode"}, ...]."""
    out = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        address, port = _address(fields[1])
        if address is None:
            continue
        try:
            uid, inode = int(fields[7]), int(fields[9])
        except ValueError:
            continue
        out.append({"address": address, "port": port, "state": fields[3].upper(), "uid": uid, "inode": inode})
    return out


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def socket_owners(inodes, proc="/proc"):
    """{inode: pid} for the sockets in INODES, found through /proc/<pid>/fd links."""
    owners = {}
    wanted = set(inodes)
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return owners
    for pid in pids:
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                match = _SOCKET_LINK.match(os.readlink(os.path.join(fd_dir, fd)))
            except OSError:
                continue
            if match and int(match.group(1)) in wanted:
                owners.setdefault(int(match.group(1)), int(pid))
        if len(owners) == len(wanted):
            break
    return owners


def listeners(port, proc="/proc"):
    """-> (listeners, warnings): who listens on TCP PORT in this network namespace.

    Each listener: {"address", "port", "inode", "pid", "program", "cmdline"}; pid, program and
    cmdline are null when the owner cannot be seen (another PID namespace, no permission).
    """
    found = []
    warnings = []
    for name in ("tcp", "tcp6"):
        text = _read(os.path.join(proc, "net", name))
        if text is None:
            if name == "tcp":
                warnings.append("cannot read %s: the owner of TCP port %d is unknown" % (os.path.join(proc, "net", name), port))
            continue
        found.extend(s for s in parse_proc_net_tcp(text) if s["port"] == port and s["state"] == TCP_LISTEN)
    owners = socket_owners([s["inode"] for s in found], proc) if found else {}
    out = []
    for sock in found:
        pid = owners.get(sock["inode"])
        program = cmdline = None
        if pid is not None:
            program = (_read(os.path.join(proc, str(pid), "comm")) or "").strip() or None
            cmdline = (_read(os.path.join(proc, str(pid), "cmdline")) or "").replace("\0", " ").strip() or None
        out.append({"address": sock["address"], "port": port, "inode": sock["inode"], "pid": pid,
                    "program": program, "cmdline": cmdline})
    return out, warnings
