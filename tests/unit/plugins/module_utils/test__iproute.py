"""iproute2 JSON parsing, on output recorded from real `ip` (capture_netns.py, a Docker host)
and on the seed's interfaces and IPIP routes in `ip -json`'s format."""
import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import (
    collect_interfaces,
    collect_routes,
    interface_from_json,
    parse_interfaces,
    parse_routes,
    parse_routes_text,
)

from fake_run import FakeRun
from fixtures import fixture_text


def by_name(items):
    return dict((i["name"], i) for i in items)


def test_real_netns_interfaces():
    ifaces = parse_interfaces(fixture_text("iproute", "addr_a.json"))
    assert [i["index"] for i in ifaces] == sorted(i["index"] for i in ifaces)
    names = by_name(ifaces)
    assert names["lo"]["kind"] == "loopback" and names["lo"]["mac"] is None
    assert names["lo"]["ipv4"] == [{"address": "127.0.0.1", "prefixlen": 8, "cidr": "127.0.0.1/8", "scope": "host"}]
    br = names["br-cddff8a3b81c"]
    assert (br["kind"], br["state"], br["mac"], br["master"]) == ("bridge", "DOWN", "02:42:e4:19:ef:2b", None)
    assert br["ipv4"] == [{"address": "172.19.0.1", "prefixlen": 16, "cidr": "172.19.0.1/16", "scope": "global"}]
    assert "NO-CARRIER" in br["flags"]
    assert names["eno1"]["kind"] == "veth"
    assert [a["cidr"] for a in names["eno1"]["ipv6"]] == ["fd99::1/64", names["eno1"]["ipv6"][1]["cidr"]]
    assert names["veth1c0ffee"]["master"] == "docker0"
    assert names["veth1c0ffee"]["state"] == "LOWERLAYERDOWN"
    assert names["vxlan.calico"]["kind"] == "vxlan" and names["vxlan.calico"]["mtu"] == 1450
    assert set(names["eno1"]) == {"index", "name", "kind", "state", "flags", "mtu", "mac", "master", "ipv4", "ipv6"}


def test_link_and_addr_merge_matches_single_call():
    merged = parse_interfaces('[]', fixture_text("iproute", "link_a.json"))
    single = parse_interfaces(fixture_text("iproute", "addr_a.json"))
    assert [(i["name"], i["kind"], i["master"]) for i in merged] == [(i["name"], i["kind"], i["master"]) for i in single]
    assert all(i["ipv4"] == [] for i in merged)


def test_seed_ai_interfaces():
    names = by_name(parse_interfaces(fixture_text("iproute", "addr_seed_ai.json")))
    assert names["tunl0"]["kind"] == "ipip" and names["tunl0"]["mac"] is None
    assert names["tunl0"]["ipv4"][0]["cidr"] == "172.16.2.1/32"
    assert names["br-cddff8a3b81c"]["index"] == 46
    assert names["br-cddff8a3b81c"]["ipv6"][0]["scope"] == "link"
    assert names["eno1"]["kind"] == "ether"
    assert names["veth4c1d2e3"]["master"] == "br-cddff8a3b81c"


def test_kinds_of_a_wireguard_node():
    names = by_name(parse_interfaces(fixture_text("iproute", "addr_wireguard_node.json")))
    assert {n: i["kind"] for n, i in names.items()} == {
        "lo": "loopback", "ens3": "ether", "dummy0": "dummy", "vxlan.calico": "vxlan", "wireguard.cali": "wireguard",
        "nodelocaldns": "dummy", "tun0": "tun", "podman0": "bridge"}
    assert names["wireguard.cali"]["mac"] is None


def test_unknown_kind_is_other():
    assert interface_from_json({"ifindex": 2, "ifname": "ifb0", "link_type": "ether", "linkinfo": {"info_kind": "ifb"}})["kind"] == "other"
    assert interface_from_json({"ifindex": 3, "ifname": "x", "link_type": "void"})["kind"] == "other"


@pytest.mark.parametrize("text", ["", "not json", "{}", "[1, 2]", '[{"ifname": "x"}]', "null", '[{"ifindex": "a"}]'])
def test_bad_interface_input_gives_empty(text):
    assert parse_interfaces(text) == []


