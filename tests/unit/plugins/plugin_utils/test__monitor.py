# -*- coding: utf-8 -*-
"""calico-node's address monitor in the analysis: which nodes re-detect and how often, the
runtime move told with its time and the bridge's age, the fix when containers use the bridge,
the plan's hold, and AUTODETECTION_RISK's 'within the interval'."""
from __future__ import annotations

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils import _monitor
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._plan import make_plan

from synthetic import make_cluster, own_facts

MON = "monitor-addresses/"


def _line(time, where, msg):
    return "2026-11-25 %s [INFO][90] %s: %s" % (time, where, msg)


def _item(kind, line, address=None, interface=None, written=None, original=None):
    comp = "monitor-addresses" if MON in line else "startup"
    return {"kind": kind, "line": line, "version": 4 if kind in ("autodetected", "address_changed") else None,
            "address": address, "interface": interface, "method": "first-found" if kind == "autodetected" else None,
            "original": original, "updated": address if kind == "address_changed" else None,
            "time": line[:23], "component": comp, "written": written, "error": None}


def runtime_flip(hostvars, host, created="2026-11-25T14:02:31.123456789Z", version="v3.24.5", containers=0):
    """HOST's facts as after a monitor move onto its bridge at 14:03:12 (startup on eth0 before)."""
    facts = own_facts(hostvars, host)
    bridge = next(b for b in facts["docker"]["bridges"] if b["name"].startswith("br-"))
    bridge["created"] = created
    if containers:
        bridge["containers"] = [{"id": "c%d" % i, "name": "web-%d" % i, "ipv4": None} for i in range(containers)]
        bridge["container_count"] = containers
    cidr = bridge["ipv4"][0]
    calico = facts["calico_node"]
    calico["calico_version"] = facts["autodetection"]["calico_version"] = version
    calico["env"]["AUTODETECT_POLL_INTERVAL"] = "5s"
    start = _line("13:50:00.000", "startup/startup.go 564", "Using autodetected IPv4 address on interface eth0: x")
    detect = _line("14:03:12.402", MON + "autodetection_methods.go 103", "Using autodetected IPv4 address on "
                   "interface %s: %s" % (bridge["name"], cidr))
    calico["log_evidence"] = [
        _item("autodetected", start, "10.0.0.2/16", "eth0"),
        _item("autodetected", detect, cidr, bridge["name"], written=True),
        _item("address_changed", _line("14:03:12.405", MON + "startup.go 978", "IPv4 address has changed."),
              cidr.split("/")[0], original="10.0.0.2"),
        _item("node_updated", _line("14:03:12.410", MON + "startup.go 356", "Updated node IP addresses")),
    ]
    return bridge


def _analyse(hostvars, datastore):
    return analyse(list(hostvars), hostvars, datastore=datastore)


def test_go_durations_and_times():
    assert _monitor.go_duration("5s") == 5.0 and _monitor.go_duration("1m30s") == 90.0
    assert _monitor.go_duration("90") is None and _monitor.go_duration("") is None
    assert _monitor.seconds_between("2026-11-25T14:02:31.123456789Z", "2026-11-25 14:03:12.410") == 41
    assert _monitor.seconds_between("2026-11-25T15:02:31+01:00", "2026-11-25 14:03:12.000") == 41
    assert _monitor.seconds_between("yesterday", "2026-11-25 14:03:12.000") is None


@pytest.mark.parametrize("version,present", [("v3.15.1", False), ("v3.15.2", True), ("v3.16.0", True),
                                             ("v3.2.3", False), (None, None)])
def test_which_releases_have_the_monitor(version, present):
    assert _monitor.has_monitor(_monitor.release(version)) is present


def test_runtime_flip_says_when_and_how_long_after_the_bridge():
    hostvars, datastore = make_cluster(4, broken=("node-2",))
    bridge = runtime_flip(hostvars, "node-2")
    (cause,) = _analyse(hostvars, datastore).root_causes
    assert cause["code"] == "ADDRESS_ON_DOCKER_BRIDGE"
    assert (", switched at 14:03:12 by calico-node's address monitor, 41 s after docker network %s was created; "
            % bridge["network_name"]) in cause["message"], cause["message"]
    assert (cause["switched_at"], cause["switched_by"], cause["switched_from"]) == (
        "2026-11-25 14:03:12.410", "monitor-addresses", "10.0.0.2")
    assert cause["bridge_created"] == cause["bridge"]["created"] == "2026-11-25T14:02:31.123456789Z"
    assert cause["seconds_after_bridge"] == 41
    assert cause["monitor"] == {"present": True, "redetects": True, "interval": 5.0, "switches_back": False}
    assert "does not move back by itself: before v3.29.0" in cause["fix"]


