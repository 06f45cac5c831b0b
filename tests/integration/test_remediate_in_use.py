"""meshdoctor.calico.docker_bridge refuses a bridge that a container uses, and names it;
the documented way out (pin IP_AUTODETECTION_METHOD, cycle calico-node) recovers ai with the
container left running.

Needs the seed-in-use topology (gerrit_default with one container) in place of the
session's seed lab: the fixture takes the session lab down, brings this one up and breaks ai,
and takes it down again (never two labs at once). Marked lab_final so it runs after the
tests that share the session's seed lab."""
import re

import pytest

from labtools import AI_IP, STRAY_BRIDGE_RE, adhoc, inspect, seed_in_use_outage, sh

pytestmark = [pytest.mark.lab, pytest.mark.lab_final]


@pytest.fixture(scope="module")
def in_use_lab(seed_lab):
    with seed_in_use_outage(seed_lab) as lab:
        yield lab


def test_bridge_with_container_is_refused_and_named(in_use_lab, ansible_json):
    bridge = STRAY_BRIDGE_RE.search(sh(ansible_json, "ai", "ip -o link show type bridge")).group(0)
    containers = [c["Name"] for c in inspect(ansible_json, "ai", "network", "inspect", "gerrit_default")["Containers"].values()]
    assert len(containers) == 1
    name = containers[0]
    args = "name=%s expected_address=%s" % (bridge, AI_IP)
    for check in (True, False):
        status, result = adhoc(ansible_json, "ai", "meshdoctor.calico.docker_bridge", args, check=check)
        assert status == "FAILED!", result
        assert result["refusals"] == ["containers"]
        assert re.search(r"container\(s\) attached: %s \(172\.19\.0\.\d+/16\)" % re.escape(name), result["msg"]), result["msg"]
        assert "force: true" in result["msg"] and "meshdoctor.calico.autodetection" in result["msg"]
    assert bridge in sh(ansible_json, "ai", "ip -o link show type bridge")
    assert name in sh(ansible_json, "ai", "docker ps")


def test_pin_and_cycle_recovers_with_the_container_running(in_use_lab, ansible_json):
    status, pin = adhoc(ansible_json, "ai", "meshdoctor.calico.autodetection", "method=interface=eno1 mode=file")
    assert status == "CHANGED" and pin["restart_required"], pin
    status, cycled = adhoc(ansible_json, "ai", "meshdoctor.calico.calico_node",
                           "state=restarted expected_router_id=%s timeout=120 poll_interval=1" % AI_IP)
    assert status == "CHANGED" and cycled["method"] == "docker" and cycled["router_id"] == AI_IP, cycled
    assert all(s["bgp_state"] == "Established" for s in cycled["sessions"])
    data = in_use_lab.wait_converged(60)
    assert data["established"] == data["expected"] == 12
    assert STRAY_BRIDGE_RE.search(sh(ansible_json, "ai", "ip -o link show type bridge"))  # the bridge stayed
