"""Fakes that the modules talk to over real unix sockets and real processes:

- FakeDocker: a Docker Engine API subset (networks, disconnect/connect, container
  inspect/restart) on a unix socket, in a thread.
- FakeBird: a BIRD control socket that replays recorded replies (tests/unit/fixtures/bird),
  switching from one recorded node to another after N connections.
- install_fake_ip: an `ip` program that prints a JSON link list kept in a state file and
  deletes links from it on `ip link delete dev NAME`.
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler

from _fakes import FIXTURES, FakeBird as _ReplayingBird, _UnixHTTPServer


class FakeDocker(object):
    """State: networks {id: inspect-json}, containers {name: inspect-json}; IP_STATE: the fake
    ip's state file, from which a removed network's bridge disappears (as dockerd does)."""

    def __init__(self, path, networks=(), containers=(), ip_state=None):
        self.path = path
        self.networks = dict((n["Id"], n) for n in networks)
        self.containers = dict((c["Name"].lstrip("/"), c) for c in containers)
        self.ip_state = ip_state
        self.requests = []
        self.fail = {}  # (method, path regex) -> (status, message)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def address_string(self):
                return "unix"

            def _reply(self, status, body=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((method, self.path, body))
                for (fmethod, pattern), (status, message) in fake.fail.items():
                    if fmethod == method and re.search(pattern, self.path):
                        return self._reply(status, {"message": message})
                status, reply = fake.route(method, self.path.split("?")[0], body)
                return self._reply(status, reply)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_DELETE(self):
                self._handle("DELETE")

        self.server = _UnixHTTPServer(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _network(self, ref):
        for net in self.networks.values():
            if net["Id"] == ref or net["Name"] == ref or net["Id"].startswith(ref):
                return net
        return None

    def route(self, method, path, body):
        parts = path.strip("/").split("/")
        if parts[0] == "version":
            return 200, {"Version": "20.10.24", "ApiVersion": "1.41"}
        if parts[0] == "networks":
            if len(parts) == 1:
                listing = []
                for net in self.networks.values():
                    item = dict(net)
                    item["Containers"] = {}
                    listing.append(item)
                return 200, listing
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


# ---------------------------------------------------------------------- ip
def link(index, name, kind=None, addresses=(), master=None, state="UP"):
    entry = {"ifindex": index, "ifname": name, "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500,
             "operstate": state, "link_type": "loopback" if name == "lo" else "ether",
             "address": "02:42:e4:19:ef:%02x" % index, "addr_info": []}
    if kind:
        entry["linkinfo"] = {"info_kind": kind}
    if master:
        entry["master"] = master
    for cidr in addresses:
        addr, plen = cidr.split("/")
        entry["addr_info"].append({"family": "inet6" if ":" in addr else "inet", "local": addr, "prefixlen": int(plen),
                                   "scope": "host" if addr.startswith("127.") else "global"})
    return entry


FAKE_IP = r'''
import json, os, sys
state = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ip-state.json")
args = sys.argv[1:]
with open(os.path.join(os.path.dirname(state), "ip-calls.jsonl"), "a") as log:
    log.write(json.dumps(args) + "\n")
with open(state) as handle:
    links = json.load(handle)
if args[:2] == ["link", "delete"]:
    name = args[-1]
    if not any(l["ifname"] == name for l in links):
        sys.stderr.write('Cannot find device "%s"\n' % name)
        sys.exit(1)
    links = [l for l in links if l["ifname"] != name]
    for l in links:
        if l.get("master") == name:
            del l["master"]
    with open(state, "w") as handle:
        json.dump(links, handle)
    sys.exit(0)
if "-json" in args and ("addr" in args or "link" in args):
    print(json.dumps(links))
    sys.exit(0)
sys.stderr.write("fake ip: unsupported %s\n" % " ".join(args))
sys.exit(2)
'''


def install_fake_ip(bindir, links):
    bindir = str(bindir)
    os.makedirs(bindir, exist_ok=True)
    with open(os.path.join(bindir, "ip-state.json"), "w") as handle:
        json.dump(links, handle)
    prog = os.path.join(bindir, "ip")
    with open(prog, "w") as handle:
        handle.write("#!%s\n%s" % (sys.executable, FAKE_IP))
    os.chmod(prog, 0o755)
    return os.path.join(bindir, "ip-state.json")


def ip_calls(bindir):
    path = os.path.join(str(bindir), "ip-calls.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ---------------------------------------------------------------------- BIRD
class FakeBird(_ReplayingBird):
    """Serves recorded BIRD 1.6.8 replies of node NODES[0] for the first SWITCH_AFTER
    connections, then of the next node, and so on (the last one stays)."""

    def __init__(self, path, nodes=("a",), switch_after=1, version="bird_1.6.8"):
        self.version = version
        per_connection = [node for node in nodes for _repeat in range(switch_after)]
        super(FakeBird, self).__init__(
            path,
            welcome=[self._recorded(node, "welcome") for node in per_connection],
            replies=[{"show status": self._recorded(node, "show_status"),
                      "show protocols": self._recorded(node, "show_protocols"),
                      "show protocols all *": self._recorded(node, "show_protocols_all")}
                     for node in per_connection],
            chunk=65536)

    def _recorded(self, node, what):
        with open(os.path.join(FIXTURES, "bird", "%s_%s_%s.bin" % (self.version, node, what)), "rb") as handle:
            return handle.read()

    def stop(self):
        self.close()
