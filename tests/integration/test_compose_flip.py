"""The runtime flip (issue 12): on compose-flip.yml (Calico v3.24.5, the address monitor polling
every 5 s) a Docker network created on ai moves ai's BGP address onto its bridge with no
restart; diagnose names the bridge, the monitor and the times; remediate repairs it and the
repair lasts two poll intervals. Then the bridge in use: without a pin remediate stops before
changing anything and says why, with a pin it repairs and the repair lasts.

The tests run in this file's order on one compose-flip lab, in place of the session's seed
lab (one lab at a time), so they are marked lab_final (after the seed-lab tests)."""
import json
import os
import re
import time

import pytest

from labtools import (AI_IP, LAB_DIR, LAB_STATE, SEED_HOSTS, assert_unchanged, cause_signature, docker_on,
                      load_report, on_host, playbook, recap, run_lab, snapshot)

pytestmark = [pytest.mark.lab, pytest.mark.lab_final]

TOPOLOGY = os.path.join(LAB_DIR, "topologies", "compose-flip.yml")
POLL = 5          # compose-flip.yml's autodetect_poll_interval
BRIDGE_IP = "172.19.0.1"
MONITOR_LOG = os.path.join(LAB_STATE, "hosts", "ai", "var-log", "calico", "monitor-addresses", "current")


