# -*- coding: utf-8 -*-
"""docs/metrics.md: its families and labels are what the writer writes, and its three alert rules
are valid Prometheus rules that fire when they should (promtool, Debian package prometheus)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports.prometheus_report import HELP, render_prometheus

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DOC = os.path.join(REPO, "docs", "metrics.md")
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "clusters")
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")


def _doc():
    with open(DOC, encoding="utf-8") as handle:
        return handle.read()


def documented_families():
    """{name: [labels]} from the table of docs/metrics.md."""
    out = {}
    for match in re.finditer(r"^\| `(meshdoctor_[a-z_]+)` \|\s*([^|]*?)\s*\|", _doc(), re.M):
        out[match.group(1)] = re.findall(r"`([a-z_]+)`", match.group(2))
    return out


def written_labels():
    """{family: label names} of the seed outage and the healthy seed mesh together."""
    out = {}
    for name in ("seed_outage.json", "seed_healthy_bridge.json"):
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
            cluster = json.load(handle)
        analysis = analyse(cluster["hosts"], cluster["hostvars"], datastore=cluster["datastore"])
        for family in text_string_to_metric_families(render_prometheus(analysis)):
            for sample in family.samples:
                out.setdefault(family.name, set()).update(sample.labels)
    return out


def test_the_table_lists_every_family_with_its_labels():
    documented = documented_families()
    assert sorted(documented) == sorted(HELP)
    written = written_labels()
    assert sorted(written) == sorted(HELP)                # each family has a sample on one of the two seeds
    for name, labels in documented.items():
        assert set(labels) == written[name], name


def alert_rules():
    block = _doc().split("## Alert rules", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    return block


def test_three_alert_rules():
    rules = yaml.safe_load(alert_rules())["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == ["CalicoBGPSessionDown", "CalicoAutodetectionRisk", "MeshdoctorNoRecentRun"]
    assert rules[0]["for"] == "5m"
    for rule in rules:
        assert set(re.findall(r"meshdoctor_[a-z_]+", rule["expr"])) <= set(HELP)


@needs_promtool
def test_promtool_checks_the_rules(tmp_path):
    (tmp_path / "rules.yml").write_text(alert_rules(), encoding="utf-8")
    proc = subprocess.run([PROMTOOL, "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 3 rules found" in proc.stdout


# When each rule fires, proven with promtool's rule unit tests on series shaped like meshdoctor.prom.
RULE_TESTS = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'meshdoctor_bgp_session_established{from="hp",to="ai"}'
        values: '1 1 0x10'
      - series: 'meshdoctor_bgp_session_established{from="hp",to="ml"}'
        values: '1x12'
    alert_rule_test:
      - {eval_time: 6m, alertname: CalicoBGPSessionDown, exp_alerts: []}
      - eval_time: 7m
        alertname: CalicoBGPSessionDown
        exp_alerts:
          - exp_labels: {severity: critical, from: hp, to: ai}
            exp_annotations:
              summary: "Calico BGP session hp -> ai is down"
              description: >-
                The node-to-node BGP session from hp to ai has not been Established for 5 minutes.
                meshdoctor's report.html and meshdoctor_root_cause name the cause.
  - interval: 1m
    input_series:
      - series: 'meshdoctor_autodetection_risk{node="ai",interface="br-cddff8a3b81c",predicted_address="172.19.0.1",expected_address="192.168.1.188"}'
        values: '1'
    alert_rule_test:
      - eval_time: 0m
        alertname: CalicoAutodetectionRisk
        exp_alerts:
          - exp_labels: {severity: warning, node: ai, interface: br-cddff8a3b81c, predicted_address: 172.19.0.1,
                         expected_address: 192.168.1.188}
            exp_annotations:
              summary: "ai would peer on 172.19.0.1 after its next calico-node start"
              description: >-
                calico-node on ai would pick 172.19.0.1 on br-cddff8a3b81c instead of 192.168.1.188 at its
                next start (a reboot is enough). Pin IP_AUTODETECTION_METHOD or remove the interface before then.
  - interval: 10m
    input_series:
      # a run every 10 minutes for an hour (the value is the run's Unix time), then none
      - series: 'meshdoctor_last_run_timestamp_seconds{instance="ctl:9100"}'
        values: '0 600 1200 1800 2400 3000 3600 3600x30'
    alert_rule_test:
      - {eval_time: 2h, alertname: MeshdoctorNoRecentRun, exp_alerts: []}
      - eval_time: 3h1m
        alertname: MeshdoctorNoRecentRun
        exp_alerts:
          - exp_labels: {severity: warning, instance: "ctl:9100"}
            exp_annotations:
              summary: "meshdoctor has not checked the Calico mesh for 2 hours"
              description: "The last meshdoctor.calico.watch run on ctl:9100 was 2h 1m 0s ago; the metrics above are stale."
"""


@needs_promtool
def test_each_rule_fires_when_it_should(tmp_path):
    (tmp_path / "rules.yml").write_text(alert_rules(), encoding="utf-8")
    (tmp_path / "tests.yml").write_text(RULE_TESTS, encoding="utf-8")
    proc = subprocess.run([PROMTOOL, "test", "rules", "tests.yml"], capture_output=True, text=True, check=False,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
