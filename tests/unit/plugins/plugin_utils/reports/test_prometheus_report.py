# -*- coding: utf-8 -*-
"""meshdoctor.prom: parsed with the official client's parser (and promtool when installed) and
compared, family by family, with the report.json of the same run."""
from __future__ import annotations

import json
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports import writer
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse, run_analysis
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.checks import CODES
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports.prometheus_report import (
    HELP, epoch, escape_label, render_prometheus)

import metrics_contract                                     # tests/metrics_contract.py
from synthetic import make_cluster, own_facts


def parse(text):
    metrics = metrics_contract.parse(text)
    for family in text_string_to_metric_families(text):
        assert family.documentation == HELP[family.name]
    return metrics


def run(cluster, tmp_path, **extra):
    args = {"hosts": cluster["hosts"], "datastore": cluster["datastore"], "report_dir": str(tmp_path),
            "formats": ["json", "prometheus"], "fail_on": "never"}
    args.update(extra)
    result = run_analysis(args, cluster["hostvars"])
    assert "warnings" not in result, result.get("warnings")
    with open(tmp_path / "report.json", encoding="utf-8") as handle:
        report = json.load(handle)
    with open(tmp_path / "meshdoctor.prom", encoding="utf-8") as handle:
        text = handle.read()
    return report, text


def promtool_ok(text):
    assert metrics_contract.promtool_problems(text) == ""
    return True


def assert_matches_report(metrics, report):
    metrics_contract.assert_matches_report(metrics, report, codes=[(c, info.severity) for c, info in CODES.items()])


def test_seed_outage_metrics_agree_with_report_json(seed_outage, tmp_path):
    report, text = run(seed_outage, tmp_path)
    assert promtool_ok(text)
    metrics = parse(text)
    assert sorted(HELP) == sorted(metrics_contract.FAMILIES)
    assert_matches_report(metrics, report)
    assert sum(v for dummy, v in metrics["meshdoctor_bgp_session_established"]) == 6
    assert metrics["meshdoctor_root_cause"] == [({"node": "ai", "code": "ADDRESS_ON_DOCKER_BRIDGE",
                                                  "severity": "error"}, 1)]
    assert metrics["meshdoctor_autodetection_risk"] == []


def test_healthy_mesh_shows_the_risk_on_ai(seed_healthy_bridge, tmp_path):
    report, text = run(seed_healthy_bridge, tmp_path)
    assert promtool_ok(text)
    metrics = parse(text)
    assert_matches_report(metrics, report)
    assert metrics["meshdoctor_autodetection_risk"] == [
        ({"node": "ai", "interface": "br-cddff8a3b81c", "predicted_address": "172.19.0.1",
          "expected_address": "192.168.1.188"}, 1)]
    assert sum(v for dummy, v in metrics["meshdoctor_bgp_session_established"]) == 12


def test_run_duration_counts_from_the_given_start(seed_outage, tmp_path):
    report, text = run(seed_outage, tmp_path, run_started=epoch("2026-01-01T00:00:00Z"))
    assert report["run"]["started_at"] == "2026-01-01T00:00:00Z"
    assert report["run"]["duration_seconds"] == pytest.approx(epoch(report["generated_at"]) - epoch("2026-01-01T00:00:00Z"),
                                                              abs=1)
    assert parse(text)["meshdoctor_run_duration_seconds"] == [({}, report["run"]["duration_seconds"])]


@pytest.mark.parametrize("name", ['we"ird', "back\\slash", "new\nline", 'all\\"\n\\n', "ünï"])
def test_label_values_are_escaped(name, tmp_path):
    hv, dummy = make_cluster(3, broken=("node-2",))
    own_facts(hv, "node-2")["hostname"] = name        # no datastore: the host name is the node name
    result = run_analysis({"hosts": list(hv), "report_dir": str(tmp_path), "formats": ["json", "prometheus"],
                           "fail_on": "never"}, hv)
    assert "warnings" not in result
    text = (tmp_path / "meshdoctor.prom").read_text(encoding="utf-8")
    assert promtool_ok(text)
    metrics = parse(text)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert name in report["nodes"]
    assert_matches_report(metrics, report)
    assert {lab["node"] for lab, dummy in metrics["meshdoctor_node_sessions_expected"]} == {"node-1", name, "node-3"}
    assert ({"node": name, "code": "ADDRESS_ON_DOCKER_BRIDGE", "severity": "error"}, 1) in metrics["meshdoctor_root_cause"]


