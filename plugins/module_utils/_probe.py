# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The active BGP check: one TCP connection to port 179 of every peer, all at once.

Each connection is opened non-blocking, all of them wait together on one selector, and each
is closed as soon as it answers (nothing is sent). The result per address is one of:

- ``connected``: something accepts TCP connections there;
- ``refused``: a TCP reset or an ICMP port unreachable (nothing listens, or a packet filter
  rejects), or the local packet filter rejected the SYN;
- ``timed_out``: no answer within the timeout (a filter drops, or the host is gone);
- ``unreachable``: no route, or ICMP host/network unreachable;
- ``error``: anything else (the detail says what);
- ``established``: not probed, BIRD has an Established session with it (see probe_facts).

Standard library only; it never raises on what the network answers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import ipaddress
import os
import selectors
import socket
import time

BGP_PORT = 179
DEFAULT_TIMEOUT = 1.0

_REFUSED = (errno.ECONNREFUSED, errno.EPERM, errno.EACCES)
_UNREACHABLE = (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN, errno.EADDRNOTAVAIL)


def _classify(err):
    if err == 0:
        return "connected"
    if err in _REFUSED:
        return "refused"
    if err == errno.ETIMEDOUT:
        return "timed_out"
    if err in _UNREACHABLE:
        return "unreachable"
    return "error"


def _entry(result, err, started):
    return {"result": result, "detail": os.strerror(err) if err else None,
            "seconds": round(time.time() - started, 3)}


def probe(addresses, port=BGP_PORT, timeout=DEFAULT_TIMEOUT):
    """-> {address: {"result", "detail", "seconds"}} for every valid address in ADDRESSES.

    Invalid addresses get result ``error``. All connections run at the same time, so the whole
    probe takes at most about TIMEOUT seconds however many peers there are.
    """
    started = time.time()
    results = {}
    pending = {}
    selector = selectors.DefaultSelector()
    try:
        for address in addresses:
            address = str(address).strip()
            if not address or address in results:
                continue
            try:
                family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
            except ValueError:
                results[address] = {"result": "error", "detail": "not an IP address", "seconds": 0.0}
                continue
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as exc:
                results[address] = _entry("error", exc.errno or 0, started)
                results[address]["detail"] = "cannot open a socket: %s" % (exc.strerror or exc)
                continue
            sock.setblocking(False)
            err = sock.connect_ex((address, port))
            if err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                pending[sock] = address
                selector.register(sock, selectors.EVENT_WRITE)
                continue
            results[address] = _entry(_classify(err), err, started)
            sock.close()
        deadline = started + timeout
        while pending:
            remaining = deadline - time.time()
            if remaining <= 0:
                break
            for key, _events in selector.select(remaining):
                sock = key.fileobj
                address = pending.pop(sock)
                selector.unregister(sock)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                results[address] = _entry(_classify(err), err, started)
                sock.close()
        for sock, address in pending.items():
            results[address] = {"result": "timed_out", "detail": "no answer within %ss" % timeout,
                                "seconds": round(time.time() - started, 3)}
            selector.unregister(sock)
            sock.close()
    finally:
        selector.close()
    return results


def probe_facts(addresses, own_addresses=(), port=BGP_PORT, timeout=DEFAULT_TIMEOUT, established=()):
    """node_facts' `probe` part: {"port", "timeout", "peers": {address: result}, "duration_s"}.

    The node's own addresses are left out (a node does not peer with itself). ESTABLISHED: the
    peers this node's BIRD has an Established session with; they are not connected to (result
    ``established``): BIRD with graceful restart, as Calico configures it, takes a new
    connection from a peer it is Established with for that peer restarting and resets the
    session (seen in the lab), so probing them would break what diagnose only looks at.
    """
    own = set(str(a).split("/", 1)[0] for a in own_addresses)
    targets = set(str(a).split("/", 1)[0] for a in addresses if a) - own
    up = targets.intersection(str(a) for a in established)
    started = time.time()
    peers = probe(sorted(targets - up), port, timeout) if targets - up else {}
    for address in up:
        peers[address] = {"result": "established", "detail": "BGP session Established: not probed", "seconds": 0.0}
    return {"port": port, "timeout": timeout, "peers": peers, "duration_s": round(time.time() - started, 3)}
