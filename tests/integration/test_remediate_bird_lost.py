"""Issue 11 item 1 in the lab: remediation never cycles a node into the outage.

seed-in-use (Calico v3.24.5, first-found: `^br-.*` is not excluded before v3.25) comes up
healthy, then gerrit_default's bridge appears on ai with a container on it - newer than the NIC,
so the next first-found start would pick it. `lab fault ai calico-node` then loses ai's BIRD.
Cycling calico-node (what the plan did for the lost BIRD) would bring ai back on 172.19.0.1.

remediate without a pin refuses ai before anything changes (every host's interfaces, routes,
containers, bird.cfg and calico.env are the same before and after) and says which bridge, which
container and which pin; with the pin it names, it repairs ai and leaves the container running.
Runs in place of the session's seed lab (one lab at a time), after the tests that share it."""
import time

import pytest

from labtools import STRAY_BRIDGE_RE, assert_unchanged, bridges, calico_env, docker_on, playbook, seed_in_use, snapshot
from test_remediate import assert_mesh_restored

CONTAINER = "gerrit-default-c1"

pytestmark = [pytest.mark.lab, pytest.mark.lab_final]


@pytest.fixture
def bird_lost_bridge_in_use(seed_lab):
    """The seed-in-use lab, healthy, then `lab fault ai calico-node`, in place of the session's
    seed lab; taken down after the test, and the seed lab is rebuilt by the next test that needs it."""
    with seed_in_use(seed_lab, "fault", "ai", "calico-node") as lab:
        yield lab


def settled_snapshot(timeout=60):
    """snapshot() once the peers have stopped reacting to the lost BIRD (two looks 3 s apart agree)."""
    last = snapshot()
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(3)
        now = snapshot()
        if now == last:
            return now
        last = now
    raise AssertionError("the lab did not settle within %ss after the fault" % timeout)


def test_bird_lost_with_a_bridge_in_use_is_refused_then_repaired_with_a_pin(bird_lost_bridge_in_use, lab_shell, tmp_path):
    bridge = STRAY_BRIDGE_RE.search(bridges("ai")).group(0)
    assert CONTAINER in docker_on("ai", "ps", "--format", "{{.Names}}").split()
    before = settled_snapshot()

    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r1"))
    assert proc.returncode != 0, proc.output
    flat = " ".join(proc.output.split())
    assert "ai: refusing to cycle calico-node: with first-found it would come back on 172.19.0.1 on %s" % bridge in flat, \
        proc.output
    assert CONTAINER in flat and "instead of 192.168.1.188" in flat
    assert "-e meshdoctor_pin_autodetection=interface=eno1" in flat
    assert "repaired and converged" not in proc.output
    assert_unchanged(before, snapshot())          # refused before anything changed, on every host

    proc = playbook(lab_shell, "remediate", "-e", "meshdoctor_report_dir=%s" % (tmp_path / "r2"),
                    "-e", "meshdoctor_pin_autodetection=interface=eno1")
    assert proc.returncode == 0, proc.output
    assert "ai: repaired and converged in" in " ".join(proc.output.split())
    assert_mesh_restored(bird_lost_bridge_in_use)
    assert CONTAINER in docker_on("ai", "ps", "--filter", "status=running", "--format", "{{.Names}}").split()
    assert bridge in bridges("ai")
    assert "IP_AUTODETECTION_METHOD=interface=eno1" in calico_env("ai")