def test_partial_entries_get_defaults():
    iface = interface_from_json({"ifindex": 9, "ifname": "eth9", "addr_info": [{"family": "inet", "local": "10.0.0.9"}]})
    assert iface["state"] == "UNKNOWN" and iface["flags"] == [] and iface["mtu"] is None
    assert iface["ipv4"] == [{"address": "10.0.0.9", "prefixlen": 32, "cidr": "10.0.0.9/32", "scope": "global"}]


# ------------------------------------------------------------------ routes
def test_real_bird_routes():
    routes = parse_routes(fixture_text("iproute", "route4_a.json"))
    assert routes[1] == {"table": "main", "family": "ipv4", "type": "blackhole", "dst": "172.16.2.0/24", "gateway": None,
                         "dev": None, "protocol": "bird", "scope": "global", "prefsrc": None, "metric": None, "flags": []}
    learned = routes[2]
    assert (learned["dst"], learned["gateway"], learned["dev"], learned["protocol"]) == ("172.16.3.0/24", "10.99.0.2", "eno1", "bird")
    assert routes[0]["scope"] == "link" and routes[0]["prefsrc"] == "10.99.0.1"
    assert routes[-1]["flags"] == ["linkdown"]


def test_real_host_route_gets_prefix():
    routes = parse_routes(fixture_text("iproute", "route4_b.json"))
    assert routes[1]["dst"] == "172.16.2.0/32"


def test_real_ipv6_routes():
    routes = parse_routes(fixture_text("iproute", "route6_a.json"), family="ipv6")
    assert routes[0]["type"] == "blackhole" and routes[0]["dev"] is None and routes[0]["metric"] == 1024
    assert routes[1]["gateway"] == "fd99::2" and routes[1]["family"] == "ipv6"


def test_seed_ml_ipip_routes():
    routes = parse_routes(fixture_text("iproute", "route4_seed_ml.json"))
    bird = [r for r in routes if r["protocol"] == "bird"]
    assert [(r["type"], r["dst"], r["gateway"], r["dev"], r["flags"]) for r in bird] == [
        ("unicast", "172.16.0.0/24", "192.168.1.196", "tunl0", ["onlink"]),
        ("blackhole", "172.16.1.0/24", None, None, []),
        ("unicast", "172.16.3.0/24", "192.168.1.172", "tunl0", ["onlink"]),
    ]
    assert routes[0]["dst"] == "0.0.0.0/0" and routes[0]["metric"] == 100 and routes[0]["protocol"] == "dhcp"
    assert routes[3]["protocol"] == "boot"   # iproute2 omits `proto boot`


def test_text_fallback_matches_json():
    for name in ("route4_seed_ml", "route4_a", "route4_multipath"):
        assert parse_routes_text(fixture_text("iproute", name + ".txt")) == parse_routes(fixture_text("iproute", name + ".json")), name
    v6_text = parse_routes_text(fixture_text("iproute", "route6_a.txt"), family="ipv6")
    v6_json = parse_routes(fixture_text("iproute", "route6_a.json"), family="ipv6")
    assert v6_text == v6_json


def test_multipath_takes_first_nexthop():
    route = parse_routes(fixture_text("iproute", "route4_multipath.json"))[0]
    assert (route["gateway"], route["dev"]) == ("10.0.0.1", "ens3")


def test_default_v6():
    assert parse_routes('[{"dst":"default","gateway":"fe80::1","dev":"eth0","flags":[]}]', family="ipv6")[0]["dst"] == "::/0"


@pytest.mark.parametrize("text", ["", "garbage", "{}", "[null, 3]", '[{"gateway": "x"}]'])
def test_bad_route_input(text):
    assert parse_routes(text) == []


@pytest.mark.parametrize("text", ["Error: ipv4: FIB table does not exist.", "not json at all", "Dump terminated",
                                  "blackhole bogus/24 proto bird", "10.0.0.0/x dev eth0"])
