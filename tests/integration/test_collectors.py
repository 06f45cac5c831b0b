"""The collectors on the lab: node_facts on every host of the seed topology, healthy and after
`lab outage ai`, and datastore_info against the lab's etcd (etcdv3) from master - alone, and
inside node_facts' run (its datastore option), as the diagnose role reads it."""
import json
import re

import pytest

pytestmark = pytest.mark.lab

SEED = {"master": ("192.168.1.196", "eth0", "172.16.0.0/24"), "ai": ("192.168.1.188", "eno1", "172.16.2.0/24"),
        "hp": ("192.168.1.172", "eth0", "172.16.3.0/24"), "ml": ("192.168.1.121", "eth0", "172.16.1.0/24")}
BRIDGE = re.compile(r"^br-[0-9a-f]{12}$")
JSON_OUTPUT = ["env", "ANSIBLE_STDOUT_CALLBACK=minimal", "ANSIBLE_CALLBACK_RESULT_FORMAT=json"]


def run_json(lab_shell, inventory, pattern, module, args=None):
    """Run an ad-hoc module with JSON output -> {host: result}."""
    cmd = JSON_OUTPUT + ["ansible", pattern, "-i", inventory, "-m", module]
    if args is not None:
        cmd += ["-a", json.dumps(args) if isinstance(args, dict) else args]
    proc = lab_shell(cmd)
    results = {}
    for match in re.finditer(r"^(\S+) \| (\w+)[^\n]*=> (\{.*?^\})", proc.stdout, re.M | re.S):
        results[match.group(1)] = dict(json.loads(match.group(3)), _status=match.group(2))
    assert results, "no results from %s:\n%s%s" % (module, proc.stdout, proc.stderr)
    return results


def node_facts(lab_shell, inventory, pattern="all"):
    results = run_json(lab_shell, inventory, pattern, "meshdoctor.calico.node_facts")
    for host, result in results.items():
        assert result["_status"] == "SUCCESS", (host, result)
    return dict((host, r["ansible_facts"]["meshdoctor"]) for host, r in results.items())


def datastore(lab_shell, inventory):
    args = {"datastore": "etcdv3", "etcd_endpoints": "{{ meshdoctor_etcd_endpoints }}", "fail_on_unreachable": True}
    result = run_json(lab_shell, inventory, "master", "meshdoctor.calico.datastore_info", args)["master"]
    assert result["_status"] == "SUCCESS" and result["reachable"], result
    return result


def node_facts_datastore(lab_shell, inventory):
    args = {"datastore": {"datastore": "etcdv3", "etcd_endpoints": "{{ meshdoctor_etcd_endpoints }}"}}
    result = run_json(lab_shell, inventory, "master", "meshdoctor.calico.node_facts", args)["master"]
    assert result["_status"] == "SUCCESS", result
    return result["ansible_facts"]["meshdoctor"]


def gerrit_bridge(facts):
    found = [b for b in facts["docker"]["bridges"] if b["network_name"] == "gerrit_default"]
    assert len(found) == 1, facts["docker"]
    return found[0]


def test_node_facts_healthy_mesh(healthy_seed_lab, lab_shell):
    facts = node_facts(lab_shell, healthy_seed_lab.inventory)
    assert sorted(facts) == sorted(SEED)
    for host, (ip, nic, block) in SEED.items():
        node = facts[host]
        assert node["schema"] == 1 and node["hostname"] == host and node["warnings"] == [], (host, node["warnings"])
        assert node["duration_s"] < 2
        names = dict((i["name"], i) for i in node["interfaces"])
        assert [a["cidr"] for a in names[nic]["ipv4"]] == [ip + "/24"]
        # own block blackholed by BIRD, every other block routed by BIRD via its owner
        routes = dict((r["dst"], r) for r in node["routes"])
        assert (routes[block]["type"], routes[block]["protocol"]) == ("blackhole", "bird")
        for other, (other_ip, _nic, other_block) in SEED.items():
            if other != host:
                assert (routes[other_block]["gateway"], routes[other_block]["protocol"]) == (other_ip, "bird"), (host, other)
        bird = node["bird"]["ipv4"]
        assert bird["running"] and bird["router_id"] == ip and bird["version"].startswith("1.6")
        mesh = [p for p in bird["protocols"] if p["peer_type"] == "mesh"]
        assert sorted(p["peer_address"] for p in mesh) == sorted(v[0] for k, v in SEED.items() if k != host)
        assert all(p["bgp_state"] == "Established" for p in mesh), mesh
        calico = node["calico_node"]
        assert (calico["deployment"], calico["running"], calico["calico_version"]) == ("docker", True, "v3.15.1")
        assert calico["detected_address"] == ip + "/24" and calico["detected_interface"] == nic
        assert node["docker"]["docker_available"] is True


