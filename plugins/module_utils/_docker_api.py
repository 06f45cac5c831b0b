# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small Docker Engine API client over the unix socket (http.client only), and the
pure functions that turn its answers plus the host's interfaces into the contract's DockerInfo.

    api = DockerAPI("/var/run/docker.sock", timeout=5)
    status, data = api.get("/networks")          # any HTTP status; raises DockerAPIError only
                                                 # when the engine cannot be talked to
    api.list_networks(); api.inspect_network(id); api.inspect_container(name)
    api.container_logs(name, tail=2000)          # text, Docker's 8-byte frames demultiplexed
    api.remove_network(id); api.restart_container(name, timeout=10)

The helpers raise DockerAPIError (with .status, the HTTP status or None) for error answers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.client as http_client
import json
import os
import re
import socket
import struct
from urllib.parse import quote

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._deadline import (
    MAX_REPLY,
    BoundedSocket,
    Deadline,
    ReplyTooLarge,
    total_for,
)

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_TIMEOUT = 5.0
COMPOSE_PROJECT = "com.docker.compose.project"
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
DEFAULT_BRIDGE_OPTION = "com.docker.network.bridge.default_bridge"
_BR_NAME = re.compile(r"^br-[0-9a-f]{12}$")


class DockerAPIError(Exception):
    """Anything that went wrong talking to the engine; str() says what was tried and what came back."""

    def __init__(self, message, status=None, reason=None):
        super(DockerAPIError, self).__init__(message)
        self.status = status
        self.reason = reason or message


class UnixHTTPConnection(http_client.HTTPConnection):
    """http.client over a unix socket. With DEADLINE (a _deadline.Deadline), the whole
    request and response must be done by then, and at most MAX_BYTES are read."""

    def __init__(self, socket_path, timeout=DEFAULT_TIMEOUT, deadline=None, max_bytes=MAX_REPLY):
        http_client.HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self.socket_path = socket_path
        self.deadline = deadline
        self.max_bytes = max_bytes

    def connect(self):
        sock = BoundedSocket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.deadline is not None:
            sock.bound(self.deadline, self.max_bytes)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


def demux_stream(data):
    """Docker's multiplexed log/attach stream -> (text, True), or (raw text, False) when DATA is
    not in that format (a TTY container's logs). Frames: 1 byte stream (0 stdin, 1 stdout,
    2 stderr), 3 zero bytes, 4-byte big-endian length, payload. A truncated last frame keeps
    what arrived."""
    if not isinstance(data, (bytes, bytearray)):
        return to_text(data), False
    data = bytes(data)
    if len(data) < 8 or data[0:1] not in (b"\x00", b"\x01", b"\x02") or data[1:4] != b"\x00\x00\x00":
        return to_text(data), False
    out = []
    pos = 0
    while pos + 8 <= len(data):
        stream = data[pos:pos + 1]
        if stream not in (b"\x00", b"\x01", b"\x02") or data[pos + 1:pos + 4] != b"\x00\x00\x00":
            # Not a frame header: the rest is not multiplexed after all.
            out.append(data[pos:])
            pos = len(data)
            break
        length = struct.unpack(">I", data[pos + 4:pos + 8])[0]
        out.append(data[pos + 8:pos + 8 + length])
        pos += 8 + length
    if pos < len(data):
        out.append(data[pos:])
    return to_text(b"".join(out)), True


_TS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2}) ?(.*)$")


def order_timestamped(text):
    """Lines prefixed by Docker's timestamps -> the lines without them, in time order (stable).
    Lines without a timestamp keep the time of the line before them."""
    keyed = []
    last = ("", "")
    for pos, line in enumerate(to_text(text).splitlines()):
        match = _TS.match(line)
        if match:
            last = (match.group(1) + match.group(3), (match.group(2) or "").ljust(9, "0"))
            line = match.group(4)
        keyed.append((last, pos, line))
    keyed.sort()
    return "".join(line + "\n" for _key, _pos, line in keyed)