def test_text_fallback_takes_only_route_lines(text):
    assert parse_routes_text(text) == []
    mixed = parse_routes_text(text + "\nblackhole 172.16.2.0/24 proto bird\n")
    assert [(r["type"], r["dst"]) for r in mixed] == [("blackhole", "172.16.2.0/24")]


# ------------------------------------------------------------------ collectors
def test_collect_interfaces_one_call():
    run = FakeRun({("ip", "-json", "-details", "addr", "show"): (0, fixture_text("iproute", "addr_seed_ai.json"), "")})
    ifaces, warnings = collect_interfaces(run)
    assert len(ifaces) == 8 and warnings == [] and len(run.calls) == 1


def test_collect_interfaces_falls_back_to_two_calls():
    run = FakeRun({("ip", "-json", "-details", "addr", "show"): (1, "", "Error: either \"dev\" is duplicate"),
                   ("ip", "-json", "addr", "show"): (0, fixture_text("iproute", "addr_a.json"), ""),
                   ("ip", "-json", "-details", "link", "show"): (0, fixture_text("iproute", "link_a.json"), "")})
    ifaces, warnings = collect_interfaces(run)
    assert by_name(ifaces)["br-cddff8a3b81c"]["ipv4"][0]["cidr"] == "172.19.0.1/16" and warnings == []


def test_collect_interfaces_without_ip():
    ifaces, warnings = collect_interfaces(FakeRun({}, default=(127, "", "ip: not found")))
    assert ifaces == [] and "ip: not found" in warnings[0]


def test_collect_interfaces_run_command_raises():
    ifaces, warnings = collect_interfaces(FakeRun({("ip",): OSError("boom")}))
    assert ifaces == [] and "boom" in warnings[0]


def test_collect_routes_tables_and_families():
    run = FakeRun({("ip", "-json", "-4", "route", "show", "table", "main"): (0, fixture_text("iproute", "route4_a.json"), ""),
                   ("ip", "-json", "-6", "route", "show", "table", "main"): (0, fixture_text("iproute", "route6_a.json"), ""),
                   ("ip", "-json", "-4", "route", "show", "table", "nope"): (255, "", 'Error: argument "nope" is wrong: table id value is invalid\n')})
    routes, warnings = collect_routes(run, tables=["main", "nope"], families=("ipv4", "ipv6"))
    assert len(routes) == 10 and {r["family"] for r in routes} == {"ipv4", "ipv6"}
    assert len(warnings) == 2 and "table id value is invalid" in warnings[0]


def test_collect_routes_old_iproute_prints_text():
    run = FakeRun({("ip", "-json", "-4", "route", "show", "table", "main"): (0, fixture_text("iproute", "route4_seed_ml.txt"), "")})
    routes, warnings = collect_routes(run)
    assert routes == parse_routes(fixture_text("iproute", "route4_seed_ml.json"))
    assert warnings == []


def test_collect_routes_invalid_json_of_iproute2_4_19_runs_ip_route_again():
    # iproute2 4.17-4.20 prints the route type as a bare string inside the object.
    run = FakeRun({("ip", "-json", "-4", "route", "show", "table", "main"):
                   (0, fixture_text("iproute", "route4_seed_ml_iproute2_4.19.json"), ""),
                   ("ip", "-4", "route", "show", "table", "main"): (0, fixture_text("iproute", "route4_seed_ml.txt"), "")})
    routes, warnings = collect_routes(run)
    assert warnings == []
    assert routes == parse_routes(fixture_text("iproute", "route4_seed_ml.json"))
    assert [r["dst"] for r in routes if r["type"] == "blackhole"] == ["172.16.1.0/24"]


def test_collect_routes_invalid_json_and_text_fails():
    run = FakeRun({("ip", "-json", "-4", "route", "show", "table", "main"):
                   (0, fixture_text("iproute", "route4_seed_ml_iproute2_4.19.json"), ""),
                   ("ip", "-4", "route", "show", "table", "main"): (1, "", "RTNETLINK answers: Operation not permitted")})
    routes, warnings = collect_routes(run)
    assert routes == [] and "invalid JSON" in warnings[0] and "Operation not permitted" in warnings[0]
