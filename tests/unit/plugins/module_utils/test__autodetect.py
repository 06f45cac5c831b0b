"""Autodetection prediction: one test per bullet of CALICO-FACTS.md "Autodetection method
semantics, exactly", each naming the Go rule (FILE:LINE@TAG under projectcalico/calico
node/pkg/lifecycle/startup/autodetection/ unless said otherwise), asserting what calico-node picks."""
import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import (
    candidates,
    choose,
    global_unicast,
    predict,
    resolve_internal_ip,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._exclusions import NEWEST
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import parse_interfaces

from fixtures import fixture_text


def seed_ai():
    return parse_interfaces(fixture_text("iproute", "addr_seed_ai.json"))


def lab_a():     # real `ip -json addr` with an IPv6 ULA on eno1 (COLLECTORS-SOURCES.md)
    return parse_interfaces(fixture_text("iproute", "addr_a.json"))


def _addr(c):
    return {"address": c.split("/")[0], "prefixlen": int(c.split("/")[1]), "cidr": c, "scope": "global"}


def iface(index, name, *cidrs, **kw):
    v4 = [_addr(c) for c in cidrs if ":" not in c]
    v6 = [_addr(c) for c in cidrs if ":" in c]
    return {"index": index, "name": name, "kind": kw.get("kind", "ether"), "state": kw.get("state", "UP"),
            "ipv4": v4, "ipv6": v6}


def picked(choice):
    return choice["interface"], choice["address"]


# --- bullet 1: no trimming (autodetection_methods.go:41,86-88@v3.24.5); kubernetes-internal-ip from v3.22.0
@pytest.mark.parametrize("method", ["first-found ", " first-found", " interface=eno1", "interface"])
def test_untrimmed_values_are_invalid_methods(method):
    result = choose(method, seed_ai(), "v3.24.5")
    assert result["failure"] == "invalid_method" and result["address"] is None
    assert result["reason"].startswith("Invalid IP autodetection method: %s" % method)


def test_kubernetes_internal_ip_is_invalid_before_322():
    assert choose("kubernetes-internal-ip", seed_ai(), "v3.21.2", internal_ips=["192.168.1.188"])["failure"] == "invalid_method"
    assert picked(choose("kubernetes-internal-ip", seed_ai(), "v3.22.4", internal_ips=["192.168.1.188"])) == \
        ("eno1", "192.168.1.188/24")


# --- bullet 2: split, joined into one regexp (interfaces.go:49,55@v3.24.5), empty pieces, no trimming
def test_empty_interface_piece_matches_every_interface():
    # "interface=nope," -> "(nope)|()": () matches, so the newest interface with an address wins
    assert picked(choose("interface=nope,", seed_ai(), "v3.24.5")) == ("br-cddff8a3b81c", "172.19.0.1/16")


def test_empty_skip_interface_skips_everything():
    result = choose("skip-interface=", seed_ai(), "v3.24.5")
    assert result["failure"] == "detection_failed" and "no valid host interfaces found" in result["reason"]


def test_a_piece_keeps_its_leading_space():
    assert choose("interface= eno1", seed_ai(), "v3.24.5")["reason"].startswith("no valid host interfaces found")
    assert picked(choose("interface=nope , eno1", seed_ai(), "v3.24.5")) == ("eno1", "192.168.1.188/24")


def test_skip_interface_adds_to_defaults_and_interface_cidr_ignore_them():
    ifaces = seed_ai()
    assert choose("skip-interface=br-.*", ifaces, "v3.24.5")["interface"] == "eno1"
    assert choose("skip-interface=br-.*,eno1", ifaces, "v3.24.5")["failure"] == "detection_failed"
    assert choose("interface=docker0", ifaces, "v3.25.0")["interface"] == "docker0"       # no default exclusions
    assert choose("cidr=172.17.0.0/16", ifaces, "v3.25.0")["interface"] == "docker0"


# --- bullet 3: Go RE2, not Python re (interfaces.go:49-51@v3.24.5 "Invalid interface regex" -> nil)
def test_re2_rejections_fail_the_detection_and_re2_syntax_works():
    result = choose("interface=(?!docker).*", seed_ai(), "v3.24.5")
    assert result["failure"] == "detection_failed"
    assert "Invalid interface regex: error parsing regexp: invalid or unsupported Perl syntax: `(?!`" in result["reason"]
    assert choose("interface=eno[[:digit:]]\\z", seed_ai(), "v3.24.5")["interface"] == "eno1"


def test_untranslatable_regex_is_not_guessed():
    result = choose("interface=\\p{Latin}+1", seed_ai(), "v3.24.5")
    assert result["failure"] == "unknown" and "\\p{Latin}" in result["reason"]


# --- bullet 4: cidr= (autodetection_methods.go:56-63@v3.24.5, filtered.go:42-48@v3.24.5)
def test_cidr_winner_is_the_walk_order_not_the_list_order():
    ifaces = seed_ai()
    assert picked(choose("cidr=192.168.1.0/24,172.19.0.0/16", ifaces, "v3.24.5")) == ("br-cddff8a3b81c", "172.19.0.1/16")
    assert choose("cidr=192.168.1.0/24, 172.30.0.0/16", ifaces, "v3.24.5")["interface"] == "eno1"


@pytest.mark.parametrize("method", ["cidr=192.168.1.0", "cidr=192.168.1.0/255.255.255.0", "cidr= 192.168.1.0/24"])
def test_cidr_parse_errors_fail_the_detection(method):
    result = choose(method, seed_ai(), "v3.24.5")
    assert result["failure"] == "detection_failed" and result["reason"].startswith("Invalid CIDR")


def test_mixed_families_in_a_cidr_list():
    assert choose("cidr=fd99::/64,10.99.0.0/24", lab_a(), "v3.25.0", version=4)["address"] == "10.99.0.1/24"
    assert choose("cidr=fd99::/64,10.99.0.0/24", lab_a(), "v3.25.0", version=6)["address"] == "fd99::1/64"


# --- bullet 5: can-reach= (reachaddr.go:32-34,51-66@v3.24.5)
def test_can_reach_source_on_no_interface_fails():
    result = choose("can-reach=8.8.8.8", seed_ai(), "v3.24.5", reach=lambda d: "10.1.1.1")
    assert result["failure"] == "detection_failed"
    assert "does not match any addresses found on local interfaces: 10.1.1.1" in result["reason"]


def test_can_reach_source_on_two_interfaces_takes_the_newest():
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(9, "br-x", "192.168.1.188/32")]
    assert picked(choose("can-reach=192.168.1.196", ifaces, "v3.24.5", reach=lambda d: "192.168.1.188")) == \
        ("br-x", "192.168.1.188/32")


