"""Every method form against the same interface sets, for the releases where calico-node's
choice changes: v3.20 (unanchored exclusions, no kubernetes-internal-ip), v3.23.4 (anchored),
v3.24.1 (unanchored again), v3.24.6 (+ tunnels, nodelocaldns), v3.25+ (+ podman, br-).

Expected values are worked out by hand from the Go sources cited in test__autodetect.py and
test__exclusions.py: an interface name, or the failure kind when calico-node picks nothing.
"""
import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import choose

RELEASES = ("v3.20.0", "v3.23.4", "v3.24.1", "v3.24.6", "v3.25.0")


def iface(index, name, *cidrs):
    return {"index": index, "name": name, "state": "UP",
            "ipv4": [{"address": c.split("/")[0], "prefixlen": int(c.split("/")[1]), "cidr": c} for c in cidrs]}


SETS = {
    # a Docker host: the compose bridge is the newest interface
    "bridge": ([iface(1, "lo", "127.0.0.1/8"), iface(2, "eno1", "10.0.0.5/24"), iface(4, "docker0", "172.17.0.1/16"),
                iface(5, "tunl0", "172.16.2.1/32"), iface(46, "br-cddff8a3b81c", "172.19.0.1/16")], "10.0.0.5"),
    # a kubespray node: node-local DNS and a VXLAN device after the NICs
    "kubespray": ([iface(1, "lo", "127.0.0.1/8"), iface(2, "eno1", "10.0.0.5/24"), iface(3, "wlo1", "192.168.8.20/24"),
                   iface(6, "vxlan.calico", "172.16.9.0/32"), iface(7, "nodelocaldns", "169.254.25.10/32", "10.233.0.3/32")],
                  "10.0.0.5"),
    # a laptop-like host: the unanchored `lo` also matches wlo1
    "wlo": ([iface(1, "lo", "127.0.0.1/8"), iface(2, "eno1", "10.0.0.5/24"), iface(3, "wlo1", "192.168.8.20/24")], "10.0.0.5"),
}

F, D, I = "first", "detection_failed", "invalid_method"
# (set, method): expected for each of RELEASES
TABLE = {
    ("bridge", "first-found"): ("br-cddff8a3b81c",) * 4 + ("eno1",),
    ("bridge", "interface=eno1"): ("eno1",) * 5,
    ("bridge", "interface=nope,"): ("br-cddff8a3b81c",) * 5,          # () matches everything, no exclusions
    ("bridge", "skip-interface=br-.*,podman.*"): ("eno1",) * 5,
    ("bridge", "cidr=10.0.0.0/8"): ("eno1",) * 5,
    ("bridge", "can-reach=10.0.0.1"): ("eno1",) * 5,
    ("bridge", "kubernetes-internal-ip"): (I,) + ("eno1",) * 4,
    ("bridge", "interface=(?!docker).*"): (D,) * 5,
    # unanchored `lo` excludes nodeLOcaldns and wLO1, unanchored `cali.*` vxlan.CALIco: anchoring in
    # v3.23.4 made nodelocaldns the choice until v3.24.6 excluded it (calico#6910)
    ("kubespray", "first-found"): ("eno1", "nodelocaldns", "eno1", "wlo1", "wlo1"),
    ("kubespray", "interface=eno1"): ("eno1",) * 5,
    ("kubespray", "interface=nope,"): ("nodelocaldns",) * 5,
    ("kubespray", "skip-interface=br-.*,podman.*"): ("eno1", "nodelocaldns", "eno1", "wlo1", "wlo1"),
    ("kubespray", "cidr=10.0.0.0/8"): ("nodelocaldns",) * 5,         # 10.233.0.3: cidr= ignores exclusions
    ("kubespray", "can-reach=10.0.0.1"): ("eno1",) * 5,
    ("kubespray", "kubernetes-internal-ip"): (I,) + ("eno1",) * 4,
    ("kubespray", "interface=(?!docker).*"): (D,) * 5,
    ("wlo", "first-found"): ("eno1", "wlo1", "eno1", "wlo1", "wlo1"),
    ("wlo", "interface=eno1"): ("eno1",) * 5,
    ("wlo", "interface=nope,"): ("wlo1",) * 5,
    ("wlo", "skip-interface=br-.*,podman.*"): ("eno1", "wlo1", "eno1", "wlo1", "wlo1"),
    ("wlo", "cidr=10.0.0.0/8"): ("eno1",) * 5,
    ("wlo", "can-reach=10.0.0.1"): ("eno1",) * 5,
    ("wlo", "kubernetes-internal-ip"): (I,) + ("eno1",) * 4,
    ("wlo", "interface=(?!docker).*"): (D,) * 5,
}

CASES = [(s, m, r, want[i]) for (s, m), want in sorted(TABLE.items()) for i, r in enumerate(RELEASES)]


def test_every_form_and_set_is_covered():
    forms = {m.split("=")[0] for _s, m in TABLE}
    assert forms == {"first-found", "interface", "skip-interface", "cidr", "can-reach", "kubernetes-internal-ip"}
    assert {s for s, _m in TABLE} == set(SETS)


@pytest.mark.parametrize("set_name,method,release,expected", CASES)
def test_choice(set_name, method, release, expected):
    interfaces, node_ip = SETS[set_name]
    result = choose(method, interfaces, release, reach=lambda dest: node_ip, internal_ips=[node_ip])
    got = result["interface"] if result["failure"] is None else result["failure"]
    assert got == expected, result["reason"]
