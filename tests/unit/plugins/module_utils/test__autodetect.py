"""Autodetection prediction, per Calico release and method."""
import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import (
    EXCLUDES_OLD,
    EXCLUDES_V3_24,
    EXCLUDES_V3_25,
    candidates,
    choose,
    default_exclusions,
    global_unicast,
    predict,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import parse_interfaces

from fixtures import fixture_text


def seed_ai():
    return parse_interfaces(fixture_text("iproute", "addr_seed_ai.json"))


def iface(index, name, *cidrs, **kw):
    return {"index": index, "name": name, "kind": kw.get("kind", "ether"), "state": kw.get("state", "UP"),
            "ipv4": [{"address": c.split("/")[0], "prefixlen": int(c.split("/")[1]), "cidr": c, "scope": "global"} for c in cidrs]}


@pytest.mark.parametrize("version,expected", [
    ("v3.25.0", EXCLUDES_V3_25), ("v3.27.2", EXCLUDES_V3_25), ("3.25", EXCLUDES_V3_25),
    ("v3.24.5", EXCLUDES_V3_24), ("v3.24.1", EXCLUDES_V3_24),
    ("v3.24.0", EXCLUDES_OLD), ("v3.2.0", EXCLUDES_OLD),
    (None, EXCLUDES_V3_25), ("latest", EXCLUDES_V3_25),
])
def test_exclusions_per_release(version, expected):
    assert default_exclusions(version) == expected


def test_br_and_podman_only_from_325():
    assert "^br-.*" in EXCLUDES_V3_25 and "^br-.*" not in EXCLUDES_V3_24
    assert "^podman.*" not in EXCLUDES_V3_24 and "^nodelocaldns.*" not in EXCLUDES_V3_24


@pytest.mark.parametrize("address,ok", [("192.168.1.188", True), ("172.19.0.1", True), ("127.0.0.1", False),
                                        ("169.254.25.10", False), ("224.0.0.1", False), ("0.0.0.0", False),
                                        ("255.255.255.255", False), ("nonsense", False), (None, False)])
def test_global_unicast(address, ok):
    assert global_unicast(address) is ok


def test_seed_first_found_on_3245_picks_the_bridge():
    prediction, warnings = predict(seed_ai(), "first-found", "v3.24.5")
    assert warnings == []
    assert prediction["first_found"] == {"interface": "br-cddff8a3b81c", "address": "172.19.0.1/16", "reason": None}
    assert prediction["configured"] == prediction["first_found"]
    assert prediction["method"] == "first-found" and prediction["calico_version"] == "v3.24.5"
    assert prediction["candidates"] == [
        {"interface": "br-cddff8a3b81c", "index": 46, "address": "172.19.0.1/16", "excluded_by": None, "state": "UP"},
        {"interface": "tunl0", "index": 5, "address": "172.16.2.1/32", "excluded_by": "^tunl.*", "state": "UNKNOWN"},
        {"interface": "docker0", "index": 4, "address": "172.17.0.1/16", "excluded_by": "^docker.*", "state": "DOWN"},
        {"interface": "eno1", "index": 2, "address": "192.168.1.188/24", "excluded_by": None, "state": "UP"},
    ]


def test_seed_first_found_on_325_skips_the_bridge():
    prediction, dummy = predict(seed_ai(), "", "v3.25.0")
    assert prediction["first_found"]["interface"] == "eno1"
    assert prediction["candidates"][0]["excluded_by"] == "^br-.*"
    assert prediction["method"] == "first-found"


def test_down_bridge_still_wins():
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(46, "br-cddff8a3b81c", "172.19.0.1/16", kind="bridge", state="DOWN")]
    assert choose("first-found", ifaces, "v3.24.5")["interface"] == "br-cddff8a3b81c"


def test_unanchored_old_patterns_exclude_wlo1():
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(3, "wlo1", "192.168.8.20/24")]
    assert choose("first-found", ifaces, "v3.24.0")["interface"] == "eno1"      # 'lo' matches inside wlo1
    assert choose("first-found", ifaces, "v3.24.5")["interface"] == "wlo1"


