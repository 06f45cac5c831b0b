"""An `ip` program (a real executable the modules run) that prints a JSON link list kept in a
state file and deletes links from it on `ip link delete dev NAME`; and link entries for it."""
import json
import os
import sys


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
