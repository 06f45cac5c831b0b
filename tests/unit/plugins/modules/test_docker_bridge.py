import json

from ansible_collections.meshdoctor.calico.plugins.modules import docker_bridge

from fake_docker import FakeDocker, container, network
from fake_ip import install_fake_ip, ip_calls, link
from run_module import run_module

NET_ID = "cddff8a3b81c0c1e5a0e35bfb3d8c0f3b1f0a2d4e6c8b0a1f3e5d7c9b1a3f5e7"
BR = "br-cddff8a3b81c"
DB = container("gerrit-db-1")


def ai_links(with_veth=False):
    links = [link(1, "lo", addresses=["127.0.0.1/8"]), link(2, "eno1", addresses=["192.168.1.188/24"]),
             link(3, "tunl0", kind="ipip"), link(46, BR, kind="bridge", addresses=["172.19.0.1/16"], state="DOWN")]
    if with_veth:
        links.append(link(48, "veth1c2d3e4", kind="veth", master=BR))
    return links


def start(host, links, networks=(), containers=()):
    ip_state = install_fake_ip(host["bindir"], links)
    if networks is not None:
        host["docker"] = FakeDocker(host["socket"], networks=networks, containers=containers, ip_state=ip_state)
    return ip_state


def run(monkeypatch, host, args, check=False):
    args = dict({"docker_socket": host["socket"]}, **args)
    return run_module(monkeypatch, docker_bridge.main, args, check_mode=check, diff=True)


def links_now(ip_state):
    with open(ip_state) as handle:
        return [l["ifname"] for l in json.load(handle)]


def test_check_real_again_check_again_through_docker_api(monkeypatch, host):
    ip_state = start(host, ai_links(), [network(NET_ID, "gerrit_default", project="gerrit")])
    args = {"name": BR, "expected_address": "192.168.1.188"}
    check = run(monkeypatch, host, args, check=True)
    assert check["changed"]
    assert check["removed"] == {"name": BR, "network_id": NET_ID, "network_name": "gerrit_default", "method": "docker-api",
                                "addresses": ["172.19.0.1/16"], "disconnected": []}
    assert check["after"]["present"] is False
    assert check["diff"]["before"]["network_name"] == "gerrit_default" and check["diff"]["after"] == {"name": BR, "present": False}
    assert BR in links_now(ip_state) and NET_ID in host["docker"].networks
    assert not [r for r in host["docker"].requests if r[0] == "DELETE"]

    real = run(monkeypatch, host, args)
    assert real["changed"] and real["removed"]["method"] == "docker-api"
    assert real["before"]["present"] and real["after"]["present"] is False
    assert ("DELETE", "/networks/" + NET_ID, None) in host["docker"].requests
    assert BR not in links_now(ip_state) and not host["docker"].networks
    assert not [c for c in ip_calls(host["bindir"]) if c[:2] == ["link", "delete"]]  # Docker removed the link itself

    again = run(monkeypatch, host, args)
    assert not again["changed"] and again["removed"] is None
    assert not run(monkeypatch, host, args, check=True)["changed"]


def test_network_name_is_accepted(monkeypatch, host):
    ip_state = start(host, ai_links(), [network(NET_ID, "gerrit_default")])
    result = run(monkeypatch, host, {"name": "gerrit_default"})
    assert result["changed"] and result["removed"]["name"] == BR
    assert BR not in links_now(ip_state)


def test_containers_attached_refused_and_named(monkeypatch, host):
    used = network(NET_ID, "gerrit_default", containers={DB["Id"]: {"Name": "gerrit-db-1", "IPv4Address": "172.19.0.2/16"}})
    ip_state = start(host, ai_links(with_veth=True), [used], [DB])
    result = run(monkeypatch, host, {"name": BR, "expected_address": "192.168.1.188"})
    assert result["failed"] and result["refusals"] == ["containers"]
    assert "gerrit-db-1 (172.19.0.2/16)" in result["msg"]
    assert "force: true" in result["msg"] and "meshdoctor.calico.autodetection" in result["msg"]
    assert BR in links_now(ip_state) and NET_ID in host["docker"].networks
    check = run(monkeypatch, host, {"name": BR}, check=True)
    assert check["failed"]  # check mode refuses the same way


