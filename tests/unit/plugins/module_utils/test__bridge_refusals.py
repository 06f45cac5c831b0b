import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._bridge_refusals import (
    blocking,
    bridge_facts,
    match_network,
    refusals,
    summary,
)

NET_ID = "cddff8a3b81c0c1e5a0e35bfb3d8c0f3b1f0a2d4e6c8b0a1f3e5d7c9b1a3f5e7"


def iface(name, kind="bridge", cidrs=(), master=None, state="UP"):
    return {"name": name, "kind": kind, "state": state, "master": master,
            "ipv4": [{"cidr": c, "scope": "global"} for c in cidrs if ":" not in c],
            "ipv6": [{"cidr": "fe80::42:e4ff:fe19:ef2b/64", "scope": "link"}]}


INTERFACES = [
    iface("lo", "loopback", ["127.0.0.1/8"]),
    iface("eno1", "ether", ["192.168.1.188/24"]),
    iface("docker0", "bridge", ["172.17.0.1/16"], state="DOWN"),
    iface("br-cddff8a3b81c", "bridge", ["172.19.0.1/16"]),
    iface("vethab12cd3", "veth", master="br-cddff8a3b81c"),
    iface("br-lan", "bridge", ["10.10.0.1/24"]),
    iface("enp3s0", "ether", master="br-lan"),
    iface("br-0123456789ab", "bridge", ["172.20.0.1/16"]),
]


def net(net_id, name, containers=None, options=None, driver="bridge"):
    return {"Id": net_id, "Name": name, "Driver": driver, "Options": options or {}, "Containers": containers or {},
            "Labels": {"com.docker.compose.project": "gerrit"} if name == "gerrit_default" else {}}


GERRIT = net(NET_ID, "gerrit_default")
GERRIT_USED = net(NET_ID, "gerrit_default", containers={"1a2b" * 16: {"Name": "gerrit-db-1", "IPv4Address": "172.19.0.2/16"}})
DEFAULT = net("f" * 64, "bridge", options={"com.docker.network.bridge.name": "docker0",
                                           "com.docker.network.bridge.default_bridge": "true"})
NAMED = net("9" * 64, "lan_net", options={"com.docker.network.bridge.name": "br-lan"})
MACVLAN = net("7" * 64, "mvl", driver="macvlan")
NETWORKS = [DEFAULT, GERRIT, NAMED, MACVLAN]


@pytest.mark.parametrize("name,expected", [
    ("br-cddff8a3b81c", GERRIT),
    ("gerrit_default", GERRIT),
    (NET_ID, GERRIT),
    (NET_ID[:12], GERRIT),
    ("docker0", DEFAULT),
    ("bridge", DEFAULT),
    ("br-lan", NAMED),
    ("mvl", MACVLAN),
    ("br-0123456789ab", None),   # orphaned: no network owns it
    ("eno1", None),
    ("cddff8a3", None),          # too short an id prefix to be trusted
])
def test_match_network(name, expected):
    assert match_network(NETWORKS, name) is expected


def test_facts_of_a_network_name_look_at_its_bridge():
    facts = bridge_facts("gerrit_default", INTERFACES, GERRIT)
    assert facts["name"] == "br-cddff8a3b81c" and facts["requested"] == "gerrit_default"
    assert facts["addresses"] == ["172.19.0.1/16"]  # link-local IPv6 left out
    assert facts["network_id"] == NET_ID and facts["compose_project"] == "gerrit"
    assert facts["ports"] == ["vethab12cd3"]


def test_seed_bridge_may_go():
    facts = bridge_facts("br-cddff8a3b81c", INTERFACES, GERRIT)
    assert refusals(facts, "192.168.1.188") == []


def test_containers_refused_named_with_both_ways_out():
    facts = bridge_facts("br-cddff8a3b81c", INTERFACES, GERRIT_USED)
    found = refusals(facts, "192.168.1.188")
    assert [code for code, dummy in found] == ["containers"]
    msg = found[0][1]
    assert "gerrit-db-1 (172.19.0.2/16)" in msg
    assert "force: true" in msg
    assert "meshdoctor.calico.autodetection" in msg and "meshdoctor.calico.calico_node" in msg
    assert blocking(found, force=False) == found
    assert blocking(found, force=True) == []


def test_expected_address_refused():
    facts = bridge_facts("br-lan", INTERFACES, NAMED)
    found = refusals(facts, "10.10.0.1")
    # br-lan has the NIC enp3s0 enslaved: refused for that too (issue 11 item 2).
    assert [c for c, dummy in found] == ["uplink_port", "expected_address"]
    assert "10.10.0.1/24" in found[1][1]
    assert refusals(facts, "10.10.0.1/24")[1][0] == "expected_address"
    assert [c for c, dummy in refusals(facts, "10.10.0.2")] == ["uplink_port"]


def test_default_bridge_refused_both_names():
    for name in ("docker0", "bridge"):
        facts = bridge_facts(name, INTERFACES, DEFAULT)
        assert facts["default_bridge"]
        assert [c for c, dummy in refusals(facts)] == ["default_bridge"]
    no_docker = bridge_facts("docker0", INTERFACES, None, docker_available=False, docker_reason="no socket at /var/run/docker.sock")
    assert [c for c, dummy in refusals(no_docker)] == ["default_bridge"]


def test_non_bridge_never_allowed():
    facts = bridge_facts("eno1", INTERFACES, None)
    found = refusals(facts, "192.168.1.188")
    assert [c for c, dummy in found] == ["not_a_bridge", "expected_address"]
    assert [c for c, dummy in blocking(found, force=True)] == ["not_a_bridge"]
    mvl = bridge_facts("mvl", INTERFACES, MACVLAN)
    assert [c for c, dummy in blocking(refusals(mvl), force=True)] == ["not_bridge_driver"]


def test_orphan_bridge_with_ports_refused():
    facts = bridge_facts("br-lan", INTERFACES, None)
    found = refusals(facts)
    assert [c for c, dummy in found] == ["uplink_port", "not_docker_bridge"] and "enp3s0 (ether)" in found[0][1]


def test_orphan_bridge_may_go():
    facts = bridge_facts("br-0123456789ab", INTERFACES, None)
    assert facts["present"] and facts["network_id"] is None
    assert refusals(facts, "192.168.1.188") == []


def test_docker_down_refused_docker_absent_allowed():
    down = bridge_facts("br-0123456789ab", INTERFACES, None, docker_available=False, docker_reason="connection refused")
    found = refusals(down)
    assert [c for c, dummy in found] == ["docker_unreachable"] and "comes back at the next Docker start" in found[0][1]
    absent = bridge_facts("br-0123456789ab", INTERFACES, None, docker_available=False,
                          docker_reason="no socket at /var/run/docker.sock")
    assert refusals(absent) == []


def test_absent_bridge():
    facts = bridge_facts("br-aaaaaaaaaaaa", INTERFACES, None)
    assert not facts["present"]
    assert summary(facts) == {"name": "br-aaaaaaaaaaaa", "present": False}


def test_network_without_link_is_present():
    facts = bridge_facts("gerrit_default", [i for i in INTERFACES if i["name"] != "br-cddff8a3b81c"], GERRIT)
    assert facts["present"] and not facts["link"]
    assert refusals(facts) == []
