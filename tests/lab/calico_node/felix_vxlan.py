"""The lab's felix for CALICO_NETWORKING_BACKEND=vxlan: no BIRD, the VXLAN data plane instead.

What real Calico does (felix's vxlan manager, calico-node's IPAM for the tunnel address), and
what this program does in its place on this kernel, which has no vxlan link type:

- Each node gets a VTEP: an address from its own block (here: the block's first address) and
  a MAC, stored in its Node resource (`spec.ipv4VXLANTunnelAddr`, `spec.vxlanTunnelMACAddr`).
- felix creates `vxlan.calico` (VNI 4096, UDP 4789, `local` = the node's address on its parent
  interface, MTU = parent MTU - 50) with the VTEP address. Here: a BRIDGE named vxlan.calico
  with that MAC, address and MTU, and one veth port so that it has carrier (UP, LOWER_UP).
  It has no VNI, port, `local` or parent (`ip -d link` shows kind bridge).
- For every other node: a permanent neighbour entry VTEP address -> VTEP MAC (the same
  here), an FDB entry VTEP MAC -> that node's address (`bridge fdb ... dst <address> self
  permanent`: here the kernel keeps the MAC, as a `master` entry, and drops `dst`), and a
  route `<block> via <VTEP> dev vxlan.calico onlink proto 80` (the same here; packets do not
  get through, nothing is encapsulated).
- Its own blocks: `blackhole <block> proto 80`.

Standard library only (it runs inside the lab's calico/node container or as a light process);
ip and bridge are iproute2's programs of the host.
"""
import hashlib
import ipaddress
import json
import subprocess
import time

import calicolog as log

DEVICE = "vxlan.calico"
PORT_A, PORT_B = "vxlan-port", "vxlan-peer"   # the stand-in's veth pair (carrier for the bridge)
PROTO = "80"                                    # felix's route protocol number
OVERHEAD = 50
NODES = "/calico/resources/v3/projectcalico.org/nodes/"
AFFINITIES = "/calico/ipam/v2/host/"
SOURCE = "vxlan_mgr.go"


def vtep_address(block):
    return str(ipaddress.ip_network(block).network_address)


def vtep_mac(nodename):
    """A stable, locally administered unicast MAC for NODENAME (felix picks a random one once)."""
    digest = hashlib.sha256(nodename.encode()).digest()
    return "66:" + ":".join("%02x" % b for b in digest[:5])


def _ip(*args, check=False):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check)


def _json(*args):
    proc = _ip("-json", *args)
    try:
        return json.loads(proc.stdout or "[]")
    except ValueError:
        return []


def register_vtep(etcd, nodename, blocks, stored):
    """Write the node's VTEP address and MAC into its Node resource (calico-node's IPAM step)."""
    if not blocks:
        return stored
    spec = stored.setdefault("spec", {})
    spec["ipv4VXLANTunnelAddr"] = vtep_address(blocks[0])
    spec["vxlanTunnelMACAddr"] = vtep_mac(nodename)
    etcd.put(NODES + nodename, json.dumps(stored))
    log.info("startup.go 1130", "Assigned IPv4 VXLAN tunnel address %s (MAC %s)"
             % (spec["ipv4VXLANTunnelAddr"], spec["vxlanTunnelMACAddr"]))
    return stored


def _parent_mtu(address):
    for link in _json("addr", "show"):
        for addr in link.get("addr_info") or ():
            if addr.get("local") == address:
                return link.get("mtu") or 1500, link.get("ifname")
    return 1500, None


def ensure_device(address, blocks, nodename):
    """vxlan.calico (the bridge stand-in) with the VTEP MAC, address and MTU."""
    mtu, parent = _parent_mtu(address)
    if _ip("link", "show", DEVICE).returncode != 0:
        _ip("link", "add", DEVICE, "type", "bridge", check=True)
        _ip("link", "add", PORT_A, "type", "veth", "peer", "name", PORT_B, check=True)
        _ip("link", "set", PORT_A, "master", DEVICE, check=True)
        for name in (PORT_A, PORT_B):
            _ip("link", "set", name, "up", check=True)
        log.info(SOURCE + " 585", "VXLAN device %s created (parent %s)" % (DEVICE, parent))
    # Only what differs: setting a link's address flushes its neighbour entries, permanent ones too.
    link = (_json("link", "show", DEVICE) or [{}])[0]
    if link.get("address") != vtep_mac(nodename):
        _ip("link", "set", DEVICE, "address", vtep_mac(nodename), check=True)
    if link.get("mtu") != mtu - OVERHEAD:
        _ip("link", "set", DEVICE, "mtu", str(mtu - OVERHEAD), check=True)
    if blocks:
        _ip("addr", "replace", vtep_address(blocks[0]) + "/32", "dev", DEVICE, check=True)
    _ip("link", "set", DEVICE, "up", check=True)