def test_force_disconnects_then_removes(monkeypatch, host):
    used = network(NET_ID, "gerrit_default", containers={DB["Id"]: {"Name": "gerrit-db-1", "IPv4Address": "172.19.0.2/16"}})
    ip_state = start(host, ai_links(with_veth=True), [used], [DB])
    result = run(monkeypatch, host, {"name": BR, "force": True})
    assert result["changed"] and result["removed"]["disconnected"] == ["gerrit-db-1"]
    posts = [r for r in host["docker"].requests if r[0] == "POST"]
    assert posts == [("POST", "/networks/%s/disconnect" % NET_ID, {"Container": DB["Id"], "Force": True})]
    assert BR not in links_now(ip_state)


def test_force_undoes_disconnect_when_delete_fails(monkeypatch, host):
    used = network(NET_ID, "gerrit_default", containers={DB["Id"]: {"Name": "gerrit-db-1", "IPv4Address": "172.19.0.2/16"}})
    start(host, ai_links(with_veth=True), [used], [DB])
    host["docker"].fail[("DELETE", "/networks/")] = (500, "error while removing network: device or resource busy")
    result = run(monkeypatch, host, {"name": BR, "force": True})
    assert result["failed"]
    assert "DELETE /networks/%s" % NET_ID in result["msg"] and "device or resource busy" in result["msg"]
    assert "connected again: gerrit-db-1" in result["msg"]
    assert host["docker"].requests[-1] == ("POST", "/networks/%s/connect" % NET_ID, {"Container": DB["Id"]})
    assert DB["Id"] in host["docker"].networks[NET_ID]["Containers"]


def test_expected_address_refused(monkeypatch, host):
    links = ai_links() + [link(50, "br0", kind="bridge", addresses=["192.168.1.188/24"])]
    start(host, links, [])
    result = run(monkeypatch, host, {"name": "br0", "expected_address": "192.168.1.188"})
    assert result["failed"] and result["refusals"] == ["expected_address"]
    assert "the node's expected address" in result["msg"]


def test_default_bridge_refused(monkeypatch, host):
    default = network("f" * 64, "bridge", options={"com.docker.network.bridge.name": "docker0",
                                                   "com.docker.network.bridge.default_bridge": "true"})
    start(host, ai_links() + [link(5, "docker0", kind="bridge", addresses=["172.17.0.1/16"])], [default])
    result = run(monkeypatch, host, {"name": "docker0"})
    assert result["failed"] and result["refusals"] == ["default_bridge"] and "--bridge=none" in result["msg"]


def test_not_a_bridge_refused_even_forced(monkeypatch, host):
    start(host, ai_links(), [])
    result = run(monkeypatch, host, {"name": "eno1", "force": True})
    assert result["failed"] and result["refusals"] == ["not_a_bridge"]


def test_orphan_bridge_deleted_with_ip_link(monkeypatch, host):
    ip_state = start(host, ai_links(), [])  # Docker runs but has no such network
    check = run(monkeypatch, host, {"name": BR}, check=True)
    assert check["changed"] and check["removed"]["method"] == "ip-link"
    assert BR in links_now(ip_state)
    result = run(monkeypatch, host, {"name": BR})
    assert result["changed"] and result["removed"]["method"] == "ip-link" and result["removed"]["network_id"] is None
    assert ["link", "delete", "dev", BR] in ip_calls(host["bindir"])
    assert BR not in links_now(ip_state)
    assert not run(monkeypatch, host, {"name": BR})["changed"]


def test_no_docker_engine_uses_ip_link_and_warns(monkeypatch, host):
    ip_state = start(host, ai_links(), networks=None)
    result = run(monkeypatch, host, {"name": BR})
    assert result["changed"] and result["removed"]["method"] == "ip-link"
    assert result["before"]["docker_available"] is False and result["before"]["docker_reason"].startswith("no socket at")
    assert any("comes back at the next Docker start" in w for w in result["warnings"])
    assert BR not in links_now(ip_state)


def test_absent_bridge_unchanged(monkeypatch, host):
    start(host, ai_links(), [])
    result = run(monkeypatch, host, {"name": "br-aaaaaaaaaaaa"})
    assert not result["changed"] and result["removed"] is None and result["before"]["present"] is False


def test_docker_delete_forbidden_is_reported(monkeypatch, host):
    start(host, ai_links(), [network(NET_ID, "gerrit_default")])
    host["docker"].fail[("DELETE", "/networks/")] = (403, "error while removing network: network gerrit_default id %s has active endpoints" % NET_ID)
    result = run(monkeypatch, host, {"name": BR})
    assert result["failed"]
    assert result["msg"].startswith("removing Docker network gerrit_default (cddff8a3b81c) through the Engine API")
    assert "HTTP 403" in result["msg"] and "active endpoints" in result["msg"]
