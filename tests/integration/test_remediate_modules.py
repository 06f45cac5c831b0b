"""The three mutating modules one by one against the seed lab after `lab outage ai`, in the
order an operator (or roles/remediate) uses them: remove the stray bridge, pin the
autodetection method, cycle calico-node. Each runs check -> real -> again -> check-again
(changed / changed / unchanged / unchanged), the community.docker pattern.

The tests run in file order and build on each other; the module fixture starts from a fresh
outage whatever earlier tests of the session left, and marks the lab dirty at the end."""
import json

import pytest

from labtools import AI_IP, STRAY_BRIDGE_RE, adhoc, inspect, sh

pytestmark = pytest.mark.lab

ENV_FILE = "/etc/calico/calico.env"


@pytest.fixture(scope="module")
def outage(seed_lab):
    if seed_lab.state != "healthy":
        seed_lab.mark_dirty()  # an earlier test may have repaired the mesh: start from a fresh outage
    seed_lab.ensure_outage("ai")
    yield seed_lab
    seed_lab.mark_dirty()


def test_outage_state(outage, seed_lab_outage, ansible_json):
    status = outage.status()
    ai = [h for h in status["hosts"] if h["name"] == "ai"][0]
    assert ai["router_id"] == "172.19.0.1"
    assert STRAY_BRIDGE_RE.search(sh(ansible_json, "ai", "ip -o link show type bridge"))


def test_docker_bridge_check_real_again_check_again(outage, seed_lab_outage, ansible_json):
    bridge = STRAY_BRIDGE_RE.search(sh(ansible_json, "ai", "ip -o link show type bridge")).group(0)
    net_id = inspect(ansible_json, "ai", "network", "inspect", "gerrit_default")["Id"]
    assert net_id.startswith(bridge[3:])
    args = "name=%s expected_address=%s" % (bridge, AI_IP)

    status, check = adhoc(ansible_json, "ai", "meshdoctor.calico.docker_bridge", args, check=True, diff=True)
    assert status == "CHANGED", check
    assert check["removed"]["method"] == "docker-api" and check["removed"]["network_name"] == "gerrit_default"
    assert check["removed"]["addresses"] == ["172.19.0.1/16"]
    assert bridge in sh(ansible_json, "ai", "ip -o link show type bridge")

    status, real = adhoc(ansible_json, "ai", "meshdoctor.calico.docker_bridge", args)
    assert status == "CHANGED", real
    assert real["removed"]["network_id"] == net_id and real["after"]["present"] is False
    assert bridge not in sh(ansible_json, "ai", "ip -o link show")
    assert "gerrit_default" not in sh(ansible_json, "ai", "docker network ls")

    status, again = adhoc(ansible_json, "ai", "meshdoctor.calico.docker_bridge", args)
    assert status == "SUCCESS" and again["removed"] is None, again
    status, check_again = adhoc(ansible_json, "ai", "meshdoctor.calico.docker_bridge", args, check=True)
    assert status == "SUCCESS" and not check_again["changed"], check_again


def test_autodetection_file_check_real_again_check_again(outage, seed_lab_outage, ansible_json):
    # The seed runs Calico v3.15.1, which has no cidr= method (it came in v3.16.0): refused before any change.
    status, refused = adhoc(ansible_json, "ai", "meshdoctor.calico.autodetection",
                            "method=cidr=192.168.1.0/24 mode=file calico_version=v3.15.1")
    assert status == "FAILED!" and "cidr" in refused["msg"], refused
    args = "method=interface=eno1 mode=file backup=true calico_version=v3.15.1"
    before = sh(ansible_json, "ai", "cat %s" % ENV_FILE) if "calico.env" in sh(ansible_json, "ai", "ls /etc/calico") else None

    status, check = adhoc(ansible_json, "ai", "meshdoctor.calico.autodetection", args, check=True)
    assert status == "CHANGED" and check["after"] == "interface=eno1", check
    now = sh(ansible_json, "ai", "cat %s" % ENV_FILE) if "calico.env" in sh(ansible_json, "ai", "ls /etc/calico") else None
    assert now == before

    status, real = adhoc(ansible_json, "ai", "meshdoctor.calico.autodetection", args)
    assert status == "CHANGED" and real["mode"] == "file" and real["restart_required"], real
    assert "IP_AUTODETECTION_METHOD=interface=eno1" in sh(ansible_json, "ai", "cat %s" % ENV_FILE)

    status, again = adhoc(ansible_json, "ai", "meshdoctor.calico.autodetection", args)
    assert status == "SUCCESS" and not again["restart_required"], again
    status, check_again = adhoc(ansible_json, "ai", "meshdoctor.calico.autodetection", args, check=True)
    assert status == "SUCCESS", check_again


