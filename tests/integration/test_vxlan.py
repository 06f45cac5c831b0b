"""diagnose on the VXLAN lab (tests/lab/topologies/vxlan.yml: the seed's cluster with
CALICO_NETWORKING_BACKEND=vxlan, as kubespray installs it): no BIRD runs, so no BIRD or
session finding; after the power cut on ai, the root cause names ai, the bridge and the wrong
address. One `lab up` for the module (the session lab switches topology, and is rebuilt as the
seed for the next test that needs it)."""
import json
import os

import pytest

from labtools import (HEALTHY_CAUSES, HEALTHY_FINDINGS, LAB_DIR, SEED, STRAY_BRIDGE_RE, cause_signature, load_report,
                      playbook, run_lab, signature)

VXLAN = os.path.join(LAB_DIR, "topologies", "vxlan.yml")
NO_BIRD_CODES = ("BIRD_UNREACHABLE", "MESH_DISABLED", "SESSION_DOWN", "SESSION_MISSING", "SESSION_ASYMMETRIC",
                 "SESSION_TO_UNKNOWN_PEER")

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def vxlan_lab(seed_lab):
    seed_lab.topology = VXLAN
    try:
        seed_lab.reset()
        yield seed_lab
    finally:
        seed_lab.topology = SEED
        seed_lab.mark_dirty()


def diagnose(lab_shell, tmp_path, name):
    out = str(tmp_path / name)
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out)
    return proc, load_report(out)


def test_healthy_vxlan_lab_has_no_error_and_no_bird_finding(vxlan_lab, lab_shell, tmp_path):
    proc, report = diagnose(lab_shell, tmp_path, "healthy")
    assert proc.returncode == 0, proc.output
    # The same as on the BGP seed lab: ai's bridge is a latent risk and a stray bridge; nothing about BIRD.
    assert signature(report) == HEALTHY_FINDINGS, json.dumps(report["findings"], indent=1)
    assert cause_signature(report) == HEALTHY_CAUSES
    assert report["summary"]["errors"] == 0 and report["summary"]["sessions_total"] == 0
    assert not [f for f in report["findings"] if f["code"] in NO_BIRD_CODES]


def test_node_facts_read_the_vxlan_data_plane(vxlan_lab, ansible_json):
    proc = ansible_json("hp", "meshdoctor.calico.node_facts")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = json.loads(proc.stdout.split("=>", 1)[1])["ansible_facts"]["meshdoctor"]
    vx = facts["vxlan"]
    # The lab's stand-in: a bridge with felix's MAC, MTU and VTEP address (README.md: what differs).
    assert (vx["device"]["kind"], vx["device"]["up"], vx["device"]["mtu"]) == ("bridge", True, 1450), vx["device"]
    assert sorted(n["address"] for n in vx["neighbours"]) == ["172.16.0.0", "172.16.1.0", "172.16.2.0"], vx
    assert len(vx["fdb"]) == 4 and all(e["dst"] is None for e in vx["fdb"]), vx["fdb"]     # 3 peers + its own MAC
    assert facts["bird"]["ipv4"]["running"] is False
    assert facts["calico_node"]["env"]["CALICO_NETWORKING_BACKEND"] == "vxlan"
    routes = {r["dst"]: r for r in facts["routes"]}
    assert (routes["172.16.2.0/24"]["gateway"], routes["172.16.2.0/24"]["dev"], routes["172.16.2.0/24"]["flags"]) == (
        "172.16.2.0", "vxlan.calico", ["onlink"])


def test_vxlan_outage_root_cause_names_ai_the_bridge_and_the_wrong_address(vxlan_lab, lab_shell, tmp_path):
    proc = run_lab("outage", "ai")
    if proc.returncode != 0:
        vxlan_lab.mark_dirty()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc, report = diagnose(lab_shell, tmp_path, "outage")
    assert proc.returncode != 0, proc.output
    assert cause_signature(report) == [("ADDRESS_ON_DOCKER_BRIDGE", "ai")], json.dumps(report["root_causes"], indent=1)
    assert signature(report) == [("ADDRESS_MISMATCH", "error", "ai"), ("ADDRESS_ON_DOCKER_BRIDGE", "error", "ai"),
                                 ("STRAY_DOCKER_BRIDGE", "info", "ai")], json.dumps(report["findings"], indent=1)
    cause = report["root_causes"][0]
    assert cause["detected_address"] == "172.19.0.1" and cause["expected_address"] == "192.168.1.188", cause
    assert STRAY_BRIDGE_RE.match(cause["bridge"]["name"]) and cause["bridge"]["network_name"] == "gerrit_default"
    sentence = cause["message"]
    assert sentence.startswith("ai: calico-node autodetected 172.19.0.1 on br-"), sentence
    assert "instead of 192.168.1.188 on eno1" in sentence and "BGP" not in sentence, sentence
    # The lab's FDB entries hold no destination (README.md): the sentence says so instead of guessing.
    assert "VXLAN FDB entries send its traffic could not be read" in sentence, sentence
