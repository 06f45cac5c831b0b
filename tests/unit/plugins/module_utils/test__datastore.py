"""Calico datastore readers: etcd v3 gateway replies recorded from a real etcd 3.4 (Calico's
key layout), replayed by a local HTTP server; kubectl JSON of the seed's cluster."""
import base64
import json

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import (
    AFFINITY_PREFIX,
    NODES_PREFIX,
    datastore_state,
    merge_k8s,
    parse_affinity_key,
    parse_block_affinities,
    parse_etcd,
    parse_etcd_node,
    parse_k8s_nodes,
    parse_range_response,
    pod_entries,
    prefix_range_end,
    range_request,
)

from fake_etcd import FakeEtcd
from fake_run import FakeRun
from fixtures import fixture_json, fixture_text

NODE_KEYS = {"ipv4_address", "ipv4_ipip_tunnel_addr", "ipv4_vxlan_tunnel_addr", "vxlan_tunnel_mac", "ipv6_address",
             "as_number", "internal_ip", "internal_ips", "blocks"}


def recorded():
    return {NODES_PREFIX: fixture_json("datastore", "etcd_range_nodes.json"),
            AFFINITY_PREFIX: fixture_json("datastore", "etcd_range_affinities.json")}


def test_prefix_range():
    assert prefix_range_end("/calico/") == b"/calico0"
    assert prefix_range_end(b"\xff".decode("latin-1")) != b""
    req = range_request("/a/")
    assert base64.b64decode(req["key"]) == b"/a/" and base64.b64decode(req["range_end"]) == b"/a0"


def test_parse_recorded_range_replies():
    kvs = parse_range_response(fixture_text("datastore", "etcd_range_nodes.json"))
    assert [k for k, dummy in kvs] == [NODES_PREFIX + n for n in ("ai", "hp", "master", "ml")]
    assert parse_range_response(fixture_text("datastore", "etcd_range_empty.json")) == []
    assert parse_range_response("not json") == [] and parse_range_response({"kvs": [{"key": "!!"}, 3]}) == []


def test_parse_etcd_seed_outage():
    nodes = parse_etcd(parse_range_response(recorded()[NODES_PREFIX]), parse_range_response(recorded()[AFFINITY_PREFIX]))
    assert list(nodes) == ["ai", "hp", "master", "ml"]
    assert set(nodes["ai"]) == NODE_KEYS
    assert nodes["ai"]["ipv4_address"] == "172.19.0.1/16" and nodes["ai"]["blocks"] == ["172.16.2.0/24"]
    assert nodes["ai"]["ipv4_ipip_tunnel_addr"] == "172.16.2.1" and nodes["ai"]["internal_ip"] == "192.168.1.188"
    assert nodes["hp"]["as_number"] == 64512 and nodes["hp"]["ipv4_vxlan_tunnel_addr"] == "172.16.3.192"
    assert nodes["ml"]["blocks"] == ["172.16.1.0/24"]    # the pendingDeletion affinity is left out


@pytest.mark.parametrize("key,expected", [
    ("/calico/ipam/v2/host/ai/ipv4/block/172.16.2.0-24", ("ai", "172.16.2.0/24")),
    ("/calico/ipam/v2/host/ai/ipv6/block/fd00:10:2::-122", ("ai", "fd00:10:2::/122")),
    ("/calico/ipam/v2/host/ai/ipv4/block/172.16.2.0", (None, None)),
    ("/calico/ipam/v2/assignment/ipv4/block/172.16.2.0-24", (None, None)),
    ("", (None, None))])
def test_affinity_keys(key, expected):
    assert parse_affinity_key(key) == expected


def test_node_resource_garbage():
    assert parse_etcd_node("nope")["ipv4_address"] is None
    assert parse_etcd_node({"spec": {"bgp": "x"}})["blocks"] == []


def test_etcd_over_http():
    server = FakeEtcd(recorded())
    try:
        result, warnings = datastore_state(FakeRun(), datastore="auto", etcd_endpoints=["http://127.0.0.1:9", server.url], timeout=2)
    finally:
        server.close()
    assert (result["datastore"], result["reachable"], result["reason"]) == ("etcdv3", True, None)
    assert result["nodes"]["ai"]["ipv4_address"] == "172.19.0.1/16" and result["calico_node_pods"] == []
    assert len(warnings) == 1 and "127.0.0.1:9" in warnings[0]
    sent = json.loads(server.requests[0][1])
    assert base64.b64decode(sent["key"]).decode() == NODES_PREFIX


def test_etcd_33_gateway_fallback():
    server = FakeEtcd(recorded(), gateway="/v3beta")
    try:
        result, dummy = datastore_state(FakeRun(), datastore="etcdv3", etcd_endpoints=[server.url], timeout=2)
    finally:
        server.close()
    assert result["reachable"] and [r[0] for r in server.requests[:2]] == ["/v3/kv/range", "/v3beta/kv/range"]


