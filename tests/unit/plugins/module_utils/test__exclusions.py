"""DEFAULT_INTERFACES_TO_EXCLUDE at every boundary release, and the lab's copy in step with it.

Each list was read at the tag named: projectcalico/calico
node/pkg/lifecycle/startup/autodetection/autodetection_linux.go line 18 (v3.22.0 and later);
projectcalico/node pkg/startup/startup_linux.go line 12 (v3.2.0-v3.15.x) and
pkg/lifecycle/startup/startup_linux.go line 30 (v3.16-v3.21).
"""
import importlib.util
import os

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import choose
from ansible_collections.meshdoctor.calico.plugins.module_utils._exclusions import (
    ANCHORED,
    ANCHORED_NODELOCALDNS,
    ANCHORED_VXLAN,
    NEWEST,
    UNANCHORED,
    UNANCHORED_OLD,
    default_exclusions,
)

LAB_AUTODETECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "lab", "calico_node", "autodetect.py")
UNANCHORED_LIST = ["docker.*", "cbr.*", "dummy.*", "virbr.*", "lxcbr.*", "veth.*", "lo", "cali.*", "tunl.*",
                   "flannel.*", "kube-ipvs.*", "cni.*"]
TUNNELS = ["^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*"]

BOUNDARIES = [
    ("v3.2.0", UNANCHORED_LIST[:-1]), ("v3.14.2", UNANCHORED_LIST[:-1]),   # node v3.14.2 startup_linux.go:12 has no cni.*
    ("v3.15.0", UNANCHORED_LIST), ("v3.20.0", UNANCHORED_LIST), ("v3.22.0", UNANCHORED_LIST),
    ("v3.23.3", UNANCHORED_LIST),
    ("v3.23.4", ["^" + p for p in UNANCHORED_LIST]),                            # "Match full interface names"
    ("v3.23.5", ["^" + p for p in UNANCHORED_LIST] + TUNNELS),
    ("v3.24.0", UNANCHORED_LIST), ("v3.24.2", UNANCHORED_LIST),                 # the 3.24 branch lagged 3.23
    ("v3.24.3", ["^" + p for p in UNANCHORED_LIST]),
    ("v3.24.4", ["^" + p for p in UNANCHORED_LIST] + TUNNELS),
    ("v3.24.5", ["^" + p for p in UNANCHORED_LIST] + TUNNELS),
    ("v3.24.6", ["^" + p for p in UNANCHORED_LIST] + TUNNELS + ["^nodelocaldns.*"]),
    ("v3.25.0", ["^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo", "^br-.*",
                 "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*"] + TUNNELS + ["^nodelocaldns.*"]),
]


@pytest.mark.parametrize("version,expected", BOUNDARIES)
def test_exclusions_at_boundary_releases(version, expected):
    assert default_exclusions(version) == expected


def test_newest_is_assumed_when_unknown_and_kept_after_325():
    assert default_exclusions(None) == default_exclusions("latest") == list(NEWEST)
    assert default_exclusions("v3.32.1") == default_exclusions("3.28") == list(NEWEST)


def test_the_named_lists():
    assert list(UNANCHORED) == UNANCHORED_LIST and list(UNANCHORED_OLD) == UNANCHORED_LIST[:-1]
    assert list(ANCHORED_VXLAN) == list(ANCHORED) + TUNNELS
    assert list(ANCHORED_NODELOCALDNS) == list(ANCHORED_VXLAN) + ["^nodelocaldns.*"]


def iface(index, name, cidr):
    return {"index": index, "name": name, "ipv4": [{"address": cidr.split("/")[0], "cidr": cidr}]}


@pytest.mark.parametrize("version,picked", [
    ("v3.23.3", "eno1"), ("v3.23.4", "wlo1"),     # unanchored `lo` also excludes wlo1
    ("v3.24.2", "eno1"), ("v3.24.3", "wlo1"),
])
def test_anchoring_changes_the_choice(version, picked):
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(3, "wlo1", "192.168.8.20/24")]
    assert choose("first-found", ifaces, version)["interface"] == picked


@pytest.mark.parametrize("version,picked", [("v3.24.4", "nodelocaldns"), ("v3.24.5", "nodelocaldns"),
                                            ("v3.24.6", "eno1"), ("v3.25.0", "eno1")])
def test_nodelocaldns_from_3246(version, picked):   # calico#6910
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(9, "nodelocaldns", "169.254.25.10/32"),
              iface(10, "nodelocaldns", "10.233.0.10/32")]
    assert choose("first-found", ifaces, version)["interface"] == picked


@pytest.mark.parametrize("version,picked", [("v3.24.6", "br-cddff8a3b81c"), ("v3.25.0", "eno1")])
def test_docker_bridges_skipped_from_325(version, picked):
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(46, "br-cddff8a3b81c", "172.19.0.1/16")]
    assert choose("first-found", ifaces, version)["interface"] == picked


def _lab_module():
    spec = importlib.util.spec_from_file_location("lab_autodetect", LAB_AUTODETECT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _every_release():
    out = []
    for minor, last in ((2, 8), (9, 6), (10, 4), (14, 2), (15, 5), (16, 10), (20, 6), (21, 6), (22, 5), (23, 5),
                        (24, 6), (25, 2), (26, 5), (28, 5), (32, 1)):
        out.extend("v3.%d.%d" % (minor, patch) for patch in range(last + 1))
    return out


def test_the_lab_calico_node_uses_the_same_lists():
    lab = _lab_module()
    for version in _every_release():
        assert lab.default_exclusions(version) == default_exclusions(version), version
