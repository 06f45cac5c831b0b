"""playbooks/watch.yml on the seed lab, into one directory with the report history on: the
healthy mesh (ai's latent risk), then the outage on ai, twice. Each run's meshdoctor.prom is
read with the official client's parser (and promtool when installed) and compared with the
report.json of the same run; each report.json follows docs/report.schema.json.

One test, on one lab: the outage must hit the bridge the healthy run warned about (a lab
reset in between would give ai a new Docker network, hence another bridge). It asks for the
session lab itself, so it runs among the healthy-lab tests, the last of them by file order,
and leaves the lab in the outage state the outage tests share (SeedLab.ensure_outage)."""
import json
import os

import pytest

import metrics_contract                  # tests/metrics_contract.py
import report_schema                     # tests/report_schema.py
from labtools import HEALTHY_CAUSES, HEALTHY_FINDINGS, SEED_HOSTS, STRAY_BRIDGE_RE, cause_signature, load_report, \
    playbook, signature

pytestmark = pytest.mark.lab


def watch(lab_shell, state):
    """Run playbooks/watch.yml into the watch directory; return (report, metrics, html)."""
    out = state["path"]
    proc = playbook(lab_shell, "watch", "-e", "meshdoctor_watch_dir=" + out, "-e", "meshdoctor_report_history=5",
                    timeout=600)
    assert proc.returncode == 0, proc.output
    # only the three reports and the history: no temporary file left behind
    assert sorted(os.listdir(out)) == ["history", "meshdoctor.prom", "report.html", "report.json"]
    report = load_report(out)
    assert report_schema.problems(report) == []
    with open(os.path.join(out, "meshdoctor.prom"), encoding="utf-8") as handle:
        text = handle.read()
    assert metrics_contract.promtool_problems(text) == ""
    metrics = metrics_contract.parse(text)
    metrics_contract.assert_matches_report(metrics, report)
    with open(os.path.join(out, "report.html"), encoding="utf-8") as handle:
        html = handle.read()
    state["runs"].append(report["generated_at"])
    kept = sorted(os.listdir(os.path.join(out, "history")))
    assert len(kept) == len(state["runs"]), kept
    for name in kept:
        with open(os.path.join(out, "history", name), encoding="utf-8") as handle:
            assert report_schema.problems(json.load(handle)) == [], name
    # the run's duration counts from the role's start: the node_facts round trip is in it
    assert 0.2 < report["run"]["duration_seconds"] < 300, report["run"]
    assert metrics_contract.epoch(report["run"]["started_at"]) <= metrics_contract.epoch(report["generated_at"])
    return report, metrics, html


def sessions_up(metrics):
    return sum(v for dummy, v in metrics["meshdoctor_bgp_session_established"])


def per_node(metrics, family):
    return {labels["node"]: value for labels, value in metrics[family]}


def test_watch_healthy_then_after_the_outage(seed_lab, lab_shell, tmp_path):
    watch_dir = {"path": str(tmp_path / "textfile"), "runs": []}   # the directory a node exporter would read
    os.makedirs(watch_dir["path"])
    seed_lab.ensure_healthy()
    report, metrics, html = watch(lab_shell, watch_dir)
    assert signature(report) == HEALTHY_FINDINGS and cause_signature(report) == HEALTHY_CAUSES
    assert sessions_up(metrics) == 12 and len(metrics["meshdoctor_bgp_session_established"]) == 12
    assert per_node(metrics, "meshdoctor_node_sessions_established") == {"ai": 3, "hp": 3, "master": 3, "ml": 3}
    assert set(per_node(metrics, "meshdoctor_node_address_ok").values()) == {1}
    (risk,) = metrics["meshdoctor_autodetection_risk"]
    labels, value = risk
    assert value == 1 and labels["node"] == "ai" and STRAY_BRIDGE_RE.fullmatch(labels["interface"]), labels
    assert labels["predicted_address"] == "172.19.0.1" and labels["expected_address"] == SEED_HOSTS["ai"]
    assert metrics["meshdoctor_root_cause"] == [({"node": "ai", "code": "AUTODETECTION_RISK", "severity": "warning"}, 1)]
    (cause,) = report["root_causes"]
    assert cause["first_seen"] == report["generated_at"]
    assert "first seen %s (this run)" % report["generated_at"] in html
    risk_interface = labels["interface"]
    healthy_at = report["generated_at"]

    seed_lab.ensure_outage("ai")
    for dummy in range(2):                        # the second outage run keeps the first sighting too
        report, metrics, html = watch(lab_shell, watch_dir)
        assert cause_signature(report) == [("ADDRESS_ON_DOCKER_BRIDGE", "ai")]
        assert sessions_up(metrics) == 6 and len(metrics["meshdoctor_bgp_session_established"]) == 12
        down = [lab for lab, v in metrics["meshdoctor_bgp_session_established"] if v == 0]
        assert len(down) == 6 and all("ai" in (lab["from"], lab["to"]) for lab in down), down
        assert per_node(metrics, "meshdoctor_node_sessions_established") == {"ai": 0, "hp": 2, "master": 2, "ml": 2}
        assert per_node(metrics, "meshdoctor_node_address_ok")["ai"] == 0
        assert metrics["meshdoctor_root_cause"] == [
            ({"node": "ai", "code": "ADDRESS_ON_DOCKER_BRIDGE", "severity": "error"}, 1)]
        assert metrics["meshdoctor_autodetection_risk"] == []
        (cause,) = report["root_causes"]
        assert cause["interface"] == risk_interface
        # the outage is the risk the first run warned about: first seen then
        assert cause["first_seen"] == healthy_at < report["generated_at"]
        assert '<span class="seen">first seen %s</span>' % healthy_at in html