def test_methods():
    ifaces = seed_ai()
    assert choose("interface=eno.*", ifaces, "v3.24.5") == {"interface": "eno1", "address": "192.168.1.188/24", "reason": None}
    assert choose("interface=nope,eno1", ifaces, "v3.24.5")["interface"] == "eno1"
    # interface= uses no default exclusions: a docker bridge can be chosen on purpose
    assert choose("interface=docker0", ifaces, "v3.24.5")["interface"] == "docker0"
    assert choose("skip-interface=br-.*", ifaces, "v3.24.5")["interface"] == "eno1"
    assert choose("skip-interface=br-.*, eno1", ifaces, "v3.24.5")["reason"]
    assert choose("cidr=192.168.1.0/24", ifaces, "v3.24.5")["address"] == "192.168.1.188/24"
    # cidr= uses no default exclusions either
    assert choose("cidr=172.17.0.0/16", ifaces, "v3.24.5")["interface"] == "docker0"
    assert "no interface address inside" in choose("cidr=10.0.0.0/8", ifaces, "v3.24.5")["reason"]
    assert "Invalid CIDR" in choose("cidr=10.0.0.0/33", ifaces, "v3.24.5")["reason"]
    assert "no interface matches" in choose("interface=wlan9", ifaces, "v3.24.5")["reason"]


def test_can_reach_uses_the_kernel_source_address():
    ifaces = seed_ai()
    seen = []

    def reach(dest):
        seen.append(dest)
        return "192.168.1.188"

    assert choose("can-reach=192.168.1.196", ifaces, "v3.24.5", reach) == {
        "interface": "eno1", "address": "192.168.1.188/24", "reason": None}
    assert seen == ["192.168.1.196"]

    def unreachable(dest):
        raise OSError(101, "Network is unreachable")

    assert "Unable to connect to 10.9.9.9" in choose("can-reach=10.9.9.9", ifaces, "v3.24.5", unreachable)["reason"]
    assert choose("can-reach=", ifaces, "v3.24.5", reach)["reason"]
    assert choose("can-reach=8.8.8.8", ifaces, "v3.24.5", lambda d: "10.1.1.1")["address"] == "10.1.1.1/32"


def test_can_reach_default_does_not_send_anything():
    # A UDP connect() to 127.0.0.1:80 only asks the kernel for a route.
    result = choose("can-reach=127.0.0.1", [iface(1, "lo", "127.0.0.1/8")], "v3.25.0")
    assert result["address"] == "127.0.0.1/8" and result["interface"] == "lo"


def test_kubernetes_internal_ip_and_invalid():
    assert "cannot be evaluated on the node" in choose("kubernetes-internal-ip", seed_ai(), "v3.25.0")["reason"]
    assert choose("magic", seed_ai(), "v3.25.0")["reason"] == "Invalid IP autodetection method: magic"
    assert choose("interface=(", seed_ai(), "v3.25.0")["reason"].startswith("Invalid IP autodetection method: bad interface regex")


def test_configured_and_first_found_differ():
    prediction, dummy = predict(seed_ai(), "interface=eno1", "v3.24.5")
    assert prediction["configured"]["interface"] == "eno1"
    assert prediction["first_found"]["interface"] == "br-cddff8a3b81c"


def test_unknown_version_assumes_newest_and_warns():
    prediction, warnings = predict(seed_ai(), None, None)
    assert prediction["calico_version"] is None and prediction["exclusions"] == EXCLUDES_V3_25
    assert prediction["first_found"]["interface"] == "eno1"
    assert "Calico version unknown" in warnings[0]


def test_no_candidates():
    prediction, dummy = predict([iface(1, "lo", "127.0.0.1/8")], "first-found", "v3.25.0")
    assert prediction["candidates"] == []
    assert prediction["first_found"] == {"interface": None, "address": None,
                                         "reason": "no valid IPv4 addresses found on the host interfaces"}


def test_garbage_interfaces_never_raise():
    assert candidates([None, {"index": "x"}, {"index": 3, "name": "a", "ipv4": [None, {"address": "1.2.3.4", "cidr": "1.2.3.4/8"}]}], []) == [
        {"interface": "a", "index": 3, "address": "1.2.3.4/8", "excluded_by": None, "state": None}]
