# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""BIRD's control socket: a small client, and bird_state() that asks it for the contract's BirdInfo.

Only BirdClient touches the socket; the replies are parsed by _bird_reply.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket

from ansible_collections.meshdoctor.calico.plugins.module_utils._bird_reply import (
    parse_reply,
    parse_show_protocols,
    parse_show_status,
    reply_end,
    reply_error,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._common import to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._deadline import (
    MAX_REPLY,
    BoundedSocket,
    Deadline,
    ReplyTooLarge,
    total_for,
)

DEFAULT_SOCKET = "/var/run/calico/bird.ctl"
DEFAULT_SOCKET6 = "/var/run/calico/bird6.ctl"
DEFAULT_TIMEOUT = 2.0


class BirdError(Exception):
    """The control socket could not be used; str() says what was tried and what happened."""

    def __init__(self, message, reason=None):
        super(BirdError, self).__init__(message)
        self.reason = reason or message


class BirdClient:
    """A connection to BIRD's control socket.

        with BirdClient("/var/run/calico/bird.ctl", 2.0) as bird:
            lines = bird.command("show protocols")   # [(code, text), ...]

    Raises BirdError (with .reason, one short phrase) when the socket is missing, refuses,
    times out or closes mid-reply. Each reply may take TIMEOUT seconds in all (not per read);
    DEADLINE (a _deadline.Deadline) bounds the whole conversation, MAX_REPLY the bytes read.
    """

    def __init__(self, path=DEFAULT_SOCKET, timeout=DEFAULT_TIMEOUT, deadline=None, max_reply=MAX_REPLY):
        self.path = path
        self.timeout = float(timeout)
        self.deadline = deadline
        self.max_reply = max_reply
        self.sock = None
        self.welcome = []
        self._buffer = bytearray()
        self._scanned = 0          # bytes of _buffer already known to hold no reply end

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _call_deadline(self):
        if self.deadline is None:
            return Deadline(self.timeout)
        return self.deadline.sooner(self.timeout)

    def connect(self):
        if self.sock is not None:
            return self.welcome
        if not os.path.exists(self.path):
            raise BirdError("no socket at %s" % self.path)
        if self.deadline is not None and self.deadline.expired():
            raise BirdError("no time left to ask %s" % self.path, "timed out")
        sock = BoundedSocket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bound(self._call_deadline(), self.max_reply)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except socket.timeout:
            sock.close()
            raise BirdError("connecting to %s timed out after %ss" % (self.path, self.timeout), "timed out")
        except OSError as exc:
            sock.close()
            if exc.errno == errno.ECONNREFUSED:
                raise BirdError("connection refused on %s (stale socket, BIRD not running)" % self.path,
                                "connection refused")
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise BirdError("permission denied on %s" % self.path, "permission denied")
            if exc.errno == errno.ENOENT:
                raise BirdError("no socket at %s" % self.path)
            raise BirdError("cannot connect to %s: %s" % (self.path, exc.strerror or exc))
        self.sock = sock
        self.welcome = self._read_reply()
        return self.welcome

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self._buffer = bytearray()
                self._scanned = 0

    def _timed_out(self):
        total = "" if self.deadline is None or not self.deadline.expired() else " (the deadline of the whole collection)"
        return BirdError("no complete reply from %s within %ss%s (got %r)"
                         % (self.path, self.timeout, total, bytes(self._buffer[-200:])), "timed out")

    def _read_reply(self):
        if hasattr(self.sock, "rebound"):
            self.sock.rebound(self._call_deadline())
        while True:
            end = self._reply_end()
            if end is not None:
                raw = bytes(self._buffer[:end])
                del self._buffer[:end]
                self._scanned = 0
                return parse_reply(raw)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise self._timed_out()
            except ReplyTooLarge as exc:
                raise BirdError("reading from %s stopped: %s" % (self.path, exc), "reply too large")
            except OSError as exc:
                raise BirdError("reading from %s failed: %s" % (self.path, exc.strerror or exc))
            if not chunk:
                raise BirdError("BIRD closed %s mid-reply (got %r)" % (self.path, bytes(self._buffer[-200:])),
                                "connection closed")
            self._buffer += chunk

    def _reply_end(self):
        """Offset just past the last line of the first complete reply in the buffer, or None.

        Linear: only the bytes that arrived since the last call are looked at (from the start
        of the line they continue)."""
        end = reply_end(self._buffer, self._scanned)
        if end is None:
            last_nl = self._buffer.rfind(b"\n")
            self._scanned = last_nl + 1 if last_nl >= 0 else 0
        return end

    def command(self, text):
        """Send one CLI command, return its reply as [(code, text), ...]."""
        self.connect()
        if hasattr(self.sock, "rebound"):
            self.sock.rebound(self._call_deadline())
        try:
            self.sock.sendall(to_text(text).strip().encode("utf-8") + b"\n")
        except socket.timeout:
            raise BirdError("sending to %s timed out" % self.path, "timed out")
        except OSError as exc:
            raise BirdError("sending to %s failed: %s" % (self.path, exc.strerror or exc), "connection closed")
        return self._read_reply()


def empty_state(path, reason=None):
    return {"socket": path, "running": False, "reason": reason, "version": None, "fork_version": None,
            "router_id": None, "protocols": []}


def bird_state(path=DEFAULT_SOCKET, timeout=DEFAULT_TIMEOUT, details=True, total=None):
    """BIRD's state as the contract's BirdInfo dict. Never raises.

    Asks `show status` and `show protocols`; with DETAILS, `show protocols all <name>` for
    BGP protocols whose name does not carry the peer address. Each reply may take TIMEOUT
    seconds, the whole conversation TOTAL (default: _deadline.TOTAL_FACTOR times TIMEOUT).
    """
    state = empty_state(path)
    deadline = Deadline(total if total is not None else total_for(timeout))
    try:
        with BirdClient(path, timeout, deadline=deadline) as bird:
            state["running"] = True
            status = parse_show_status(bird.welcome)
            reply = bird.command("show status")
            error = reply_error(reply)
            if not error:
                got = parse_show_status(reply)
                status.update(dict((k, v) for k, v in got.items() if v is not None))
            state["version"] = status["version"]
            state["fork_version"] = status["fork_version"]
            state["router_id"] = status["router_id"]
            reply = bird.command("show protocols")
            perror = reply_error(reply)
            if perror and not perror.startswith("8003"):
                error = error or perror
            state["protocols"] = parse_show_protocols(reply)
            if details:
                for proto in state["protocols"]:
                    if proto["proto"].upper() == "BGP" and proto["peer_address"] is None:
                        more = parse_show_protocols(bird.command("show protocols all \"%s\"" % proto["name"]))
                        if more and more[0]["peer_address"]:
                            proto["peer_address"] = more[0]["peer_address"]
            if error:
                state["reason"] = "BIRD answered with an error: %s" % error
    except BirdError as exc:
        state["reason"] = str(exc) if state["running"] else exc.reason
    return state