class DockerAPI:
    """Docker Engine API over SOCKET_PATH; one HTTP connection per request.

    Each request, its answer included, may take TIMEOUT seconds in all (not per read) and
    read MAX_BYTES; with TOTAL, every request of this client together must be done within
    TOTAL seconds of its creation (node_facts: the whole collection)."""

    def __init__(self, socket_path=DEFAULT_SOCKET, timeout=DEFAULT_TIMEOUT, total=None, max_bytes=MAX_REPLY):
        self.socket_path = socket_path
        self.timeout = float(timeout)
        self.deadline = Deadline(total) if total is not None else None
        self.max_bytes = max_bytes

    # ------------------------------------------------------------------ transport
    def request(self, method, path, body=None, timeout=None, raw=False):
        """-> (status, parsed JSON | None) or (status, bytes) with RAW.
        Raises DockerAPIError when the socket is missing, refuses, or times out."""
        if not os.path.exists(self.socket_path):
            raise DockerAPIError("no socket at %s" % self.socket_path)
        limit = timeout or self.timeout
        what = "%s %s on %s" % (method, path, self.socket_path)
        deadline = self.deadline.sooner(limit) if self.deadline is not None else Deadline(limit)
        if deadline.expired():
            raise DockerAPIError("%s not sent: the time for the whole collection is used up" % what, reason="timed out")
        conn = UnixHTTPConnection(self.socket_path, timeout=limit, deadline=deadline, max_bytes=self.max_bytes)
        headers = {"Host": "docker"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            headers["Content-Length"] = "0"
        try:
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            status = resp.status
            content = resp.read()
        except socket.timeout:
            whole = "" if self.deadline is None or not self.deadline.expired() else " (the deadline of the whole collection)"
            raise DockerAPIError("%s timed out after %ss%s" % (what, limit, whole), reason="timed out")
        except ReplyTooLarge as exc:
            raise DockerAPIError("%s stopped: %s" % (what, exc), reason="reply too large")
        except (OSError, http_client.HTTPException) as exc:
            detail = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
            reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else detail
            if isinstance(exc, PermissionError):
                reason = "permission denied on %s" % self.socket_path
            raise DockerAPIError("%s failed: %s" % (what, detail), reason=reason)
        finally:
            conn.close()
        if raw:
            return status, content
        if not content.strip():
            return status, None
        try:
            return status, json.loads(to_text(content))
        except ValueError:
            return status, to_text(content)

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None, timeout=None):
        return self.request("POST", path, body=body, timeout=timeout)

    def delete(self, path):
        return self.request("DELETE", path)

    @staticmethod
    def _check(what, status, data, ok=(200,)):
        if status in ok:
            return data
        message = data.get("message") if isinstance(data, dict) else data
        raise DockerAPIError("%s: HTTP %s: %s" % (what, status, to_text(message).strip() or "no message"),
                             status=status)

    def _list(self, what, path):
        """GET PATH, an engine listing: its entries ([] when the answer is no list)."""
        status, data = self.get(path)
        data = self._check(what, status, data)
        return data if isinstance(data, list) else []

    # ------------------------------------------------------------------ helpers
    def version(self):
        status, data = self.get("/version")
        return self._check("GET /version", status, data)

    def list_networks(self, driver=None):
        path = "/networks"
        if driver:
            path += "?filters=" + quote(json.dumps({"driver": [driver]}))
        return self._list("GET /networks", path)

    def inspect_network(self, network_id):
        status, data = self.get("/networks/" + quote(to_text(network_id), safe=""))
        return self._check("GET /networks/%s" % network_id, status, data)

    def list_containers(self, all_containers=True, label=None):
        path = "/containers/json?all=%d" % (1 if all_containers else 0)
        if label:
            path += "&filters=" + quote(json.dumps({"label": [label]}))
        return self._list("GET /containers/json", path)

    def inspect_container(self, name):
        status, data = self.get("/containers/%s/json" % quote(to_text(name), safe=""))
        return self._check("GET /containers/%s/json" % name, status, data)

    def container_logs(self, name, tail=2000, tty=None, timestamps=False):
        """The last TAIL lines of stdout+stderr as text (frames demultiplexed unless TTY is True).

        With TIMESTAMPS, the engine prefixes each line with its RFC 3339 time; see
        order_timestamped() to merge stdout and stderr in time order."""
        count = "all" if tail in (None, "all") else int(tail)
        stamps = "&timestamps=1" if timestamps else ""
        path = "/containers/%s/logs?stdout=1&stderr=1&tail=%s%s" % (quote(to_text(name), safe=""), count, stamps)
        status, data = self.request("GET", path, raw=True)
        if status != 200:
            parsed = None
            try:
                parsed = json.loads(to_text(data))
            except ValueError:
                parsed = to_text(data)
            self._check("GET %s" % path, status, parsed)
        if tty:
            return to_text(data)
        return demux_stream(data)[0]

    def remove_network(self, network_id):
        """DELETE /networks/<id>; raises DockerAPIError (status 404: no such network,
        403: it still has active endpoints)."""
        status, data = self.delete("/networks/" + quote(to_text(network_id), safe=""))
        self._check("DELETE /networks/%s" % network_id, status, data, ok=(200, 204))
        return True

    def restart_container(self, name, timeout=10):
        """POST /containers/<name>/restart?t=TIMEOUT (the engine waits up to TIMEOUT s before killing)."""
        path = "/containers/%s/restart?t=%d" % (quote(to_text(name), safe=""), int(timeout))
        status, data = self.post(path, timeout=max(self.timeout, float(timeout) + 15))
        self._check("POST " + path, status, data, ok=(200, 204))
        return True


