"""IPv4 autodetection as calico-node does it (node/pkg/lifecycle/startup/autodetection in
projectcalico/calico; pkg/startup in projectcalico/node before v3.22).

Interfaces come from `ip -json addr` in ifindex order, like Go's net.Interfaces(); every
method walks them in reverse, so a bridge created after the NIC is seen first. The method
string is not trimmed; lists are split on Go's `\\s*,\\s*` and interface lists joined into one
regexp `(a)|(b)|...`. The regexps run on Python's `re` (the lab's topologies use plain ones;
the collection's _re2 is the exact RE2 model). The default exclusion lists are written out
here on their own (the lab does not import the collection); tests/unit keeps them in step
with plugins/module_utils/_exclusions.py.
"""
import ipaddress
import json
import re
import socket
import subprocess

# DEFAULT_INTERFACES_TO_EXCLUDE (autodetection_linux.go / startup_linux.go) by release.
_BEFORE_315 = ["docker.*", "cbr.*", "dummy.*", "virbr.*", "lxcbr.*", "veth.*", "lo",
               "cali.*", "tunl.*", "flannel.*", "kube-ipvs.*"]
_UNANCHORED = _BEFORE_315 + ["cni.*"]
_ANCHORED = ["^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
             "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*"]
_TUNNELS = ["^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*"]
_V325 = ["^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*",
         "^lo", "^br-.*", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*",
         "^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*",
         "^nodelocaldns.*"]
_SPLIT = re.compile(r"[\t\n\f\r ]*,[\t\n\f\r ]*")


class AutodetectError(Exception):
    """Detection failed: calico-node keeps the Node's address, or exits without one."""


class InvalidMethod(AutodetectError):
    """"Invalid IP autodetection method": calico-node terminates."""


def parse_version(text):
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in match.groups()) if match else (3, 25, 0)


def default_exclusions(version):
    ver = parse_version(version)
    if ver >= (3, 25, 0):
        return list(_V325)
    if ver < (3, 15, 0):
        return list(_BEFORE_315)
    series, patch = ver[:2], ver[2]
    if series == (3, 24):       # v3.24.0-2 unanchored, .3 anchored, .4-5 + tunnels, .6 + nodelocaldns
        if patch >= 6:
            return _ANCHORED + _TUNNELS + ["^nodelocaldns.*"]
        return _ANCHORED + _TUNNELS if patch >= 4 else (list(_ANCHORED) if patch == 3 else list(_UNANCHORED))
    if series == (3, 23) and patch >= 4:   # v3.23.4 anchored, v3.23.5 + tunnels
        return _ANCHORED + _TUNNELS if patch >= 5 else list(_ANCHORED)
    return list(_UNANCHORED)


def interfaces():
    """[(index, name, [IPv4Interface, ...])] in ifindex order."""
    out = subprocess.run(["ip", "-json", "addr", "show"], capture_output=True, text=True, check=True).stdout
    result = []
    for link in sorted(json.loads(out), key=lambda l: l["ifindex"]):
        addrs = []
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                addrs.append(ipaddress.IPv4Interface("%s/%s" % (info["local"], info["prefixlen"])))
        result.append((link["ifindex"], link["ifname"], addrs))
    return result


def _usable(addr):
    # Go's IP.IsGlobalUnicast: not loopback, link-local, multicast, unspecified, broadcast.
    ip = addr.ip
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified
                or ip == ipaddress.IPv4Address("255.255.255.255"))


def _joined(patterns):
    try:
        return re.compile("(" + ")|(".join(patterns) + ")")
    except re.error as exc:
        raise AutodetectError("Invalid interface regex: %s" % exc)


def _walk(include=None, exclude=None, cidrs=None):
    kept = [(n, a) for _i, n, a in reversed(interfaces())
            if (include is None or include.search(n)) and not (exclude is not None and exclude.search(n))]
    if not kept:
        raise AutodetectError("no valid host interfaces found")
    for name, addrs in kept:
        for addr in addrs:
            if _usable(addr) and (cidrs is None or any(addr.ip in c for c in cidrs)):
                return name, addr
    return None, None


def detect(method, version):
    """Return (name, IPv4Interface, log message) or raise AutodetectError / InvalidMethod."""
    method = method or ""
    ver = parse_version(version)
    if method in ("", "first-found"):
        name, addr = _walk(exclude=_joined(default_exclusions(version)))
        msg = "Using autodetected IPv4 address on interface %s: %s"
        return name, addr, (msg % (name, addr) if addr else None)
    if method.startswith("interface="):
        name, addr = _walk(include=_joined(_SPLIT.split(method[len("interface="):])))
        return name, addr, ("Using autodetected IPv4 address %s on matching interface %s" % (addr, name) if addr else None)
    if method.startswith("cidr=") and ver >= (3, 16, 0):
        cidrs = []
        for piece in _SPLIT.split(method[len("cidr="):]):
            if "/" not in piece or not re.match(r"^[0-9]+$", piece.split("/", 1)[1]):
                raise AutodetectError('Invalid CIDR "%s" for IP autodetection method: %s' % (piece, method))
            try:
                cidrs.append(ipaddress.ip_network(piece, strict=False))
            except ValueError:
                raise AutodetectError('Invalid CIDR "%s" for IP autodetection method: %s' % (piece, method))
        name, addr = _walk(cidrs=cidrs)
        shown = "[" + " ".join(str(c) for c in cidrs) + "]"
        return name, addr, ("Using autodetected IPv4 address %s on interface %s matching cidrs %s" % (addr, name, shown) if addr else None)
    if method.startswith("can-reach="):
        dest = method[len("can-reach="):]
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.connect((dest or "127.0.0.1", 80))
            local = ipaddress.IPv4Address(sock.getsockname()[0])
            sock.close()
        except OSError as exc:
            raise AutodetectError("Unable to auto-detect IPv4 address by connecting to %s: %s" % (dest, exc))
        for _index, name, addrs in reversed(interfaces()):
            for addr in addrs:
                if addr.ip == local:
                    return name, addr, "Using autodetected IPv4 address %s, detected by connecting to %s" % (addr, dest)
        raise AutodetectError("autodetected IPv4 address does not match any addresses found on local interfaces: %s" % local)
    if method.startswith("skip-interface="):
        skip = default_exclusions(version) + _SPLIT.split(method[len("skip-interface="):])
        name, addr = _walk(exclude=_joined(skip))
        return name, addr, ("Using autodetected IPv4 address on interface %s: %s while skipping matching interfaces" % (name, addr) if addr else None)
    if method.startswith("kubernetes-internal-ip") and ver >= (3, 22, 0):
        raise AutodetectError("Cannot use method 'kubernetes-internal-ip' when not running on a Kubernetes cluster")
    raise InvalidMethod(method)