def test_empty_can_reach_dials_the_local_system():
    seen = []
    result = choose("can-reach=", seed_ai(), "v3.24.5", reach=lambda d: seen.append(d) or "127.0.0.1")
    assert seen == ["127.0.0.1"] and picked(result) == ("lo", "127.0.0.1/8")     # no global-unicast check


def test_can_reach_errors_and_real_socket():
    def unreachable(dest):
        raise OSError(101, "Network is unreachable")
    result = choose("can-reach=10.9.9.9", seed_ai(), "v3.24.5", reach=unreachable)
    assert result["failure"] == "detection_failed" and "by connecting to 10.9.9.9" in result["reason"]
    # the real reach_source: a UDP connect() only asks the kernel for a route
    assert picked(choose("can-reach=127.0.0.1", [iface(1, "lo", "127.0.0.1/8")], "v3.25.0")) == ("lo", "127.0.0.1/8")


# --- bullet 6: Go's IsGlobalUnicast (filtered.go:46@v3.24.5)
@pytest.mark.parametrize("address,ok", [
    ("192.168.1.188", True), ("100.64.0.1", True), ("240.0.0.1", True), ("127.0.0.1", False), ("169.254.25.10", False),
    ("224.0.0.1", False), ("0.0.0.0", False), ("255.255.255.255", False), ("fd00::1", True), ("fec0::1", True),
    ("2001:db8::1", True), ("64:ff9b::1", True), ("fe80::1", False), ("::1", False), ("::", False), ("ff02::1", False),
    ("nonsense", False), (None, False),
])
def test_global_unicast(address, ok):
    assert global_unicast(address) is ok


# --- bullet 7: reverse walk, whatever the link state (interfaces.go:61-63@v3.24.5)
def test_walk_is_descending_ifindex_and_ignores_link_state():
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(46, "br-cddff8a3b81c", "172.19.0.1/16", state="DOWN")]
    assert choose("first-found", ifaces, "v3.24.5")["interface"] == "br-cddff8a3b81c"


# --- bullet 8: ^lo is a prefix match (autodetection_linux.go:18@v3.25.0)
def test_lo_prefix_excludes_lo0_and_loopback0():
    ifaces = [iface(2, "eno1", "192.168.1.188/24"), iface(7, "lo0", "10.0.0.1/32"), iface(8, "loopback0", "10.0.0.2/32")]
    assert choose("first-found", ifaces, "v3.25.0")["interface"] == "eno1"


# --- kubernetes-internal-ip (autodetection_methods.go:170-192,199-237@v3.24.5)
def test_kubernetes_internal_ip_must_sit_on_an_interface():
    assert picked(resolve_internal_ip(["192.168.1.188"], seed_ai(), 4, "v3.25.0")) == ("eno1", "192.168.1.188/24")
    missing = resolve_internal_ip(["192.168.1.200"], seed_ai(), 4, "v3.25.0")
    assert missing["failure"] == "detection_failed" and "Unable to parse CIDR 192.168.1.200" in missing["reason"]
    assert resolve_internal_ip(["fd99::1"], seed_ai(), 4, "v3.25.0")["failure"] == "detection_failed"
    assert picked(resolve_internal_ip(["10.99.0.1", "fd99::1"], lab_a(), 6, "v3.25.0")) == ("eno1", "fd99::1/64")
    assert resolve_internal_ip(["192.168.1.188"], seed_ai(), 4, "v3.25.0", on_kubernetes=False)["reason"].startswith(
        "Cannot use method 'kubernetes-internal-ip' when not running on a Kubernetes cluster")


