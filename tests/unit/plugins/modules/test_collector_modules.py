"""The read-only collector modules end to end: arguments in, the JSON they exit with out."""
import os
import shutil
import tempfile

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils import _calico_node_discovery
from ansible_collections.meshdoctor.calico.plugins.modules import (
    bird_info,
    calico_node_info,
    datastore_info,
    docker_bridge_info,
    interface_info,
    node_facts,
    route_info,
)

from fake_bird import FakeBird
from fake_docker import FakeDocker, docker_routes_seed_ai
from fake_etcd import FakeEtcd
from fake_run import FakeRun
from fixtures import fixture_bytes, fixture_json, fixture_text, ip_answers, recorded_etcd, strip_welcome
from run_module import run_module

IP = {"ip": "ip"}


@pytest.fixture
def sock_dir():
    path = tempfile.mkdtemp(prefix="md-mt-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No /etc/calico/calico.env and no calico-node process of this machine leaks in."""
    monkeypatch.setattr(_calico_node_discovery, "CALICO_ENV_FILE", str(tmp_path / "calico.env"))
    monkeypatch.setattr(_calico_node_discovery, "find_calico_process", lambda proc_root="/proc", ignored=None: (None, None))
    return tmp_path


@pytest.fixture
def seed_ai_node(sock_dir, isolated):
    docker = FakeDocker(os.path.join(sock_dir, "docker.sock"), docker_routes_seed_ai())
    bird = FakeBird(os.path.join(sock_dir, "bird.ctl"), replies={
        "show status": strip_welcome(fixture_bytes("bird", "seed_1.6_ai_outage_show_status.txt")),
        "show protocols": strip_welcome(fixture_bytes("bird", "seed_1.6_ai_outage_show_protocols.txt"))})
    yield {"docker_socket": docker.path, "bird_socket": bird.path, "bird6_socket": os.path.join(sock_dir, "bird6.ctl")}
    docker.close()
    bird.close()


# ------------------------------------------------------------------ node_facts
def test_node_facts_seed_ai(monkeypatch, seed_ai_node):
    result = run_module(monkeypatch, node_facts.main, dict(seed_ai_node, log_lines=50), run_command=FakeRun(ip_answers()),
                        bin_paths=IP, check_mode=True)
    assert result["changed"] is False and "failed" not in result and "warnings" not in result
    assert set(result) == {"changed", "ansible_facts"}
    facts = result["ansible_facts"]["meshdoctor"]
    assert facts["bird"]["ipv4"]["router_id"] == "172.19.0.1"
    assert [p["bgp_state"] for p in facts["bird"]["ipv4"]["protocols"] if p["proto"] == "BGP"] == ["Connect", "Active", "Active"]
    seed = [b for b in facts["docker"]["bridges"] if b["name"] == "br-cddff8a3b81c"][0]
    assert (seed["network_name"], seed["subnets"], seed["container_count"]) == ("gerrit_default", ["172.19.0.0/16"], 0)
    assert facts["calico_node"]["deployment"] == "docker" and facts["calico_node"]["calico_version"] == "v3.24.5"
    prediction = facts["autodetection"]
    assert prediction["first_found"]["interface"] == "br-cddff8a3b81c"
    assert [c["interface"] for c in prediction["candidates"] if not c["excluded_by"]] == ["br-cddff8a3b81c", "eno1"]


def test_node_facts_warns_and_overrides(monkeypatch, isolated, sock_dir):
    args = {"docker_socket": os.path.join(sock_dir, "d.sock"), "bird_socket": os.path.join(sock_dir, "b"),
            "bird6_socket": os.path.join(sock_dir, "b6"), "calico_version": "v3.25.0", "route_tables": ["main", "254"]}
    answers = ip_answers()
    answers[("ip", "-json", "-4", "route", "show", "table", "254")] = (0, "[]", "")
    result = run_module(monkeypatch, node_facts.main, args, run_command=FakeRun(answers), bin_paths=IP)
    facts = result["ansible_facts"]["meshdoctor"]
    assert facts["autodetection"]["first_found"]["interface"] == "eno1"
    assert facts["docker"]["docker_available"] is False and facts["bird"]["ipv4"]["running"] is False
    assert "warnings" not in result


def test_node_facts_version_mismatch_is_a_warning(monkeypatch, seed_ai_node):
    args = dict(seed_ai_node, calico_version="v3.25.0")
    result = run_module(monkeypatch, node_facts.main, args, run_command=FakeRun(ip_answers()), bin_paths=IP)
    facts = result["ansible_facts"]["meshdoctor"]
    assert result["warnings"] == facts["warnings"] == [
        "calico_version=v3.25.0 given, calico-node reports v3.24.5: predicting with v3.25.0"]
    assert facts["autodetection"]["calico_version"] == "v3.25.0" and facts["calico_node"]["calico_version"] == "v3.24.5"


def test_node_facts_reads_the_datastore_when_asked(monkeypatch, seed_ai_node):
    """The datastore option: node_facts returns what datastore_info returns, as the datastore fact."""
    assert node_facts_result(monkeypatch, seed_ai_node)["datastore"] is None
    server = FakeEtcd(recorded_etcd())
    try:
        options = {"datastore": "etcdv3", "etcd_endpoints": [server.url], "timeout": 2}
        facts = node_facts_result(monkeypatch, dict(seed_ai_node, datastore=options))
        alone = run_module(monkeypatch, datastore_info.main, options, bin_paths={})
    finally:
        server.close()
    stored = facts["datastore"]
    assert (stored["datastore"], stored["reachable"]) == ("etcdv3", True)
    assert stored["nodes"]["ai"]["ipv4_address"] == "172.19.0.1/16" and stored["nodes"]["ai"]["blocks"] == ["172.16.2.0/24"]
    assert stored == {k: alone[k] for k in ("datastore", "reachable", "reason", "nodes", "calico_node_pods")}
    assert facts["bird"]["ipv4"]["router_id"] == "172.19.0.1"          # and everything else as usual


def test_node_facts_datastore_kubernetes_and_unreachable(monkeypatch, seed_ai_node):
    answers = ip_answers()
    answers.update({("/snap/bin/kubectl", "get", "nodes"): (0, fixture_text("datastore", "kubectl_get_nodes.json"), ""),
                    ("/snap/bin/kubectl", "get", "blockaffinities.crd.projectcalico.org"):
                        (0, fixture_text("datastore", "kubectl_get_blockaffinities.json"), ""),
                    ("/snap/bin/kubectl", "get", "pods"):
                        (0, fixture_text("datastore", "kubectl_get_pods_calico_node.json"), "")})
    # Empty strings (the role's defaults) count as not given: auto finds kubectl on PATH.
    options = {"datastore": "auto", "etcd_endpoints": [], "etcd_ca_cert": "", "etcd_cert": "", "etcd_key": "",
               "kubectl": "", "kubeconfig": "", "timeout": 30}
    result = run_module(monkeypatch, node_facts.main, dict(seed_ai_node, datastore=options), run_command=FakeRun(answers),
                        bin_paths=dict(IP, kubectl="/snap/bin/kubectl"))
    stored = result["ansible_facts"]["meshdoctor"]["datastore"]
    assert stored["datastore"] == "kubernetes" and stored["nodes"]["ml"]["blocks"] == ["172.16.1.0/24"]
    assert len(stored["calico_node_pods"]) == 4

    # Unreachable is a fact, never a failure of node_facts.
    options = {"datastore": "etcdv3", "etcd_endpoints": ["http://127.0.0.1:9"], "timeout": 1}
    facts = node_facts_result(monkeypatch, dict(seed_ai_node, datastore=options))
    assert facts["datastore"]["reachable"] is False and "127.0.0.1:9" in facts["datastore"]["reason"]

    result = run_module(monkeypatch, node_facts.main, dict(seed_ai_node, datastore={"etcd_key": "/k"}),
                        run_command=FakeRun(ip_answers()), bin_paths=IP)
    assert result["failed"] and "etcd_cert" in result["msg"]
    result = run_module(monkeypatch, node_facts.main, dict(seed_ai_node, datastore={"datastore": "consul"}),
                        run_command=FakeRun(ip_answers()), bin_paths=IP)
    assert result["failed"] and "consul" in result["msg"]


def node_facts_result(monkeypatch, args):
    result = run_module(monkeypatch, node_facts.main, args, run_command=FakeRun(ip_answers()), bin_paths=IP)
    assert "failed" not in result, result
    return result["ansible_facts"]["meshdoctor"]


def test_node_facts_bad_option(monkeypatch, isolated):
    result = run_module(monkeypatch, node_facts.main, {"log_lines": -1}, run_command=FakeRun(ip_answers()), bin_paths=IP)
    assert result["failed"] and "log_lines" in result["msg"]


# ------------------------------------------------------------------ interface_info / route_info
def test_interface_info(monkeypatch):
    result = run_module(monkeypatch, interface_info.main, {}, run_command=FakeRun(ip_answers()), bin_paths=IP)
    assert [i["name"] for i in result["interfaces"]][-2:] == ["br-cddff8a3b81c", "veth4c1d2e3"]


def test_interface_info_failures(monkeypatch):
    result = run_module(monkeypatch, interface_info.main, {}, run_command=FakeRun({}), bin_paths={})
    assert result["failed"] and "iproute2" in result["msg"]
    result = run_module(monkeypatch, interface_info.main, {}, run_command=FakeRun({}, default=(1, "", "Cannot open netlink socket")),
                        bin_paths=IP)
    assert result["failed"] and "Cannot open netlink socket" in result["msg"]


def test_route_info(monkeypatch):
    run = FakeRun({("ip", "-json", "-4", "route", "show", "table", "main"): (0, fixture_text("iproute", "route4_seed_ml.json"), ""),
                   ("ip", "-json", "-6", "route", "show", "table", "main"): (0, fixture_text("iproute", "route6_a.json"), "")})
    result = run_module(monkeypatch, route_info.main, {"family": "all"}, run_command=run, bin_paths=IP)
    assert {r["family"] for r in result["routes"]} == {"ipv4", "ipv6"}
    ipip = [r for r in result["routes"] if r["dev"] == "tunl0"]
    assert [r["flags"] for r in ipip] == [["onlink"], ["onlink"]]


def test_route_info_failures(monkeypatch):
    run = FakeRun({}, default=(255, "", 'Error: argument "x" is wrong: table id value is invalid'))
    result = run_module(monkeypatch, route_info.main, {"tables": ["x"]}, run_command=run, bin_paths=IP)
    assert result["failed"] and "table id value is invalid" in result["msg"]
    result = run_module(monkeypatch, route_info.main, {"family": "ipx"}, run_command=run, bin_paths=IP)
    assert result["failed"] and "family" in result["msg"]


# ------------------------------------------------------------------ docker_bridge_info
def test_docker_bridge_info(monkeypatch, sock_dir):
    docker = FakeDocker(os.path.join(sock_dir, "docker.sock"), docker_routes_seed_ai())
    try:
        result = run_module(monkeypatch, docker_bridge_info.main, {"docker_socket": docker.path},
                            run_command=FakeRun(ip_answers()), bin_paths=IP)
    finally:
        docker.close()
    assert result["docker_available"] and result["docker_version"] == "20.10.24+dfsg1"
    assert [b["name"] for b in result["bridges"]] == ["docker0", "br-cddff8a3b81c"]


def test_docker_bridge_info_without_docker(monkeypatch, sock_dir):
    path = os.path.join(sock_dir, "none.sock")
    result = run_module(monkeypatch, docker_bridge_info.main, {"docker_socket": path}, run_command=FakeRun(ip_answers()), bin_paths=IP)
    assert "failed" not in result and result["docker_available"] is False
    assert result["docker_reason"] == "no socket at " + path
    assert result["bridges"][1]["orphaned"] is None


# ------------------------------------------------------------------ bird_info
def test_bird_info(monkeypatch, sock_dir):
    bird = FakeBird(os.path.join(sock_dir, "bird.ctl"), welcome=fixture_bytes("bird", "bird_1.6.8_a_welcome.bin"), replies={
        "show status": fixture_bytes("bird", "bird_1.6.8_a_show_status.bin"),
        "show protocols": fixture_bytes("bird", "bird_1.6.8_a_show_protocols.bin")})
    bird6 = FakeBird(os.path.join(sock_dir, "bird6.ctl"), welcome=fixture_bytes("bird", "bird6_1.6.8_a_welcome.bin"), replies={
        "show status": fixture_bytes("bird", "bird6_1.6.8_a_show_status.bin"),
        "show protocols": fixture_bytes("bird", "bird6_1.6.8_a_show_protocols.bin")})
    try:
        result = run_module(monkeypatch, bird_info.main, {"socket": bird.path, "socket6": bird6.path, "timeout": 1}, check_mode=True, bin_paths={})
    finally:
        bird.close()
        bird6.close()
    assert result["ipv4"]["router_id"] == "10.99.0.1" and result["ipv6"]["running"]
    assert result["ipv6"]["protocols"][4]["peer_address"] == "fd99::2"
    assert result["ipv4"]["protocols"][5]["last_error"] == "Socket: Connection reset by peer"


def test_bird_info_not_running(monkeypatch, sock_dir):
    result = run_module(monkeypatch, bird_info.main, {"socket": os.path.join(sock_dir, "x"), "socket6": os.path.join(sock_dir, "y")}, bin_paths={})
    assert "failed" not in result and result["ipv4"]["running"] is False and result["ipv4"]["reason"].startswith("no socket at")
    result = run_module(monkeypatch, bird_info.main, {"timeout": 0}, bin_paths={})
    assert result["failed"]


# ------------------------------------------------------------------ calico_node_info
def test_calico_node_info_kubectl(monkeypatch, isolated):
    run = FakeRun({("/usr/bin/kubectl", "get", "pods"): (0, fixture_text("calico_node", "kubectl_get_pods_ai.json"), ""),
                   ("/usr/bin/kubectl", "logs"): (0, fixture_text("calico_node", "seed_ai_outage.log"), "")})
    result = run_module(monkeypatch, calico_node_info.main, {"kubectl": "/usr/bin/kubectl", "node_name": "ai",
                                                             "docker_socket": str(isolated / "none.sock")}, run_command=run, bin_paths={})
    assert (result["deployment"], result["detected_interface"], result["calico_version"]) == ("kubernetes", "br-cddff8a3b81c", "v3.24.5")
    assert set(result) == {"changed", "deployment", "running", "reason", "container_id", "image", "calico_version", "env",
                           "autodetection_method", "log_evidence", "detected_address", "detected_interface", "exit_reason", "process"}


def test_calico_node_info_warns_when_kubectl_fails(monkeypatch, isolated):
    run = FakeRun({}, default=(1, "", "error: You must be logged in to the server (Unauthorized)"))
    result = run_module(monkeypatch, calico_node_info.main, {"kubectl": "kubectl", "docker_socket": str(isolated / "none.sock")},
                        run_command=run, bin_paths={})
    assert result["deployment"] == "none" and "Unauthorized" in result["warnings"][0]


# ------------------------------------------------------------------ datastore_info
def test_datastore_info_etcd(monkeypatch):
    server = FakeEtcd(recorded_etcd())
    try:
        result = run_module(monkeypatch, datastore_info.main, {"etcd_endpoints": [server.url], "timeout": 2}, bin_paths={})
    finally:
        server.close()
    assert (result["datastore"], result["reachable"]) == ("etcdv3", True)
    assert result["nodes"]["ai"]["ipv4_address"] == "172.19.0.1/16"


def test_datastore_info_unreachable(monkeypatch):
    args = {"datastore": "etcdv3", "etcd_endpoints": ["http://127.0.0.1:9"], "timeout": 1}
    result = run_module(monkeypatch, datastore_info.main, args, bin_paths={})
    assert "failed" not in result and result["reachable"] is False and "127.0.0.1:9" in result["reason"]
    result = run_module(monkeypatch, datastore_info.main, dict(args, fail_on_unreachable=True), bin_paths={})
    assert result["failed"] and result["msg"].startswith("Calico datastore (etcdv3) unreachable")


def test_datastore_info_kubernetes_auto(monkeypatch):
    run = FakeRun({("/snap/bin/kubectl", "get", "nodes"): (0, fixture_text("datastore", "kubectl_get_nodes.json"), ""),
                   ("/snap/bin/kubectl", "get", "blockaffinities.crd.projectcalico.org"):
                       (0, fixture_text("datastore", "kubectl_get_blockaffinities.json"), ""),
                   ("/snap/bin/kubectl", "get", "pods"): (0, fixture_text("datastore", "kubectl_get_pods_calico_node.json"), "")})
    result = run_module(monkeypatch, datastore_info.main, {}, run_command=run, bin_paths={"kubectl": "/snap/bin/kubectl"})
    assert result["datastore"] == "kubernetes" and result["nodes"]["ml"]["blocks"] == ["172.16.1.0/24"]
    assert len(result["calico_node_pods"]) == 4
    result = run_module(monkeypatch, datastore_info.main, {}, bin_paths={})
    assert result["reachable"] is False and "no kubectl found" in result["reason"]
    result = run_module(monkeypatch, datastore_info.main, {"etcd_key": "/k"}, bin_paths={})
    assert result["failed"] and "etcd_cert" in result["msg"]


def test_recorded_fixture_sanity():
    assert fixture_json("docker", "version.json")["ApiVersion"] == "1.41"