def desired(etcd, nodename):
    """{peer name: (node address, VTEP address, VTEP MAC, [blocks])} of the other nodes with a VTEP."""
    blocks = {}
    for key in etcd.get_prefix(AFFINITIES):
        parts = key[len(AFFINITIES):].split("/")
        if len(parts) == 4 and parts[1] == "ipv4":
            net, _sep, size = parts[3].rpartition("-")
            blocks.setdefault(parts[0], []).append("%s/%s" % (net, size))
    out = {}
    for key, raw in etcd.get_prefix(NODES).items():
        name = key[len(NODES):]
        if name == nodename:
            continue
        try:
            spec = json.loads(raw)["spec"]
        except (ValueError, KeyError, TypeError):
            continue
        address = ((spec.get("bgp") or {}).get("ipv4Address") or "").split("/")[0]
        vtep, mac = spec.get("ipv4VXLANTunnelAddr"), spec.get("vxlanTunnelMACAddr")
        if address and vtep and mac:
            out[name] = (address, vtep, mac, sorted(blocks.get(name, [])))
    return out


def program(peers, own_blocks, applied):
    """Make the kernel match PEERS; APPLIED is what the last round wrote (changed in place)."""
    for block in own_blocks:
        _ip("route", "replace", "blackhole", block, "proto", PROTO)
    # felix resyncs with the kernel: an entry that went away (a flushed neighbour) is written again.
    present = {(n.get("dst"), n.get("lladdr")) for n in _json("neigh", "show", "dev", DEVICE)}
    for name, (address, vtep, mac, blocks) in sorted(peers.items()):
        if applied.get(name) == peers[name] and (vtep, mac) in present:
            continue
        old = applied.get(name)
        if old and old[1] != vtep:
            _ip("neigh", "del", old[1], "dev", DEVICE)
        _ip("neigh", "replace", vtep, "lladdr", mac, "dev", DEVICE, "nud", "permanent")
        subprocess.run(["bridge", "fdb", "replace", mac, "dev", DEVICE, "dst", address, "self", "permanent"],
                       capture_output=True, text=True, check=False)
        for block in blocks:
            _ip("route", "replace", block, "via", vtep, "dev", DEVICE, "onlink", "proto", PROTO)
        applied[name] = peers[name]
        log.info(SOURCE + " 402", "VXLAN route, ARP and FDB entries for %s: %s via %s (%s) to %s"
                 % (name, ",".join(blocks), vtep, mac, address))
    for name in sorted(set(applied) - set(peers)):
        dummy, vtep, mac, blocks = applied.pop(name)
        for block in blocks:
            _ip("route", "del", block, "via", vtep, "dev", DEVICE)
        _ip("neigh", "del", vtep, "dev", DEVICE)
        subprocess.run(["bridge", "fdb", "del", mac, "dev", DEVICE, "self"], capture_output=True, check=False)


def run(node):
    """felix's loop for CalicoNode NODE (started, registered): until NODE.stopping."""
    applied = {}
    while not node.stopping:
        try:
            ensure_device(str(node.address.ip), node.blocks, node.nodename)
            program(desired(node.etcd, node.nodename), node.blocks, applied)
        except OSError as exc:
            log.warning("vxlan_mgr.go 300", "etcd unreachable, keeping the VXLAN entries: %s" % exc)
        except subprocess.CalledProcessError as exc:
            log.warning("vxlan_mgr.go 310", "programming %s failed: %s" % (DEVICE, (exc.stderr or "").strip()))
        time.sleep(1)