def test_kubernetes_internal_ip_network_address_bug():
    # autodetection_methods.go:183@v3.22.0 returned ParseCIDR's masked network; fixed in v3.22.4 / v3.23.2
    assert resolve_internal_ip(["192.168.1.188"], seed_ai(), 4, "v3.22.3")["address"] == "192.168.1.0/24"
    assert resolve_internal_ip(["192.168.1.188"], seed_ai(), 4, "v3.23.2")["address"] == "192.168.1.188/24"
    assert choose("kubernetes-internal-ip", seed_ai(), "v3.25.0")["failure"] == "unknown"     # the node cannot know


# --- IPv6: IP6=autodetect uses IP6_AUTODETECTION_METHOD (startup.go:531-541@v3.24.5)
def test_ipv6_prediction():
    prediction, _w = predict(lab_a(), "first-found", "v3.25.0", env={"IP6": "autodetect", "IP6_AUTODETECTION_METHOD": None})
    assert prediction["ipv6"]["detects"] is True and prediction["ipv6"]["method"] == "first-found"
    assert picked(prediction["ipv6"]["configured"]) == ("eno1", "fd99::1/64")
    assert prediction["ipv6"]["candidates"] == [
        {"interface": "eno1", "index": 2, "address": "fd99::1/64", "excluded_by": None, "state": "UP"}]
    prediction, _w = predict(lab_a(), None, "v3.25.0", env={"IP6": "fd99::1"}, bird6_running=True)
    assert prediction["ipv6"]["detects"] is False
    prediction, _w = predict(lab_a(), None, "v3.25.0", env={})
    assert prediction["ipv6"] is None


def test_ipv6_method_errors():
    prediction, _w = predict(lab_a(), None, "v3.25.0", env={"IP6": "autodetect", "IP6_AUTODETECTION_METHOD": "cidr=fd98::/64"})
    assert prediction["ipv6"]["configured"]["failure"] == "detection_failed"


# --- the prediction as a whole
def test_seed_first_found_on_3245_picks_the_bridge():
    prediction, warnings = predict(seed_ai(), "first-found", "v3.24.5")
    assert warnings == []
    assert prediction["first_found"] == {"interface": "br-cddff8a3b81c", "address": "172.19.0.1/16", "reason": None,
                                         "failure": None}
    assert prediction["configured"] == prediction["first_found"]
    assert prediction["method"] == "first-found" and prediction["calico_version"] == "v3.24.5"
    assert prediction["candidates"] == [
        {"interface": "br-cddff8a3b81c", "index": 46, "address": "172.19.0.1/16", "excluded_by": None, "state": "UP"},
        {"interface": "tunl0", "index": 5, "address": "172.16.2.1/32", "excluded_by": "^tunl.*", "state": "UNKNOWN"},
        {"interface": "docker0", "index": 4, "address": "172.17.0.1/16", "excluded_by": "^docker.*", "state": "DOWN"},
        {"interface": "eno1", "index": 2, "address": "192.168.1.188/24", "excluded_by": None, "state": "UP"},
    ]


def test_configured_and_first_found_differ():
    prediction, _w = predict(seed_ai(), "interface=eno1", "v3.24.5")
    assert prediction["configured"]["interface"] == "eno1"
    assert prediction["first_found"]["interface"] == "br-cddff8a3b81c"


def test_unknown_version_assumes_newest_and_warns():
    prediction, warnings = predict(seed_ai(), None, None)
    assert prediction["calico_version"] is None and prediction["exclusions"] == list(NEWEST)
    assert prediction["first_found"]["interface"] == "eno1"
    assert "Calico version unknown" in warnings[0]


def test_no_candidates():
    # filtered.go:35-37@v3.24.5: every interface excluded -> "no valid host interfaces found";
    # filtered.go:52: interfaces left but no global address -> "no valid IPv4 addresses ..."
    prediction, _w = predict([iface(1, "lo", "127.0.0.1/8")], "first-found", "v3.25.0")
    assert prediction["candidates"] == []
    assert prediction["first_found"] == {"interface": None, "address": None, "failure": "detection_failed",
                                         "reason": "no valid host interfaces found"}
    prediction, _w = predict([iface(1, "lo", "127.0.0.1/8"), iface(2, "eno1")], "first-found", "v3.25.0")
    assert prediction["first_found"]["reason"] == "no valid IPv4 addresses found on the host interfaces"


def test_garbage_interfaces_never_raise():
    garbage = [None, {"index": "x"}, {"index": 3, "name": "a", "ipv4": [None, {"address": "1.2.3.4", "cidr": "1.2.3.4/8"}]},
               {"index": 4, "name": None, "ipv4": "x", "ipv6": [{"address": "zz"}]}]
    assert candidates(garbage, "v3.25.0") == [
        {"interface": "a", "index": 3, "address": "1.2.3.4/8", "excluded_by": None, "state": None}]
    for method in ("first-found", "interface=a", "cidr=1.0.0.0/8", "skip-interface=x", "can-reach=1.2.3.4"):
        choose(method, garbage, "v3.25.0", reach=lambda d: "1.2.3.4")
