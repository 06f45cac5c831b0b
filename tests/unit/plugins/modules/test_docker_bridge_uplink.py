"""Issue 11 item 2: docker_bridge never takes a host's uplink down. A Docker network may name
an existing bridge (com.docker.network.bridge.name=br0) that has the NIC enslaved and holds
the node's address: removing that network is refused unless forced, and the bridge itself is
never deleted with `ip link delete`, because Docker did not create it."""
import json

import pytest

from ansible_collections.meshdoctor.calico.plugins.modules import docker_bridge

from fake_docker import FakeDocker, network
from fake_ip import install_fake_ip, ip_calls, link
from run_module import run_module

LAN_ID = "ab" * 32


def uplink_links():
    br0 = link(3, "br0", kind="bridge", addresses=["192.168.1.188/24"])
    br0["address"] = "52:54:00:12:34:56"          # the host's own bridge: not a Docker MAC
    eno1 = link(2, "eno1", master="br0")
    eno1["address"] = "52:54:00:aa:bb:cc"
    return [link(1, "lo", addresses=["127.0.0.1/8"]), eno1, br0]


def start(host, networks):
    ip_state = install_fake_ip(host["bindir"], uplink_links())
    host["docker"] = FakeDocker(host["socket"], networks=networks, ip_state=ip_state)
    # dockerd leaves a bridge it did not create in place when the network goes.
    host["docker"]._drop_link = lambda name: None  # pylint: disable=protected-access
    return ip_state


def run(monkeypatch, host, args, check=False):
    return run_module(monkeypatch, docker_bridge.main, dict({"docker_socket": host["socket"]}, **args),
                      check_mode=check, diff=True)


def links_now(ip_state):
    with open(ip_state) as handle:
        return [(l["ifname"], l.get("master")) for l in json.load(handle)]


LAN = network(LAN_ID, "lan", options={"com.docker.network.bridge.name": "br0"})


@pytest.mark.parametrize("name", ["lan", "br0"])
def test_network_naming_the_uplink_bridge_is_refused(monkeypatch, host, name):
    ip_state = start(host, [LAN])
    before = links_now(ip_state)
    for check in (True, False):
        result = run(monkeypatch, host, {"name": name}, check=check)
        assert result.get("failed"), result
        assert result["refusals"] == ["uplink_port"]
        assert "eno1 (ether)" in result["msg"] and "force: true" in result["msg"]
    assert not [r for r in host["docker"].requests if r[0] == "DELETE"]
    assert not [c for c in ip_calls(host["bindir"]) if c[:2] == ["link", "delete"]]
    assert links_now(ip_state) == before


def test_forced_removal_of_the_network_never_deletes_the_bridge(monkeypatch, host):
    ip_state = start(host, [LAN])
    result = run(monkeypatch, host, {"name": "lan", "force": True})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["removed"]["method"] == "docker-api"
    assert [r[:2] for r in host["docker"].requests if r[0] == "DELETE"] == [("DELETE", "/networks/" + LAN_ID)]
    assert not [c for c in ip_calls(host["bindir"]) if c[:2] == ["link", "delete"]]
    assert ("br0", None) in links_now(ip_state) and ("eno1", "br0") in links_now(ip_state)
    assert any("was not deleted: it is not Docker's" in w for w in result.get("warnings", []))


def test_a_bridge_docker_did_not_make_is_never_deleted(monkeypatch, host):
    links = [link(1, "lo", addresses=["127.0.0.1/8"]), link(2, "eno1", addresses=["192.168.1.188/24"]),
             link(5, "lxdbr0", kind="bridge", addresses=["10.55.0.1/24"])]
    links[2]["address"] = "00:16:3e:00:00:01"
    install_fake_ip(host["bindir"], links)
    host["docker"] = FakeDocker(host["socket"], networks=[])
    for force in (False, True):
        result = run(monkeypatch, host, {"name": "lxdbr0", "force": force})
        assert result.get("failed") and result["refusals"] == ["not_docker_bridge"], result
    assert not [c for c in ip_calls(host["bindir"]) if c[:2] == ["link", "delete"]]


def test_expected_address_on_an_enslaved_port_is_refused(monkeypatch, host):
    links = [link(1, "lo", addresses=["127.0.0.1/8"]), link(2, "eno1", addresses=["192.168.1.188/24"], master="br-0123456789ab"),
             link(5, "br-0123456789ab", kind="bridge", addresses=["172.20.0.1/16"])]
    install_fake_ip(host["bindir"], links)
    host["docker"] = FakeDocker(host["socket"], networks=[])
    result = run(monkeypatch, host, {"name": "br-0123456789ab", "expected_address": "192.168.1.188"})
    assert result.get("failed") and result["refusals"] == ["uplink_port", "expected_address"], result