def test_etcd_errors_are_answers():
    server = FakeEtcd(recorded(), status=503)
    try:
        result, dummy = datastore_state(FakeRun(), datastore="etcdv3", etcd_endpoints=[server.url], timeout=2)
    finally:
        server.close()
    assert result["reachable"] is False and "HTTP 503" in result["reason"]
    result, dummy = datastore_state(FakeRun(), datastore="etcdv3", etcd_endpoints=[], timeout=1)
    assert result["reachable"] is False and "etcd_endpoints" in result["reason"]


def test_etcd_tls_files_missing():
    result, dummy = datastore_state(FakeRun(), datastore="etcdv3", etcd_endpoints=["https://127.0.0.1:9"],
                                    etcd_ca_cert="/nonexistent/ca.crt", timeout=1)
    assert result["reachable"] is False and result["reason"]


# ------------------------------------------------------------------ Kubernetes
def test_k8s_nodes_and_affinities():
    nodes = parse_k8s_nodes(fixture_text("datastore", "kubectl_get_nodes.json"))
    assert nodes["ai"]["ipv4_address"] == "172.19.0.1/16" and nodes["ai"]["internal_ip"] == "192.168.1.188"
    assert nodes["ai"]["internal_ips"] == ["192.168.1.188"]
    assert nodes["ai"]["ipv4_ipip_tunnel_addr"] == "172.16.2.1" and nodes["ai"]["as_number"] is None
    aff = parse_block_affinities(fixture_text("datastore", "kubectl_get_blockaffinities.json"))
    assert aff == {"master": ["172.16.0.0/24"], "ml": ["172.16.1.0/24"], "ai": ["172.16.2.0/24"], "hp": ["172.16.3.0/24"]}
    merged = merge_k8s(nodes, dict(aff, ghost=["172.16.7.0/24"]))
    assert merged["ai"]["blocks"] == ["172.16.2.0/24"] and merged["ghost"]["ipv4_address"] is None


def test_kubernetes_via_kubectl():
    run = FakeRun({
        ("/usr/bin/kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", "nodes"): (0, fixture_text("datastore", "kubectl_get_nodes.json"), ""),
        ("/usr/bin/kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", "blockaffinities.crd.projectcalico.org"):
            (0, fixture_text("datastore", "kubectl_get_blockaffinities.json"), ""),
        ("/usr/bin/kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", "pods"):
            (0, fixture_text("datastore", "kubectl_get_pods_calico_node.json"), ""),
    })
    result, warnings = datastore_state(run, kubeconfig="/etc/kubernetes/admin.conf", kubectl_path="/usr/bin/kubectl")
    assert (result["datastore"], result["reachable"], warnings) == ("kubernetes", True, [])
    assert list(result["nodes"]) == ["ai", "hp", "master", "ml"]
    assert result["nodes"]["ai"]["blocks"] == ["172.16.2.0/24"]
    pods = result["calico_node_pods"]
    assert set(pods[0]) == {"name", "namespace", "node", "ready", "phase", "env", "image"}
    assert [(p["node"], p["ready"]) for p in pods] == [("ai", True), ("hp", True), ("master", True), ("ml", False)]


def test_kubernetes_partial_and_unreachable():
    run = FakeRun({("kubectl", "get", "nodes"): (0, fixture_text("datastore", "kubectl_get_nodes.json"), ""),
                   ("kubectl", "get", "blockaffinities.crd.projectcalico.org"):
                       (1, "", 'error: the server doesn\'t have a resource type "blockaffinities"')})
    result, warnings = datastore_state(run, datastore="kubernetes")
    assert result["reachable"] and len(warnings) == 2 and "blockaffinities" in warnings[0]
    down = FakeRun({("kubectl",): (1, "", "The connection to the server 192.168.1.196:6443 was refused")})
    result, dummy = datastore_state(down, datastore="kubernetes")
    assert result["reachable"] is False and "was refused" in result["reason"]
    result, dummy = datastore_state(FakeRun({("kubectl",): (0, "<html>", "")}), datastore="kubernetes")
    assert result["reachable"] is False and "no JSON" in result["reason"]


def test_auto_without_anything():
    result, dummy = datastore_state(FakeRun(), datastore="auto")
    assert result == {"datastore": None, "reachable": False,
                      "reason": "datastore=auto: no etcd_endpoints given and no kubectl found", "nodes": {}, "calico_node_pods": []}


def test_pod_entries_garbage():
    assert pod_entries("") == [] and pod_entries('{"kind": "Pod", "metadata": {"name": "x"}}')[0]["name"] == "x"


def test_k8s_dual_stack_internal_ips_keep_their_order():
    # kubernetes-internal-ip takes the first InternalIP of its family (autodetection_methods.go:170-181@v3.24.5)
    text = json.dumps({"items": [{"metadata": {"name": "ai"}, "status": {"addresses": [
        {"type": "Hostname", "address": "ai"}, {"type": "InternalIP", "address": "192.168.1.188"},
        {"type": "InternalIP", "address": "fd99::1"}]}}]})
    node = parse_k8s_nodes(text)["ai"]
    assert node["internal_ip"] == "192.168.1.188" and node["internal_ips"] == ["192.168.1.188", "fd99::1"]
