"""playbooks/remediate.yml against the seed lab after `lab outage ai`: --check changes
nothing; the repair brings back all 12 sessions, every route and ai's address; a second run
changes nothing; the closing diagnose passes. Then the seed-in-use topology (a container on
the stray bridge): refused without a pin, recovered with one, the container left running.

Every test here uses `seed_lab_outage` or is marked `lab_final`, so they run after the
healthy-lab tests of the session (see conftest.py), in this file's order."""
import json
import re

import pytest

from labtools import (BLOCKS, SEED_HOSTS, STRAY_BRIDGE_RE, assert_unchanged, bridges, calico_env, cause_signature,
                      docker_on, load_report, on_host, playbook, recap, seed_in_use_outage, signature, snapshot)

pytestmark = pytest.mark.lab


def ai_datastore_address():
    body = on_host("master", "etcdctl", "--endpoints", "http://127.0.0.1:2379", "get",
                   "/calico/resources/v3/projectcalico.org/nodes/ai", "--print-value-only")
    return json.loads(body.strip())["spec"]["bgp"]["ipv4Address"]


def assert_mesh_restored(seed_lab):
    data = seed_lab.wait_converged(60)
    assert data["established"] == data["expected"] == 12
    assert all(h["router_id"] == h["ip"] for h in data["hosts"]), data["hosts"]
    for host in SEED_HOSTS:
        routes = on_host(host, "ip", "route", "show", "proto", "bird")
        for other, block in BLOCKS.items():
            if other == host:
                assert "blackhole " + block in routes, (host, routes)
            else:
                assert "%s via %s" % (block, SEED_HOSTS[other]) in routes, (host, routes)
    assert ai_datastore_address().split("/")[0] == "192.168.1.188"


# ------------------------------------------------------------------ after `lab outage ai`
def test_check_mode_prints_the_plan_and_changes_nothing(seed_lab_outage, lab_shell, tmp_path):
    before = snapshot()
    proc = playbook(lab_shell, "remediate", "--check", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r"))
    assert proc.returncode == 0, proc.output
    assert re.search(r"ai: .*172\.19\.0\.1.*192\.168\.1\.188", proc.output), proc.output
    assert STRAY_BRIDGE_RE.search(proc.output)
    assert "Repair, one node at a time: ai" in proc.output
    assert all(r.get("changed", 0) == 0 for r in recap(proc.stdout).values()), proc.stdout
    assert_unchanged(before, snapshot())
    assert seed_lab_outage.status()["established"] == 6  # none of ai's, 2 of 3 on each other host


def test_remediate_repairs_the_mesh_and_a_second_run_changes_nothing(seed_lab_outage, lab_shell, tmp_path):
    seed_lab_outage.mark_dirty()  # whatever happens, the next fixture user gets a fresh lab
    bridge = STRAY_BRIDGE_RE.search(bridges("ai")).group(0)
    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r"))
    assert proc.returncode == 0, proc.output
    # Only ai was planned and repaired, and the time it took is printed.
    assert re.search(r"ai: repaired and converged in [\d.]+ s", proc.output), proc.output
    assert "PLAY [Repair the planned nodes one at a time]" in proc.output
    changed = {host: row["changed"] for host, row in recap(proc.stdout).items()}
    assert changed == {"ai": 2, "hp": 0, "master": 0, "ml": 0}, proc.stdout  # bridge removed, calico-node cycled
    assert_mesh_restored(seed_lab_outage)
    networks = docker_on("ai", "network", "ls", "--format", "{{.Name}}")
    assert "gerrit_default" not in networks.split()
    assert bridge not in on_host("ai", "ip", "-o", "link", "show")
    # The closing diagnose of the run passed: its report has no finding at all (the bridge, the
    # latent risk with it, is gone).
    closing = load_report(str(tmp_path / "r"))
    assert signature(closing) == [] and cause_signature(closing) == [], closing["findings"]

    # A second run plans nothing and changes nothing (one test: the fixture would
    # rebuild the outage for a separate one).
    again = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r2"))
    assert again.returncode == 0, again.output
    hosts = recap(again.stdout)
    assert set(hosts) == set(SEED_HOSTS), again.stdout
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in hosts.values()), again.stdout
    assert "Nothing to repair" in again.output
    diagnose = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "d"))
    assert diagnose.returncode == 0, diagnose.output
    after = load_report(str(tmp_path / "d"))
    assert signature(after) == [] and cause_signature(after) == [], after["findings"]


# ------------------------------------------------------------------ a container on the stray bridge
@pytest.fixture
def in_use_outage(seed_lab):
    with seed_in_use_outage(seed_lab) as lab:
        yield lab


@pytest.mark.lab_final
def test_bridge_in_use_is_refused_then_recovered_with_a_pin(in_use_outage, lab_shell, tmp_path):
    bridge = STRAY_BRIDGE_RE.search(bridges("ai")).group(0)
    container = "gerrit-default-c1"
    assert container in docker_on("ai", "ps", "--format", "{{.Names}}").split()
    before = snapshot()

    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r1"))
    assert proc.returncode != 0, proc.output
    flat = " ".join(proc.output.split())
    assert bridge in flat and container in flat, proc.output
    assert "meshdoctor_pin_autodetection" in flat  # one of the two ways out
    assert_unchanged(before, snapshot())  # refused before anything changed

    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r2"),
                    "-e", "meshdoctor_pin_autodetection=interface=eno1")  # v3.15.1 has no cidr=
    assert proc.returncode == 0, proc.output
    assert_mesh_restored(in_use_outage)
    running = docker_on("ai", "ps", "--filter", "status=running", "--format", "{{.Names}}")
    assert container in running.split()
    assert bridge in bridges("ai")
    assert "gerrit_default" in docker_on("ai", "network", "ls", "--format", "{{.Name}}").split()
    assert "IP_AUTODETECTION_METHOD=interface=eno1" in calico_env("ai")
