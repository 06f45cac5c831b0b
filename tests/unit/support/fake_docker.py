"""The Docker Engine API on a unix socket, in a thread: one fake engine for the read-only
collectors (recorded answers) and the mutating modules (state that the requests change)."""
import json
import re
import socketserver
import threading
from http.server import BaseHTTPRequestHandler

from fixtures import fixture_bytes, fixture_json

VERSION = {"Version": "20.10.24", "ApiVersion": "1.41"}


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeDocker(object):
    """The engine at PATH. A request is answered by, in this order:

    - FAIL {(method, path regex): (status, message)}: injected errors;
    - ROUTES {(method, path): (status, body)}: recorded answers, the path with its query string
      or, as a fallback, without it; BODY is bytes (a raw stream), a dict/list (JSON) or a
      callable that gets the raw request body;
    - the state: NETWORKS (inspect JSON, by id) and CONTAINERS (inspect JSON, by name), which
      list, inspect, connect, disconnect, delete and restart read and change as dockerd does.
      A removed network's bridge also leaves IP_STATE, the fake `ip`'s state file (fake_ip.py).

    REQUESTS: [(method, path with query, body)], BODY parsed from JSON (raw bytes when it is not
    JSON, None when empty)."""

    def __init__(self, path, routes=None, networks=(), containers=(), ip_state=None):
        self.path = path
        self.routes = dict(routes or {})
        self.networks = dict((n["Id"], n) for n in networks)
        self.containers = dict((c["Name"].lstrip("/"), c) for c in containers)
        self.ip_state = ip_state
        self.requests = []
        self.fail = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.requests.append((self.command, self.path, _parsed(raw)))
                status, payload = fake.answer(self.command, self.path, raw)
                if isinstance(payload, (dict, list)):
                    data, ctype = json.dumps(payload).encode(), "application/json"
                else:
                    data, ctype = payload or b"", "application/vnd.docker.raw-stream"
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

        self.server = _UnixHTTPServer(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method, full_path, raw):
        for (fmethod, pattern), (status, message) in self.fail.items():
            if fmethod == method and re.search(pattern, full_path):
                return status, {"message": message}
        path = full_path.split("?")[0]
        route = self.routes.get((method, full_path)) or self.routes.get((method, path))
        if route is not None:
            status, payload = route
            return status, payload(raw) if callable(payload) else payload
        return self.route(method, path, _parsed(raw))

    # ------------------------------------------------------------------ state
    def _network(self, ref):
        for net in self.networks.values():
            if net["Id"] == ref or net["Name"] == ref or net["Id"].startswith(ref):
                return net
        return None

    def route(self, method, path, body):
        parts = path.strip("/").split("/")
        if parts[0] == "version":
            return 200, VERSION
        if parts[0] == "networks":
            if len(parts) == 1:
                return 200, [dict(net, Containers={}) for net in self.networks.values()]
            net = self._network(parts[1])
            if net is None:
                return 404, {"message": "network %s not found" % parts[1]}
            if method == "GET":
                return 200, net
            if method == "DELETE":
                if net["Name"] in ("bridge", "host", "none"):
                    return 403, {"message": "%s is a pre-defined network and cannot be removed" % net["Name"]}
                if net.get("Containers"):
                    return 403, {"message": "error while removing network: network %s id %s has active endpoints" % (net["Name"], net["Id"])}
                del self.networks[net["Id"]]
                self._drop_link(self.bridge_of(net))
                return 204, None
            if parts[2] == "disconnect":
                net["Containers"].pop(body["Container"], None)
                return 200, None
            if parts[2] == "connect":
                cont = [c for c in self.containers.values() if c["Id"] == body["Container"]][0]
                net.setdefault("Containers", {})[cont["Id"]] = {"Name": cont["Name"].lstrip("/"), "IPv4Address": "172.19.0.9/16"}
                return 200, None
        if parts[0] == "containers" and len(parts) >= 3:
            cont = self.containers.get(parts[1])
            if cont is None:
                return 404, {"message": "No such container: %s" % parts[1]}
            if parts[2] == "json":
                return 200, cont
            if parts[2] == "restart":
                cont["State"]["StartedAt"] = "2026-11-24T13:51:%02d.000000000Z" % (len(self.requests) % 60)
                cont["State"]["Running"] = True
                return 204, None
        return 404, {"message": "page not found"}

    @staticmethod
    def bridge_of(net):
        name = (net.get("Options") or {}).get("com.docker.network.bridge.name")
        return name or ("docker0" if net["Name"] == "bridge" else "br-" + net["Id"][:12])

    def _drop_link(self, name):
        if not self.ip_state:
            return
        with open(self.ip_state) as handle:
            links = json.load(handle)
        links = [l for l in links if l["ifname"] != name and l.get("master") != name]
        with open(self.ip_state, "w") as handle:
            json.dump(links, handle)


def _parsed(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# ---------------------------------------------------------------------- objects
def network(net_id, name, containers=None, options=None, driver="bridge", project=None):
    labels = {"com.docker.compose.network": "default", "com.docker.compose.project": project} if project else {}
    return {"Name": name, "Id": net_id, "Created": "2026-11-02T08:15:31.5Z", "Scope": "local", "Driver": driver,
            "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": None,
                                          "Config": [{"Subnet": "172.19.0.0/16", "Gateway": "172.19.0.1"}]},
            "Internal": False, "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
            "Containers": containers or {}, "Options": options or {}, "Labels": labels}


def container(name, running=True, started="2026-11-24T13:40:11.5Z"):
    return {"Id": ("%s" % abs(hash(name)) * 8)[:64], "Name": "/" + name,
            "State": {"Status": "running" if running else "exited", "Running": running, "StartedAt": started,
                      "ExitCode": 0, "Error": ""}}


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
