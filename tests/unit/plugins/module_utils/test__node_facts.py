"""node_facts' one-pass gathering on the seed's node ai."""
import os

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils import _calico_node_discovery
from ansible_collections.meshdoctor.calico.plugins.module_utils._node_facts import gather

from fake_bird import FakeBird
from fake_docker import FakeDocker, docker_routes_seed_ai
from fake_run import FakeRun
from fixtures import fixture_bytes, ip_answers, strip_welcome

TOP = {"schema", "hostname", "collected_at", "duration_s", "interfaces", "routes", "vxlan", "docker", "bird",
       "calico_node", "autodetection", "datastore", "warnings", "bgp_listeners", "probe"}


@pytest.fixture(autouse=True)
def no_probe_traffic(monkeypatch):
    """The seed's addresses are not this machine's: the probe never sends to them in unit tests,
    it records what it was asked (the probe itself is tested on loopback in test__probe.py)."""
    from ansible_collections.meshdoctor.calico.plugins.module_utils import _node_facts
    asked = []

    def fake_probe(addresses, own, port, timeout, established=()):
        asked.append((sorted(addresses), sorted(own), port, timeout, sorted(established)))
        return {"port": port, "timeout": timeout, "peers": {}, "duration_s": 0.0}
    monkeypatch.setattr(_node_facts, "probe_facts", fake_probe)
    return asked


def test_seed_ai(short_tmp, monkeypatch, tmp_path, no_probe_traffic):
    monkeypatch.setattr(_calico_node_discovery, "CALICO_ENV_FILE", str(tmp_path / "none.env"))
    docker = FakeDocker(os.path.join(short_tmp, "docker.sock"), docker_routes_seed_ai())
    bird = FakeBird(os.path.join(short_tmp, "bird.ctl"), replies={
        "show status": strip_welcome(fixture_bytes("bird", "seed_1.6_ai_outage_show_status.txt")),
        "show protocols": strip_welcome(fixture_bytes("bird", "seed_1.6_ai_outage_show_protocols.txt"))})
    run = FakeRun(ip_answers())
    try:
        facts = gather(run, os.path.join(short_tmp, "bird.ctl"), os.path.join(short_tmp, "bird6.ctl"), docker.path,
                       log_lines=100, reach=lambda dest: "192.168.1.188",
                       probe_addresses=["192.168.1.196", "192.168.1.172", "192.168.1.121", "192.168.1.188"],
                       probe_timeout=0.5)
    finally:
        docker.close()
        bird.close()
    assert set(facts) == TOP and facts["schema"] == 1 and facts["warnings"] == []
    assert facts["datastore"] is None                        # not asked: null, never a missing key
    assert facts["collected_at"].endswith("Z") and facts["duration_s"] < 5
    assert [c[:3] for c in run.calls] == [["ip", "-json", "-details"], ["ip", "-json", "-4"]]
    assert facts["bird"]["ipv4"]["router_id"] == "172.19.0.1"
    assert facts["bird"]["ipv6"]["running"] is False
    assert facts["docker"]["bridges"][1]["network_name"] == "gerrit_default"
    assert facts["calico_node"]["calico_version"] == "v3.24.5"
    assert facts["autodetection"]["first_found"]["interface"] == "br-cddff8a3b81c"
    assert facts["routes"][1]["type"] == "blackhole"
    # the controller's expected addresses plus BIRD's peers (ai's BIRD still peers the others)
    targets, own, port, timeout, established = no_probe_traffic[0]
    assert established == []      # ai's sessions are all down in the seed outage: every peer is probed
    assert set(targets) == {"192.168.1.196", "192.168.1.172", "192.168.1.121", "192.168.1.188"}
    assert "192.168.1.188" in own and "172.19.0.1" in own and (port, timeout) == (179, 0.5)
    assert isinstance(facts["bgp_listeners"], list) and facts["probe"]["port"] == 179


def test_probe_off(short_tmp, monkeypatch, tmp_path, no_probe_traffic):
    monkeypatch.setattr(_calico_node_discovery, "CALICO_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.setattr(_calico_node_discovery, "find_calico_process", lambda proc_root="/proc", ignored=None: (None, None))
    facts = gather(FakeRun(ip_answers()), os.path.join(short_tmp, "b"), os.path.join(short_tmp, "b6"),
                   os.path.join(short_tmp, "d"), calico_version="v3.24.5", probe=False, probe_addresses=["10.0.0.1"])
    assert facts["probe"] is None and no_probe_traffic == []


def test_nothing_running(short_tmp, monkeypatch, tmp_path):
    monkeypatch.setattr(_calico_node_discovery, "CALICO_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.setattr(_calico_node_discovery, "find_calico_process", lambda proc_root="/proc", ignored=None: (None, None))
    facts = gather(FakeRun(ip_answers()), os.path.join(short_tmp, "b"), os.path.join(short_tmp, "b6"),
                   os.path.join(short_tmp, "d"), calico_version="v3.24.5")
    assert facts["docker"]["docker_available"] is False and facts["calico_node"]["deployment"] == "none"
    assert facts["calico_node"]["calico_version"] == "v3.24.5"
    assert facts["autodetection"]["first_found"]["interface"] == "br-cddff8a3b81c"
    assert facts["warnings"] == []


def test_override_and_no_ip(short_tmp, monkeypatch, tmp_path):
    monkeypatch.setattr(_calico_node_discovery, "CALICO_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.setattr(_calico_node_discovery, "find_calico_process", lambda proc_root="/proc", ignored=None: (None, None))
    facts = gather(FakeRun({}), os.path.join(short_tmp, "b"), os.path.join(short_tmp, "b6"), os.path.join(short_tmp, "d"))
    assert facts["interfaces"] == [] and facts["routes"] == []
    assert any("could not read interfaces" in w for w in facts["warnings"])
    assert any("Calico version unknown" in w for w in facts["warnings"])


def test_datastore_read_in_the_same_pass(short_tmp, monkeypatch, tmp_path):
    """With datastore options, gather reads the datastore through read_datastore, the function
    datastore_info uses, and its warnings join the facts' warnings."""
    from ansible_collections.meshdoctor.calico.plugins.module_utils import _node_facts

    monkeypatch.setattr(_calico_node_discovery, "CALICO_ENV_FILE", str(tmp_path / "none.env"))
    monkeypatch.setattr(_calico_node_discovery, "find_calico_process", lambda proc_root="/proc", ignored=None: (None, None))
    calls = []
    stored = {"datastore": "etcdv3", "reachable": True, "reason": None, "nodes": {"ai": {}}, "calico_node_pods": []}

    def fake_read(run_command, get_bin_path, options):
        calls.append((get_bin_path("kubectl"), dict(options)))
        return stored, ["etcd endpoint skipped: one"]

    monkeypatch.setattr(_node_facts, "read_datastore", fake_read)
    options = {"datastore": "etcdv3", "etcd_endpoints": ["http://etcd:2379"]}
    facts = gather(FakeRun(ip_answers()), os.path.join(short_tmp, "b"), os.path.join(short_tmp, "b6"),
                   os.path.join(short_tmp, "d"), calico_version="v3.24.5", datastore=options,
                   get_bin_path=lambda name: "/usr/bin/" + name)
    assert facts["datastore"] is stored and calls == [("/usr/bin/kubectl", options)]
    assert facts["warnings"] == ["etcd endpoint skipped: one"]
