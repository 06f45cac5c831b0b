# -*- coding: utf-8 -*-
"""The founding outage, from facts built after the write-up (tests/unit/fixtures/clusters)."""
from __future__ import annotations

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse, run_analysis

SEED_SENTENCE = (
    "ai: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c (docker network gerrit_default) instead of "
    "192.168.1.188 on eno1; 6 of 12 BGP sessions are down and 3 nodes have no route to 172.16.2.0/24; "
    "remove the bridge and restart calico-node (playbooks/remediate.yml), and pin IP_AUTODETECTION_METHOD "
    "so it cannot recur.")


def _analyse(cluster):
    return analyse(cluster["hosts"], cluster["hostvars"], datastore=cluster["datastore"], results=cluster["results"])


def test_seed_root_cause_sentence(seed_outage):
    analysis = _analyse(seed_outage)
    assert [c["message"] for c in analysis.root_causes] == [SEED_SENTENCE]
    cause = analysis.root_causes[0]
    assert cause["node"] == "ai"
    assert cause["code"] == "ADDRESS_ON_DOCKER_BRIDGE"
    assert cause["interface"] == "br-cddff8a3b81c"
    assert cause["detected_address"] == "172.19.0.1"
    assert cause["expected_address"] == "192.168.1.188"
    assert cause["expected_interface"] == "eno1"
    assert cause["bridge"] == {"name": "br-cddff8a3b81c", "network_name": "gerrit_default", "compose_project": "gerrit",
                               "container_count": 0, "orphaned": False, "created": None}
    assert cause["sessions_down"] == 6 and cause["sessions_total"] == 12
    assert cause["nodes_without_route"] == ["hp", "master", "ml"]
    assert "can-reach=192.168.1.196" in cause["pin_methods"] and "interface=eno1" in cause["pin_methods"]
    # every error is explained by it
    assert {f["id"] for f in analysis.findings} == set(cause["symptoms"])
    assert all(f["root_cause"] == "C1" for f in analysis.findings)


def test_seed_findings(seed_outage):
    analysis = _analyse(seed_outage)
    by_code = {}
    for item in analysis.findings:
        by_code.setdefault(item["code"], set()).add(item["node"])
    assert by_code == {
        "ADDRESS_MISMATCH": {"ai"}, "ADDRESS_ON_DOCKER_BRIDGE": {"ai"},
        "SESSION_DOWN": {"ai", "hp", "master", "ml"},
        "SESSION_TO_UNKNOWN_PEER": {"hp", "master", "ml"},
        "ROUTE_MISSING": {"ai", "hp", "master", "ml"},
        "STRAY_DOCKER_BRIDGE": {"ai"},
    }
    ai_down = [f for f in analysis.findings if f["code"] == "SESSION_DOWN" and f["node"] == "ai"]
    assert {f["evidence"]["peer_node"]: (f["evidence"]["state"], f["evidence"]["last_error"]) for f in ai_down} == {
        "hp": ("Connect", "Socket: Connection closed"),
        "master": ("Active", "Socket: Connection reset by peer"),
        "ml": ("Active", "Socket: Connection closed"),
    }
    towards_ai = [f for f in analysis.findings if f["code"] == "SESSION_DOWN" and f["node"] != "ai"]
    assert {(f["evidence"]["peer_address"], f["evidence"]["state"]) for f in towards_ai} == {("172.19.0.1", "Connect")}
    mismatch = next(f for f in analysis.findings if f["code"] == "ADDRESS_MISMATCH")
    assert mismatch["evidence"]["sources"] == {"datastore": "172.19.0.1", "router_id": "172.19.0.1",
                                               "calico_log": "172.19.0.1"}
    assert analysis.summary["sessions_established"] == 6 and analysis.summary["sessions_total"] == 12


def test_seed_node_names_follow_the_datastore(seed_outage):
    # ml's host name is "ML" (gemfield@ML); Kubernetes knows it as ml
    analysis = _analyse(seed_outage)
    assert [r["name"] for r in analysis.rows] == ["ai", "hp", "master", "ml"]
    rows = {r["name"]: r for r in analysis.rows}
    assert rows["ai"]["address_ok"] is False and rows["ai"]["sessions_up"] == 0
    assert rows["ml"]["sessions_up"] == 2 and rows["ml"]["routes_ok"] == 2 and rows["ml"]["routes_missing"] == 1


def test_seed_fails_the_task_with_the_sentence(seed_outage, tmp_path):
    result = run_analysis({"hosts": seed_outage["hosts"], "datastore": seed_outage["datastore"],
                           "report_dir": str(tmp_path)}, seed_outage["hostvars"])
    assert result["failed"] is True
    assert result["msg"] == SEED_SENTENCE
    assert result["changed"] is False
    assert "ai" in result["summary_text"] and SEED_SENTENCE in result["summary_text"]


def test_healthy_with_bridge_warns_before_the_outage(seed_healthy_bridge, tmp_path):
    cluster = seed_healthy_bridge
    analysis = _analyse(cluster)
    assert analysis.summary["errors"] == 0
    risks = [f for f in analysis.findings if f["code"] == "AUTODETECTION_RISK"]
    assert [f["node"] for f in risks] == ["ai"]
    assert "br-cddff8a3b81c" in risks[0]["message"] and "gerrit_default" in risks[0]["message"]
    assert "IP_AUTODETECTION_METHOD" in risks[0]["message"]
    assert {f["code"] for f in analysis.findings} == {"AUTODETECTION_RISK", "STRAY_DOCKER_BRIDGE"}
    result = run_analysis({"hosts": cluster["hosts"], "datastore": cluster["datastore"], "report_dir": str(tmp_path)},
                          cluster["hostvars"])
    assert not result.get("failed")
    result = run_analysis({"hosts": cluster["hosts"], "datastore": cluster["datastore"], "fail_on": "warning",
                           "formats": []}, cluster["hostvars"])
    assert result["failed"] is True and result["msg"].startswith("ai: at the next calico-node start first-found")
