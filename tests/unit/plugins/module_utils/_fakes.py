"""Test doubles for the node-side collectors: recorded fixtures, a fake run_command, and small
real servers (BIRD's control socket, the Docker engine over a unix socket, etcd's JSON gateway)
that replay recorded answers, so the clients are exercised over real sockets."""
import base64
import json
import os
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")


def fixture_path(*parts):
    return os.path.join(FIXTURES, *parts)


def fixture_bytes(*parts):
    with open(fixture_path(*parts), "rb") as handle:
        return handle.read()


def fixture_text(*parts):
    return fixture_bytes(*parts).decode("utf-8")


def fixture_json(*parts):
    return json.loads(fixture_text(*parts))


class FakeRun:
    """A module.run_command double: maps argument tuples (or their prefixes) to (rc, out, err)."""

    def __init__(self, answers=None, default=(127, "", "No such file or directory")):
        self.answers = dict(answers or {})
        self.default = default
        self.calls = []

    def __call__(self, args, **kwargs):
        self.calls.append(list(args))
        key = tuple(args)
        for length in range(len(key), 0, -1):
            if key[:length] in self.answers:
                answer = self.answers[key[:length]]
                if isinstance(answer, Exception):
                    raise answer
                return answer
        return self.default


def ip_answers(addr="addr_seed_ai.json", route4="route4_seed_ai.json", route6=None):
    """run_command answers for `ip` as the collectors call it, from recorded output."""
    answers = {("ip", "-json", "-details", "addr", "show"): (0, fixture_text("iproute", addr), "")}
    if route4:
        answers[("ip", "-json", "-4", "route", "show", "table", "main")] = (0, fixture_text("iproute", route4), "")
    if route6:
        answers[("ip", "-json", "-6", "route", "show", "table", "main")] = (0, fixture_text("iproute", route6), "")
    return answers


# ------------------------------------------------------------------------------ BIRD
class FakeBird:
    """BIRD's control socket at PATH: sends WELCOME, then for each command line the reply
    REPLIES maps it to (bytes), in CHUNK-byte pieces; a key ending in " *" answers every
    command that starts with the rest. WELCOME and REPLIES may also be lists, one entry per
    connection (the last one stays), to play a BIRD that restarts with another state.
    mode: 'normal', 'silent' (never answers commands), 'close' (closes after half a reply),
    'no-welcome'."""

    def __init__(self, path, welcome=b"0001 BIRD 1.6.8 ready.\n", replies=None, chunk=7, mode="normal"):
        self.path = path
        self.welcomes = welcome if isinstance(welcome, list) else [welcome]
        self.replies = [dict(r) for r in replies] if isinstance(replies, list) else [dict(replies or {})]
        self.connections = 0
        self.chunk = chunk
        self.mode = mode
        self.commands = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(5)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, conn, data):
        for i in range(0, len(data), self.chunk):
            conn.sendall(data[i:i + self.chunk])
            time.sleep(0)

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            index = self.connections
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn, index), daemon=True).start()

    @staticmethod
    def _pick(entries, index):
        return entries[min(index, len(entries) - 1)]

    @staticmethod
    def _lookup(replies, cmd):
        if cmd in replies:
            return replies[cmd]
        for key, reply in replies.items():
            if key.endswith(" *") and cmd.startswith(key[:-1]):
                return reply
        return b"9001 syntax error\n"

    def _handle(self, conn, index):
        replies = self._pick(self.replies, index)
        try:
            if self.mode != "no-welcome":
                self._send(conn, self._pick(self.welcomes, index))
            buf = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    cmd = line.decode().strip()
                    self.commands.append(cmd)
                    if self.mode in ("silent", "no-welcome"):
                        continue
                    reply = self._lookup(replies, cmd)
                    if self.mode == "close":
                        self._send(conn, reply[:len(reply) // 2])
                        return
                    self._send(conn, reply)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(2)


def strip_welcome(data):
    """A recorded reply file may start with the welcome line; the server sends that separately."""
    if data.startswith(b"0001 "):
        return data.split(b"\n", 1)[1]
    return data


# ------------------------------------------------------------------------------ Docker
class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeDocker:
    """The Docker engine's API on a unix socket. ROUTES maps (method, path) -- path with its
    query string, or without it as a fallback -- to (status, body bytes|dict|list)."""

    def __init__(self, path, routes):
        self.path = path
        self.routes = dict(routes)
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((self.command, self.path, body))
                route = fake.routes.get((self.command, self.path)) or fake.routes.get((self.command, self.path.split("?")[0]))
                if route is None:
                    status, payload = 404, {"message": "page not found"}
                else:
                    status, payload = route
                if callable(payload):
                    payload = payload(body)
                if isinstance(payload, (dict, list)):
                    data = json.dumps(payload).encode()
                    ctype = "application/json"
                else:
                    data = payload or b""
                    ctype = "application/vnd.docker.raw-stream"
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _reply

        self.server = _UnixHTTPServer(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def docker_routes_seed_ai(with_calico=True):
    """The Docker engine of the seed's node ai: the recorded networks, with gerrit_default's id
    set to the bridge of the write-up (br-cddff8a3b81c) and its one container gone."""
    gerrit = fixture_json("docker", "network_gerrit_default.json")
    gerrit["Id"] = "cddff8a3b81c0c1e7f2b5a4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09"
    bridge = fixture_json("docker", "network_bridge.json")
    routes = {
        ("GET", "/version"): (200, fixture_json("docker", "version.json")),
        ("GET", "/networks"): (200, [dict(bridge, Containers={}), dict(gerrit, Containers={})]),
        ("GET", "/networks/" + bridge["Id"]): (200, bridge),
        ("GET", "/networks/" + gerrit["Id"]): (200, gerrit),
        ("GET", "/containers/calico-node/json"): (404, {"message": "No such container: calico-node"}),
        ("GET", "/containers/json"): (200, []),
    }
    if with_calico:
        container = fixture_json("docker", "container_calico-node.json")
        routes[("GET", "/containers/calico-node/json")] = (200, container)
        routes[("GET", "/containers/%s/logs" % container["Id"])] = (200, fixture_bytes("docker", "logs_calico-node_timestamps.bin"))
    return routes


# ------------------------------------------------------------------------------ etcd
class FakeEtcd:
    """etcd's v3 JSON gateway on 127.0.0.1: answers range requests by key prefix from
    PREFIXES ({prefix: reply dict}); GATEWAY is the path prefix it serves ('/v3' or '/v3beta')."""

    def __init__(self, prefixes, gateway="/v3", status=200):
        self.prefixes = prefixes
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append((self.path, body))
                if self.path != gateway + "/kv/range":
                    return self._send(404, b"404 page not found\n")
                if status != 200:
                    return self._send(status, json.dumps({"error": "etcdserver: request timed out", "code": 14}).encode())
                req = json.loads(body)
                key = base64.b64decode(req["key"]).decode()
                reply = fake.prefixes.get(key, {"header": {"revision": "1"}})
                return self._send(200, json.dumps(reply).encode())

            def _send(self, code, data):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