def test_from_v3_29_the_monitor_moves_back_by_itself():
    hostvars, datastore = make_cluster(4, broken=("node-2",))
    runtime_flip(hostvars, "node-2", version="v3.29.0")
    (cause,) = _analyse(hostvars, datastore).root_causes
    assert "also moves back within 5s once the bridge is gone" in cause["fix"]


def test_with_containers_on_the_bridge_a_pin_is_the_only_way_out():
    hostvars, datastore = make_cluster(4, broken=("node-2",))
    runtime_flip(hostvars, "node-2", containers=2)
    analysis = _analyse(hostvars, datastore)
    (cause,) = analysis.root_causes
    assert cause["fix"].startswith("pin IP_AUTODETECTION_METHOD (")
    assert "pinning is the only way out, because calico-node's address monitor would take the bridge again " \
        "within its 5s poll interval after a restart" in cause["fix"]
    plan = make_plan(analysis.cluster, analysis.root_causes)
    (in_use,) = plan["bridges_in_use"]
    assert in_use["monitor_interval"] == "5s" and in_use["container_count"] == 2 and plan["pin_needed"]
    assert plan["hold"] == {"node-2": 10}
    assert plan["by_host"]["node-2"]["monitor"] == {"redetects": True, "interval": 5.0, "switches_back": False}


def test_without_the_monitor_nothing_changes():
    hostvars, datastore = make_cluster(4, broken=("node-2",), calico_version="v3.15.1")
    analysis = _analyse(hostvars, datastore)
    (cause,) = analysis.root_causes
    assert "switched at" not in cause["message"] and "monitor" not in cause["fix"]
    assert cause["fix"] == "remove the bridge and restart calico-node (playbooks/remediate.yml), and pin " \
        "IP_AUTODETECTION_METHOD so it cannot recur"
    plan = make_plan(analysis.cluster, analysis.root_causes)
    assert plan["hold"] == {} and plan["by_host"]["node-2"]["monitor"]["redetects"] is False


def test_ip_not_autodetect_means_no_redetection():
    hostvars, datastore = make_cluster(4, broken=("node-2",))
    own_facts(hostvars, "node-2")["calico_node"]["env"]["IP"] = None
    analysis = _analyse(hostvars, datastore)
    assert make_plan(analysis.cluster, analysis.root_causes)["hold"] == {}


def _risk(hostvars, datastore):
    return [f for f in _analyse(hostvars, datastore).findings if f["code"] == "AUTODETECTION_RISK"]


def test_risk_with_the_monitor_will_switch_within_the_interval():
    hostvars, datastore = make_cluster(4, broken=(), stray_bridge=("node-3",))
    (risk,) = _risk(hostvars, datastore)
    assert "calico-node's address monitor (calico v3.24.5, IP=autodetect) re-runs first-found every 60s and will " \
        "switch to" in risk["message"] and "within that interval, with no restart" in risk["message"], risk["message"]
    assert risk["evidence"]["monitor"] == {"present": True, "redetects": True, "interval": 60.0, "can_write": True,
                                           "switches_back": False}


def test_risk_without_the_monitor_waits_for_the_next_start():
    hostvars, datastore = make_cluster(4, broken=(), stray_bridge=("node-3",), calico_version="v3.15.1")
    (risk,) = _risk(hostvars, datastore)
    assert risk["message"].startswith("node-3: at the next calico-node start first-found (calico v3.15.1) would pick")
    assert "monitor" not in risk["message"]


def test_risk_after_the_monitors_one_write_waits_for_the_next_start():
    hostvars, datastore = make_cluster(4, broken=(), stray_bridge=("node-3",))
    calico = own_facts(hostvars, "node-3")["calico_node"]
    calico["log_evidence"] = calico["log_evidence"] + [
        _item("node_updated", _line("14:03:12.410", MON + "startup.go 356", "Updated node IP addresses"))]
    (risk,) = _risk(hostvars, datastore)
    assert "at the next calico-node start" in risk["message"]
    assert "already moved the address once since calico-node started, and before v3.29.0 it cannot write again" \
        in risk["message"]
    assert risk["evidence"]["monitor"]["can_write"] is False