def test_ai_bridge_and_prediction(healthy_seed_lab, lab_shell):
    ai = node_facts(lab_shell, healthy_seed_lab.inventory, "ai")["ai"]
    bridge = gerrit_bridge(ai)
    assert BRIDGE.match(bridge["name"]) and bridge["ipv4"] == ["172.19.0.1/16"]
    assert (bridge["subnets"], bridge["container_count"], bridge["containers"], bridge["orphaned"]) == (
        ["172.19.0.0/16"], 0, [], False)
    eno1 = [i for i in ai["interfaces"] if i["name"] == "eno1"][0]
    assert bridge["index"] > eno1["index"]
    prediction = ai["autodetection"]
    assert (prediction["calico_version"], prediction["method"]) == ("v3.15.1", "first-found")
    # first-found on v3.15.1 (no ^br-.* exclusion) walks the newer bridge first and takes it over eno1
    assert prediction["first_found"] == {"interface": bridge["name"], "address": "172.19.0.1/16", "reason": None,
                                         "failure": None}
    walk = [(c["interface"], c["excluded_by"]) for c in prediction["candidates"]]
    assert walk.index((bridge["name"], None)) < walk.index(("eno1", None))


def test_datastore_healthy(healthy_seed_lab, lab_shell):
    result = datastore(lab_shell, healthy_seed_lab.inventory)
    assert result["datastore"] == "etcdv3"
    for host, (ip, _nic, block) in SEED.items():
        assert result["nodes"][host]["ipv4_address"] == ip + "/24"
        assert result["nodes"][host]["blocks"] == [block]


def test_node_facts_reads_the_datastore_in_the_same_run(healthy_seed_lab, lab_shell):
    facts = node_facts_datastore(lab_shell, healthy_seed_lab.inventory)
    alone = datastore(lab_shell, healthy_seed_lab.inventory)
    stored = facts["datastore"]
    assert (stored["datastore"], stored["reachable"]) == ("etcdv3", True), stored
    assert stored["nodes"] == alone["nodes"] and stored["calico_node_pods"] == alone["calico_node_pods"]
    assert facts["hostname"] == "master" and facts["bird"]["ipv4"]["running"]     # and the node's facts as usual
    assert facts["warnings"] == [] and facts["duration_s"] < 2
    # Without the option, no datastore is read.
    assert node_facts(lab_shell, healthy_seed_lab.inventory, "master")["master"]["datastore"] is None


def test_node_facts_after_outage(seed_lab_outage, lab_shell):
    facts = node_facts(lab_shell, seed_lab_outage.inventory)
    ai = facts["ai"]
    bridge = gerrit_bridge(ai)
    assert ai["bird"]["ipv4"]["router_id"] == "172.19.0.1"
    assert ai["calico_node"]["detected_interface"] == bridge["name"]
    assert ai["calico_node"]["detected_address"] == "172.19.0.1/16"
    newest = [e for e in ai["calico_node"]["log_evidence"] if e["kind"] == "autodetected"][-1]
    assert "Using autodetected IPv4 address on interface %s: 172.19.0.1/16" % bridge["name"] in newest["line"]
    assert newest["method"] == "first-found"
    for host in ("master", "hp", "ml"):
        peers = dict((p["peer_address"], p) for p in facts[host]["bird"]["ipv4"]["protocols"] if p["peer_type"] == "mesh")
        assert "172.19.0.1" in peers and peers["172.19.0.1"]["bgp_state"] != "Established"
        assert "192.168.1.188" not in peers


def test_datastore_after_outage(seed_lab_outage, lab_shell):
    result = datastore(lab_shell, seed_lab_outage.inventory)
    assert result["nodes"]["ai"]["ipv4_address"] == "172.19.0.1/16"
    assert result["nodes"]["ai"]["blocks"] == ["172.16.2.0/24"]