def test_escape_label():
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert escape_label(None) == "" and escape_label(3) == "3"


def test_max_pairs_keeps_only_the_per_node_families(seed_outage):
    analysis = analyse(seed_outage["hosts"], seed_outage["hostvars"], datastore=seed_outage["datastore"])
    assert len(parse(render_prometheus(analysis, max_pairs=12))["meshdoctor_bgp_session_established"]) == 12
    text = render_prometheus(analysis, max_pairs=11)
    assert promtool_ok(text)
    metrics = parse(text)
    assert metrics["meshdoctor_bgp_session_established"] == []
    assert "# 12 sessions exceed meshdoctor_metrics_max_pairs=11" in text
    assert len(metrics["meshdoctor_node_sessions_established"]) == 4 and len(metrics["meshdoctor_node_routes_missing"]) == 4


def test_max_pairs_option_reaches_the_writer(seed_outage, tmp_path):
    dummy, text = run(seed_outage, tmp_path, metrics_max_pairs=5)
    assert parse(text)["meshdoctor_bgp_session_established"] == []


def test_default_max_pairs_is_10000():
    hv, dummy = make_cluster(101, broken=())           # 101 x 100 = 10100 directed sessions
    analysis = analyse(list(hv), hv)
    assert parse(render_prometheus(analysis))["meshdoctor_bgp_session_established"] == []
    hv, dummy = make_cluster(100, broken=())           # 9900
    metrics = parse(render_prometheus(analyse(list(hv), hv)))
    assert len(metrics["meshdoctor_bgp_session_established"]) == 9900
    assert all(v == 1 for dummy, v in metrics["meshdoctor_bgp_session_established"])


def test_unreachable_node_has_no_session_samples(tmp_path):
    hv, dummy = make_cluster(4, broken=(), unreachable=("node-3",))
    results = {"node-3": {"unreachable": True, "msg": "ssh: connect to host timed out"}}
    result = run_analysis({"hosts": list(hv), "results": results, "report_dir": str(tmp_path),
                           "formats": ["json", "prometheus"], "fail_on": "never"}, hv)
    assert "warnings" not in result
    text = (tmp_path / "meshdoctor.prom").read_text(encoding="utf-8")
    metrics = parse(text)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert_matches_report(metrics, report)
    assert metrics["meshdoctor_nodes_unreachable"] == [({}, 1)]
    assert not [lab for lab, dummy in metrics["meshdoctor_bgp_session_established"] if lab["from"] == "node-3"]
    assert "node-3" not in {lab["node"] for lab, dummy in metrics["meshdoctor_node_sessions_established"]}


def test_written_through_a_temporary_file_and_renamed(seed_outage, tmp_path, monkeypatch):
    (tmp_path / "meshdoctor.prom").write_text("old\n", encoding="utf-8")
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((src, dst, open(dst, encoding="utf-8").read() if os.path.exists(dst) else None))
        real_replace(src, dst)
    monkeypatch.setattr(writer.os, "replace", spy)
    run(seed_outage, tmp_path)
    (src, dst, before), = [r for r in renames if r[1].endswith(".prom")]
    assert dst == str(tmp_path / "meshdoctor.prom") and before == "old\n"      # the old file until the rename
    assert os.path.dirname(src) == str(tmp_path) and os.path.basename(src).startswith(".meshdoctor-")
    assert not src.endswith(".prom")                   # the textfile collector reads *.prom only
    assert sorted(os.listdir(tmp_path)) == ["meshdoctor.prom", "report.json"]


def test_a_failing_metrics_writer_is_a_warning(seed_outage, tmp_path, monkeypatch):
    def broken(analysis):
        raise KeyError("boom")
    monkeypatch.setitem(writer.FORMATS, "prometheus", writer.Format("meshdoctor.prom", broken))
    result = run_analysis({"hosts": seed_outage["hosts"], "datastore": seed_outage["datastore"],
                           "report_dir": str(tmp_path), "formats": ["json", "prometheus"]}, seed_outage["hostvars"])
    assert result["warnings"] == ["mesh_check: meshdoctor.prom not rendered (KeyError: 'boom')"]
    assert result["verdict"] == "fail" and (tmp_path / "report.json").exists()