def test_calico_node_restart_brings_the_mesh_back(outage, seed_lab_outage, ansible_json):
    started = inspect(ansible_json, "ai", "inspect", "calico-node")["State"]["StartedAt"]
    status, check = adhoc(ansible_json, "ai", "meshdoctor.calico.calico_node", "state=restarted", check=True)
    assert status == "CHANGED" and check["method"] == "docker" and not check["restarted"], check
    assert inspect(ansible_json, "ai", "inspect", "calico-node")["State"]["StartedAt"] == started

    args = "state=restarted method=docker expected_router_id=%s timeout=120 poll_interval=1" % AI_IP
    status, real = adhoc(ansible_json, "ai", "meshdoctor.calico.calico_node", args, diff=True)
    assert status == "CHANGED", real
    assert real["restarted"] and real["converged"] and real["router_id"] == AI_IP
    assert real["router_id_before"] == "172.19.0.1"
    assert 0 < real["restart_s"] <= real["elapsed_s"] < 120
    assert sorted(s["peer_address"] for s in real["sessions"]) == ["192.168.1.121", "192.168.1.172", "192.168.1.196"]
    assert all(s["bgp_state"] == "Established" for s in real["sessions"]), real["sessions"]
    print("calico_node restarted: restart_s=%s elapsed_s=%s" % (real["restart_s"], real["elapsed_s"]))

    status, converged = adhoc(ansible_json, "ai", "meshdoctor.calico.calico_node", "state=converged timeout=30")
    assert status == "SUCCESS" and converged["converged"] and not converged["changed"], converged

    data = outage.wait_converged(60)
    assert data["established"] == data["expected"] == 12
    ai = [h for h in data["hosts"] if h["name"] == "ai"][0]
    assert ai["router_id"] == AI_IP


def test_calico_node_waits_for_the_routes_of_the_repaired_node(outage, seed_lab_outage, ansible_json):
    """On master after the repair: ai's block is routed via ai, a block nobody owns never is."""
    outage.wait_converged(60)
    ai_block = {"dst": "172.16.2.0/24", "via": [AI_IP]}
    args = json.dumps({"state": "converged", "expected_routes": [ai_block], "timeout": 30, "poll_interval": 0.5})
    status, result = adhoc(ansible_json, "master", "meshdoctor.calico.calico_node", args)
    assert status == "SUCCESS" and result["converged"] and result["routes_missing"] == [], result

    nobody = {"dst": "172.16.99.0/24", "via": [AI_IP]}
    wrong_gateway = {"dst": "172.16.3.0/24", "via": [AI_IP]}   # hp's block, routed via hp
    args = json.dumps({"state": "converged", "expected_routes": [ai_block, nobody, wrong_gateway], "timeout": 2,
                       "poll_interval": 0.5})
    status, result = adhoc(ansible_json, "master", "meshdoctor.calico.calico_node", args)
    assert status == "FAILED!" and not result["converged"], result
    assert result["routes_missing"] == [dict(nobody, found=None),
                                        dict(wrong_gateway, found="via 192.168.1.172 dev eth0")], result
    assert "172.16.99.0/24 (wanted via 192.168.1.188, the kernel has none)" in result["msg"]