# ---------------------------------------------------------------------- DockerInfo
def bridge_name_of(network):
    """The Linux bridge a Docker bridge network uses."""
    network = as_dict(network)
    name = as_dict(network.get("Options")).get(BRIDGE_NAME_OPTION)
    if name:
        return to_text(name)
    if network.get("Name") == "bridge":
        return "docker0"
    return "br-" + to_text(network.get("Id"))[:12]


def _is_default(network):
    options = as_dict(network.get("Options"))
    return network.get("Name") == "bridge" or to_text(options.get(DEFAULT_BRIDGE_OPTION)).lower() == "true"


def _looks_docker(iface):
    name = to_text(iface.get("name"))
    if name == "docker0":
        return "name docker0"
    if _BR_NAME.match(name):
        return "name br-<12 hex>"
    if to_text(iface.get("mac")).lower().startswith("02:42:"):
        return "MAC 02:42:…"
    return None


def _containers(network):
    out = []
    for cid, info in as_dict(network.get("Containers")).items():
        info = as_dict(info)
        out.append({"id": to_text(cid), "name": to_text(info.get("Name")) or None,
                    "ipv4": to_text(info.get("IPv4Address")) or None})
    return sorted(out, key=lambda c: (c["name"] or "", c["id"]))


def _subnets(network):
    config = as_list(as_dict(network.get("IPAM")).get("Config"))
    return [to_text(c["Subnet"]) for c in config if isinstance(c, dict) and c.get("Subnet")]


def build_bridges(interfaces, networks, docker_available):
    """Join the host's bridges with Docker's bridge networks -> the contract's bridges list.

    INTERFACES: contract Interface dicts. NETWORKS: inspected Docker networks (any driver;
    only 'bridge' ones count). Without Docker (DOCKER_AVAILABLE false) network fields are null,
    subnets/containers empty and orphaned null: nobody could say.
    """
    by_bridge = {}
    for net in as_list(networks):
        if isinstance(net, dict) and net.get("Driver") == "bridge":
            by_bridge[bridge_name_of(net)] = net
    out = []
    for iface in as_list(interfaces):
        if not isinstance(iface, dict) or iface.get("kind") != "bridge":
            continue
        name = to_text(iface.get("name"))
        net = by_bridge.get(name)
        reason = _looks_docker(iface)
        if reason is None and net is not None:
            reason = "named by Docker network %s" % net.get("Name")
        if reason is None:
            continue
        labels = as_dict(as_dict(net).get("Labels"))
        containers = _containers(net) if net else []
        out.append({
            "name": name,
            "index": iface.get("index"),
            "state": iface.get("state"),
            "mac": iface.get("mac"),
            "ipv4": [a.get("cidr") for a in as_list(iface.get("ipv4")) if isinstance(a, dict)],
            "network_id": to_text(net.get("Id")) if net else None,
            "network_name": to_text(net.get("Name")) if net else None,
            "compose_project": to_text(labels.get(COMPOSE_PROJECT)) if labels.get(COMPOSE_PROJECT) else None,
            # Docker's network `Created` (RFC 3339, engine-local time with offset): when the bridge appeared.
            "created": to_text(net.get("Created")) if net and net.get("Created") else None,
            "subnets": _subnets(net) if net else [],
            "containers": containers,
            "container_count": len(containers) if net else (0 if docker_available else None),
            "default_bridge": bool(net and _is_default(net)) or name == "docker0",
            "orphaned": (net is None) if docker_available else None,
            "reason": reason,
        })
    return out


def docker_info(interfaces, socket_path=DEFAULT_SOCKET, timeout=DEFAULT_TIMEOUT, api=None):
    """The contract's DockerInfo for this host. Never raises: no engine is a normal answer.
    Returns (info, warnings)."""
    warnings = []
    info = {"docker_available": False, "docker_reason": None, "docker_socket": socket_path,
            "docker_version": None, "bridges": []}
    api = api or DockerAPI(socket_path, timeout, total=total_for(timeout))
    networks = []
    try:
        version = api.version()
        info["docker_available"] = True
        info["docker_version"] = to_text(version.get("Version")) if isinstance(version, dict) else None
        for net in api.list_networks(driver="bridge"):
            if not isinstance(net, dict) or not net.get("Id"):
                continue
            try:
                networks.append(api.inspect_network(net["Id"]))
            except DockerAPIError as exc:
                warnings.append("could not inspect Docker network %s: %s" % (net.get("Name"), exc))
                networks.append(net)
    except DockerAPIError as exc:
        if info["docker_available"]:
            warnings.append("could not list Docker networks: %s" % exc)
            info["docker_reason"] = "listing networks failed: %s" % exc
        else:
            info["docker_reason"] = exc.reason if exc.status is None else str(exc)
    info["bridges"] = build_bridges(interfaces, networks, info["docker_available"] and not info["docker_reason"])
    return info, warnings
