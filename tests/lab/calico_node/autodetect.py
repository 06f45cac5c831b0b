"""IPv4 autodetection as calico-node does it (node/pkg/lifecycle/startup/autodetection).

Interfaces come from `ip -json addr` in ifindex order, like Go's net.Interfaces();
first-found walks them in reverse, so a bridge created after the NIC is seen first.
"""
import ipaddress
import json
import re
import socket
import subprocess

# Default exclusions per release (autodetection_linux.go). Go's regexp.MatchString is a
# search, so the unanchored old list also matches in the middle of a name.
_OLD = ["docker.*", "cbr.*", "dummy.*", "virbr.*", "lxcbr.*", "veth.*", "lo",
        "cali.*", "tunl.*", "flannel.*", "kube-ipvs.*", "cni.*"]
_V324 = ["^docker.*", "^cbr.*", "^dummy.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
         "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*", "^vxlan\\.calico.*",
         "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*"]
_V325 = ["^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*",
         "^lo", "^br-.*", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*",
         "^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*",
         "^nodelocaldns.*"]


class AutodetectError(Exception):
    pass


class InvalidMethod(AutodetectError):
    pass


def parse_version(text):
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in match.groups()) if match else (3, 25, 0)


def default_exclusions(version):
    ver = parse_version(version)
    if ver >= (3, 25, 0):
        return list(_V325)
    if ver > (3, 24, 0):
        return list(_V324)
    return list(_OLD)


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


def _walk(include=None, exclude=None, cidrs=None):
    for _index, name, addrs in reversed(interfaces()):
        if include is not None and not any(re.search(r, name) for r in include):
            continue
        if exclude and any(re.search(r, name) for r in exclude):
            continue
        for addr in addrs:
            if _usable(addr) and (cidrs is None or any(addr.ip in c for c in cidrs)):
                return name, addr
    return None, None


def _regexes(text):
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            re.compile(part)
        except re.error as exc:
            raise InvalidMethod("bad regex %r: %s" % (part, exc))
        out.append(part)
    return out


def detect(method, version):
    """Return (name, IPv4Interface, log message) or raise AutodetectError."""
    method = (method or "").strip()
    if method in ("", "first-found"):
        name, addr = _walk(exclude=default_exclusions(version))
        msg = "Using autodetected IPv4 address on interface %s: %s"
        return name, addr, (msg % (name, addr) if addr else None)
    if method.startswith("interface="):
        name, addr = _walk(include=_regexes(method[len("interface="):]))
        return name, addr, ("Using autodetected IPv4 address %s on matching interface %s" % (addr, name) if addr else None)
    if method.startswith("skip-interface="):
        name, addr = _walk(exclude=default_exclusions(version) + _regexes(method[len("skip-interface="):]))
        return name, addr, ("Using autodetected IPv4 address on interface %s: %s while skipping matching interfaces" % (name, addr) if addr else None)
    if method.startswith("cidr="):
        try:
            cidrs = [ipaddress.ip_network(c.strip(), strict=False) for c in method[len("cidr="):].split(",")]
        except ValueError as exc:
            raise InvalidMethod(str(exc))
        name, addr = _walk(cidrs=cidrs)
        shown = "[" + " ".join(str(c) for c in cidrs) + "]"
        return name, addr, ("Using autodetected IPv4 address %s on interface %s matching cidrs %s" % (addr, name, shown) if addr else None)
    if method.startswith("can-reach="):
        dest = method[len("can-reach="):].strip()
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.connect((dest, 80))
            local = ipaddress.IPv4Address(sock.getsockname()[0])
            sock.close()
        except OSError as exc:
            raise AutodetectError("Unable to connect to %s: %s" % (dest, exc))
        for _index, name, addrs in interfaces():
            for addr in addrs:
                if addr.ip == local:
                    return name, addr, "Using autodetected IPv4 address %s, detected by connecting to %s" % (addr, dest)
        return None, None, None
    raise InvalidMethod(method)