@pytest.fixture(scope="module")
def flip_lab(seed_lab):
    seed_lab.down()
    seed_lab.mark_dirty()
    try:
        proc = run_lab("up", TOPOLOGY, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield seed_lab
    finally:
        # the session's seed lab again, as the tests after these expect it (seed_lab.up: down, then up)
        seed_lab.up()


def router_id(host="ai"):
    sock = os.path.join(LAB_STATE, "hosts", host, "run", "calico", "bird.ctl")
    match = re.search(r"Router ID is (\S+)", on_host(host, "birdc", "-s", sock, "show", "status"))
    return match.group(1) if match else None


def calico_started(host="ai"):
    return docker_on(host, "inspect", "-f", "{{.State.StartedAt}} {{.RestartCount}}", "calico-node").strip()


def compose_up_and_wait_for_flip(*extra):
    """`lab compose ai up gerrit_default ...`; -> seconds until ai's router id is the bridge's."""
    proc = run_lab("compose", "ai", "up", "gerrit_default", "172.19.0.0/16", *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    started = time.time()
    while router_id() != BRIDGE_IP:
        assert time.time() - started < POLL + 10, "ai's router id is still %s after %ds" % (router_id(), POLL + 10)
        time.sleep(0.25)
    took = time.time() - started
    # the other hosts re-render their mesh a moment later (confd): wait for that too
    for host in SEED_HOSTS:
        cfg = os.path.join(LAB_STATE, "hosts", host, "etc-calico", "confd", "config", "bird.cfg")
        while host != "ai" and "neighbor %s " % BRIDGE_IP not in _read(cfg):
            assert time.time() - started < POLL + 20, "%s did not re-render its mesh" % host
            time.sleep(0.25)
    return took


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def diagnose(lab_shell, out):
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=%s" % out, "-e", "meshdoctor_fail_on=never")
    assert proc.returncode == 0, proc.output
    return load_report(str(out))


def errors(report):
    return [f for f in report["findings"] if f["severity"] == "error"]


def test_compose_up_moves_ai_within_the_poll_interval_without_a_restart(flip_lab):
    data = flip_lab.wait_converged(60)
    assert data["established"] == data["expected"] == 12
    assert router_id() == AI_IP
    before = calico_started()
    took = compose_up_and_wait_for_flip()
    assert took <= POLL + 10
    assert calico_started() == before  # same container start, no restart
    with open(MONITOR_LOG, encoding="utf-8") as handle:
        log = handle.read()
    assert re.search(r"\[INFO\]\[\d+\] monitor-addresses/autodetection_methods\.go 103: Using autodetected IPv4 "
                     r"address on interface br-[0-9a-f]{12}: 172\.19\.0\.1/16", log), log
    assert "monitor-addresses/startup.go 356: Updated node IP addresses" in log
    # the monitor's lines are in its own log file only, not in the container's log (Calico's runit log/run)
    assert "monitor-addresses/" not in docker_on("ai", "logs", "calico-node")
    status = flip_lab.status()
    assert status["established"] == 6  # no session to ai, in either direction


def test_diagnose_names_the_bridge_the_monitor_and_the_times(flip_lab, lab_shell, tmp_path):
    report = diagnose(lab_shell, tmp_path / "r")
    cause = next(c for c in report["root_causes"] if c["node"] == "ai")
    assert cause["code"] == "ADDRESS_ON_DOCKER_BRIDGE"
    bridge = cause["bridge"]["name"]
    assert re.match(r"^br-[0-9a-f]{12}$", bridge)
    created = json.loads(docker_on("ai", "network", "inspect", "gerrit_default"))[0]["Created"]
    assert cause["bridge"]["created"] == cause["bridge_created"] == created
    with open(MONITOR_LOG, encoding="utf-8") as handle:
        updated = [l for l in handle.read().splitlines() if "Updated node IP addresses" in l][-1]
    assert cause["switched_at"] == updated[:23] and cause["switched_by"] == "monitor-addresses"
    assert 0 <= cause["seconds_after_bridge"] <= POLL + 2
    clock = cause["switched_at"][11:19]
    assert ("ai: calico-node autodetected 172.19.0.1 on %s (docker network gerrit_default) instead of "
            "192.168.1.188 on eno1, switched at %s by calico-node's address monitor, %d s after docker network "
            "gerrit_default was created; 6 of 12 BGP sessions are down" % (bridge, clock, cause["seconds_after_bridge"])
            ) in cause["message"], cause["message"]
    assert "does not move back by itself: before v3.29.0" in cause["message"]
    assert cause["monitor"] == {"present": True, "redetects": True, "interval": 5.0, "switches_back": False}


def test_remediate_repairs_and_the_repair_lasts_two_poll_intervals(flip_lab, lab_shell, tmp_path):
    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r"))
    assert proc.returncode == 0, proc.output
    for task in ("Wait two address-monitor poll intervals", "Check that those nodes kept their address"):
        assert re.search(r"%s[^\n]*\n(?:skipping: \[\w+\]\n)*ok: \[ai\]" % task, proc.output), proc.output
    assert "the repair did not hold" not in proc.output
    assert router_id() == AI_IP
    time.sleep(2 * POLL)
    report = diagnose(lab_shell, tmp_path / "later")
    assert errors(report) == [] and cause_signature(report) == [], report["findings"]
    assert router_id() == AI_IP
    assert flip_lab.wait_converged(30)["established"] == 12


def test_bridge_in_use_without_a_pin_stops_before_any_change(flip_lab, lab_shell, tmp_path):
    compose_up_and_wait_for_flip("--containers", "1")
    before = snapshot(tuple(SEED_HOSTS))
    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r"))
    assert proc.returncode != 0, proc.output
    assert "pinning the autodetection is the only way out while the containers stay" in proc.output, proc.output
    assert "restarting calico-node alone would put the node back on the bridge within 5s" in proc.output
    assert all(row["changed"] == 0 for row in recap(proc.stdout).values()), proc.stdout
    assert_unchanged(before, snapshot(tuple(SEED_HOSTS)))
    assert router_id() == BRIDGE_IP


def test_bridge_in_use_with_a_pin_repairs_and_the_repair_lasts(flip_lab, lab_shell, tmp_path):
    container = json.loads(docker_on("ai", "network", "inspect", "gerrit_default"))[0]["Containers"]
    assert len(container) == 1
    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r"),
                    "-e", "meshdoctor_pin_autodetection=interface=eno1")
    assert proc.returncode == 0, proc.output
    assert router_id() == AI_IP
    time.sleep(2 * POLL)
    report = diagnose(lab_shell, tmp_path / "later")
    assert errors(report) == [], report["findings"]
    assert router_id() == AI_IP
    # the bridge and its container stayed; the pin keeps the monitor off the bridge
    assert json.loads(docker_on("ai", "network", "inspect", "gerrit_default"))[0]["Containers"] == container
    assert flip_lab.wait_converged(30)["established"] == 12
