"""datastore_node against a real etcd (Debian's etcd-server, on loopback ports of this machine,
seeded with Calico's key layout the way the lab's calico-node writes it): check, real, again,
check-again; and the Kubernetes path against the replaying fake kubectl."""
import json
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from ansible_collections.meshdoctor.calico.plugins.modules import datastore_node

from run_module import run_module

NODES = "/calico/resources/v3/projectcalico.org/nodes/"
ETCD = shutil.which("etcd")


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope="module")
def etcd():
    if not ETCD or not shutil.which("etcdctl"):
        pytest.skip("etcd-server/etcd-client not installed")
    data = tempfile.mkdtemp(prefix="md-unit-etcd-")
    client, peer = free_port(), free_port()
    url = "http://127.0.0.1:%d" % client
    proc = subprocess.Popen([ETCD, "--name", "unit", "--data-dir", data, "--listen-client-urls", url,
                             "--advertise-client-urls", url, "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                             "--initial-cluster", "unit=http://127.0.0.1:%d" % peer, "--log-level", "error"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        if subprocess.run(["etcdctl", "--endpoints", url, "endpoint", "health"], capture_output=True,
                          check=False).returncode == 0:
            break
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(data, ignore_errors=True)


def ctl(url, *args):
    return subprocess.run(["etcdctl", "--endpoints", url] + list(args), capture_output=True, text=True, check=True).stdout


def seed(url, name, ip, block, allocated=False):
    ctl(url, "put", NODES + name, json.dumps({"kind": "Node", "apiVersion": "projectcalico.org/v3",
                                             "metadata": {"name": name}, "spec": {"bgp": {"ipv4Address": ip}}}))
    ctl(url, "put", "/calico/ipam/v2/host/%s/ipv4/block/%s" % (name, block.replace("/", "-")),
        json.dumps({"state": "confirmed", "deleted": False}))
    ctl(url, "put", "/calico/ipam/v2/assignment/ipv4/block/%s" % block.replace("/", "-"),
        json.dumps({"cidr": block, "affinity": "host:" + name, "allocations": [0 if allocated else None, None]}))


def keys(url):
    return sorted(ctl(url, "get", "--prefix", "/calico", "--keys-only").split())


def run(monkeypatch, args, check=False):
    return run_module(monkeypatch, datastore_node.main, args, check_mode=check, diff=True)


def test_etcd_check_real_again_check_again(monkeypatch, etcd):
    seed(etcd, "hp", "192.168.1.172/24", "172.16.3.0/24")
    seed(etcd, "ml", "192.168.1.121/24", "172.16.1.0/24")
    args = {"name": "hp", "datastore": "etcdv3", "etcd_endpoints": ["http://127.0.0.1:9", etcd], "timeout": 2}
    before = keys(etcd)
    check = run(monkeypatch, args, check=True)
    assert check["changed"] and keys(etcd) == before
    assert {k: v for k, v in check["diff"]["before"].items() if k != "keys"} == {
        "node": "hp", "exists": True, "ipv4_address": "192.168.1.172/24", "blocks": ["172.16.3.0/24"]}
    assert NODES + "hp" in check["diff"]["before"]["keys"] and check["diff"]["after"]["keys"] == []
    assert check["diff"]["after"]["exists"] is False
    real = run(monkeypatch, args)
    assert real["changed"] and sorted(real["deleted"]) == sorted(
        [NODES + "hp", "/calico/ipam/v2/host/hp/ipv4/block/172.16.3.0-24",
         "/calico/ipam/v2/assignment/ipv4/block/172.16.3.0-24"])
    assert not any("/hp" in k or "172.16.3.0" in k for k in keys(etcd))
    assert NODES + "ml" in keys(etcd), "another node was touched"
    again = run(monkeypatch, args)
    assert not again["changed"] and again["deleted"] == []
    assert not run(monkeypatch, args, check=True)["changed"]


def test_etcd_block_with_addresses_is_kept(monkeypatch, etcd):
    seed(etcd, "old", "192.168.1.50/24", "172.16.9.0/24", allocated=True)
    got = run(monkeypatch, {"name": "old", "datastore": "etcdv3", "etcd_endpoints": [etcd]})
    assert got["changed"] and got["blocks"] == [] and got["blocks_kept"] == ["172.16.9.0/24"]
    assert "/calico/ipam/v2/assignment/ipv4/block/172.16.9.0-24" in keys(etcd)


def test_unreachable_etcd_and_bad_names(monkeypatch):
    got = run(monkeypatch, {"name": "hp", "etcd_endpoints": ["http://127.0.0.1:9"], "timeout": 1})
    assert got["failed"] and "no etcd endpoint answered" in got["msg"]
    assert run(monkeypatch, {"name": "a/b", "etcd_endpoints": ["http://x"]})["failed"]
    assert "needs etcd_endpoints" in run(monkeypatch, {"name": "hp", "datastore": "etcdv3"})["msg"]


def test_kubernetes_path(monkeypatch, tmp_path):
    from fake_kubectl import calls, install
    nodes = tmp_path / "nodes.json"
    nodes.write_text(json.dumps({"items": [{"metadata": {"name": "hp", "annotations": {
        "projectcalico.org/IPv4Address": "192.168.1.172/24"}}}, {"metadata": {"name": "ml"}}]}))
    affinities = tmp_path / "aff.json"
    affinities.write_text(json.dumps({"items": [
        {"metadata": {"name": "hp-172-16-3-0-24"}, "spec": {"node": "hp", "cidr": "172.16.3.0/24"}},
        {"metadata": {"name": "ml-172-16-1-0-24"}, "spec": {"node": "ml", "cidr": "172.16.1.0/24"}}]}))
    prog = install(tmp_path, [
        {"match": ["get", "nodes"], "replies": [{"file": str(nodes)}]},
        {"match": ["get", "blockaffinities.crd.projectcalico.org"], "replies": [{"file": str(affinities)}]},
        {"match": ["delete"], "replies": [{"rc": 0}]},
    ])
    args = {"name": "hp", "datastore": "kubernetes", "kubectl": prog}
    check = run(monkeypatch, args, check=True)
    assert check["changed"] and not [c for c in calls(tmp_path) if c[0] == "delete"]
    real = run(monkeypatch, args)
    assert real["changed"] and real["blocks"] == ["172.16.3.0/24"]
    deletes = [c for c in calls(tmp_path) if c[0] == "delete"]
    assert deletes == [["delete", "blockaffinities.crd.projectcalico.org", "--ignore-not-found", "hp-172-16-3-0-24"],
                       ["delete", "node", "hp", "--ignore-not-found"]]
