# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Time and size bounds for the node-side socket clients (BIRD, Docker), standard library only.

A per-call socket timeout bounds one recv(), not a reply: a peer that trickles one byte every
timeout-minus-a-little keeps a client waiting for ever, and one that streams without end fills
the memory. So every client reads through a BoundedSocket, whose reads share one absolute
deadline and one byte budget:

    deadline = Deadline(10.0)                       # the whole collection
    sock = BoundedSocket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bound(deadline.sooner(2.0), max_bytes=MAX_REPLY)
    sock.connect(path); sock.recv(65536)            # socket.timeout once the deadline passes,
                                                    # ReplyTooLarge past max_bytes
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import time

# The whole collection of one client may take this many times its per-call timeout.
TOTAL_FACTOR = 5
# No honest reply of BIRD (show protocols all of a 1000-node mesh: a few MB) or of the Docker
# Engine API comes near this.
MAX_REPLY = 32 * 1024 * 1024


class ReplyTooLarge(OSError):
    """More bytes arrived than the client accepts for one reply."""


class Deadline:
    """An absolute point in (monotonic) time."""

    def __init__(self, seconds, clock=time.monotonic):
        self.clock = clock
        self.end = clock() + max(0.0, float(seconds))

    def remaining(self):
        return self.end - self.clock()

    def expired(self):
        return self.remaining() <= 0

    def sooner(self, seconds):
        """A Deadline at the earlier of this one and SECONDS from now."""
        other = Deadline(seconds, self.clock)
        other.end = min(other.end, self.end)
        return other


def total_for(timeout):
    """The default deadline of a whole collection whose single calls may take TIMEOUT seconds."""
    return float(timeout) * TOTAL_FACTOR


class BoundedSocket(socket.socket):
    """A socket whose reads stop at a deadline and after a byte budget (see the module docstring).

    Without bound() it is a plain socket. http.client reads through makefile(), which calls
    recv_into(), so a BoundedSocket bounds an HTTP response too.
    """

    def bound(self, deadline, max_bytes=MAX_REPLY):
        self._md_deadline = deadline
        self._md_max = max_bytes
        self._md_left = max_bytes

    def rebound(self, deadline):
        """A new deadline (the next request or reply), the byte budget kept."""
        self._md_deadline = deadline

    def _md_before(self):
        deadline = getattr(self, "_md_deadline", None)
        if deadline is None:
            return
        remaining = deadline.remaining()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        socket.socket.settimeout(self, remaining)

    def _md_after(self, count):
        left = getattr(self, "_md_left", None)
        if left is None:
            return
        self._md_left = left - count
        if self._md_left < 0:
            raise ReplyTooLarge("more than the %d bytes accepted for one reply" % self._md_max)

    def recv(self, bufsize, flags=0):
        self._md_before()
        data = socket.socket.recv(self, bufsize, flags)
        self._md_after(len(data))
        return data

    def recv_into(self, buffer, nbytes=0, flags=0):
        self._md_before()
        count = socket.socket.recv_into(self, buffer, nbytes, flags)
        self._md_after(count)
        return count

    def sendall(self, data, flags=0):
        self._md_before()
        return socket.socket.sendall(self, data, flags)
