# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address helpers for the analysis. netaddr parses; the hot loops use plain strings.

Addresses inside the model are bare dotted strings ("172.19.0.1"): the facts give CIDR forms
("172.19.0.1/16") for interface and datastore addresses and bare ones for BIRD peers and
gateways, so everything is normalised once, per node, with ``bare()``.
"""
from __future__ import annotations

import re

try:
    import netaddr
except ImportError as exc:  # pragma: no cover - reported by the action plugin
    netaddr = None
    NETADDR_IMPORT_ERROR = exc
else:
    NETADDR_IMPORT_ERROR = None

# Interfaces Calico's autodetection skips in its newest releases (autodetection_linux.go),
# plus Docker's own bridge names: an address on one of these is never the one to peer on.
EXCLUDED_LOOKING = (
    r"^docker.*", r"^cbr.*", r"^dummy.*", r"^podman.*", r"^virbr.*", r"^lxcbr.*", r"^veth.*",
    r"^lo$", r"^br-.*", r"^cali.*", r"^tunl.*", r"^flannel.*", r"^kube-ipvs.*", r"^cni.*",
    r"^vxlan\.calico.*", r"^vxlan-v6\.calico.*", r"^wireguard\.cali.*", r"^wg-v6\.cali.*",
    r"^nodelocaldns.*",
)
_EXCLUDED_RE = [(p, re.compile(p)) for p in EXCLUDED_LOOKING]
DOCKER_BRIDGE_NAME = re.compile(r"^(docker\d*|br-[0-9a-f]{12})$")
EXCLUDED_KINDS = ("veth", "dummy", "ipip", "vxlan", "wireguard", "loopback", "tun")


def bare(value):
    """'172.19.0.1/16' -> '172.19.0.1'; None stays None."""
    if not value:
        return None
    return str(value).split("/", 1)[0].strip() or None


def is_ipv4(value):
    """True for a dotted IPv4 address (a CIDR suffix is allowed); hostnames are not addresses."""
    if not value or not isinstance(value, str):
        return False
    text = bare(value)
    if netaddr is not None:
        try:
            return bool(netaddr.valid_ipv4(text, flags=netaddr.INET_PTON))
        except (ValueError, TypeError):       # e.g. an embedded NUL in what a node reported
            return False
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 and str(int(p)) == p for p in parts)


def network_of(cidr):
    """'192.168.1.188/24' -> '192.168.1.0/24' (None when it cannot be parsed)."""
    if not cidr or "/" not in str(cidr):
        return None
    if netaddr is None:
        return None
    try:
        return str(netaddr.IPNetwork(str(cidr)).cidr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def excluded_pattern(ifname):
    """The first EXCLUDED_LOOKING pattern matching the interface name, else None (the node's
    release's own list is _prediction.excluded_by_release; no pattern from a node is ever run)."""
    if not ifname:
        return None
    for pattern, regex in _EXCLUDED_RE:
        if regex.search(ifname):
            return pattern
    return None


def mesh_name(address):
    """The BIRD protocol name Calico gives the mesh peer at address: Mesh_192_168_1_172."""
    return "Mesh_" + address.replace(".", "_").replace(":", "_")
