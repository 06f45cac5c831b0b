"""meshdoctor.prom against the report.json of the same run, for the unit and the lab tests.

`parse` reads the file with the official client's parser (prometheus_client) and checks that
every family has its HELP and TYPE gauge; `promtool_problems` runs `promtool check metrics`
when Debian's prometheus package is installed; `assert_matches_report` compares every family
with report.json, the contract that the metrics are the report's own data.
"""
import calendar
import collections
import shutil
import subprocess
import time

from prometheus_client.parser import text_string_to_metric_families

FAMILIES = ("meshdoctor_bgp_session_established", "meshdoctor_node_sessions_established",
            "meshdoctor_node_sessions_expected", "meshdoctor_node_routes_missing", "meshdoctor_node_address_ok",
            "meshdoctor_findings", "meshdoctor_root_cause", "meshdoctor_autodetection_risk",
            "meshdoctor_last_run_timestamp_seconds", "meshdoctor_run_duration_seconds", "meshdoctor_nodes_unreachable")
PROMTOOL = shutil.which("promtool")


def parse(text):
    """{family name: [(labels dict, value)]}; every family carries HELP and TYPE gauge."""
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        assert family.documentation, family.name
        out[family.name] = [(s.labels, s.value) for s in family.samples]
    assert sorted(out) == sorted(FAMILIES)
    return out


def promtool_problems(text):
    """promtool check metrics' complaints ('' when clean or when promtool is not installed)."""
    if PROMTOOL is None:
        return ""
    proc = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, check=False)
    return "" if proc.returncode == 0 else (proc.stdout + proc.stderr or "promtool exit %d" % proc.returncode)


def epoch(utc):
    return calendar.timegm(time.strptime(utc, "%Y-%m-%dT%H:%M:%SZ"))


def assert_matches_report(metrics, report, codes=()):
    """Every family against the report.json of the same run; codes: (code, severity) pairs that must
    be there even at 0."""
    names = list(report["nodes"])
    down = {(c["from"], c["to"]): c["state"] for c in report["sessions"]["not_established"]}
    expected_sessions = {(a, b): 0 if (a, b) in down else 1 for a in names for b in names
                         if a != b and down.get((a, b)) != "unknown"}
    got = {(lab["from"], lab["to"]): value for lab, value in metrics["meshdoctor_bgp_session_established"]}
    assert got == expected_sessions
    assert sum(got.values()) == report["sessions"]["established"] == report["summary"]["sessions_established"]
    for family, key in (("meshdoctor_node_sessions_expected", "sessions_total"),
                        ("meshdoctor_node_routes_missing", "routes_missing"),
                        ("meshdoctor_node_address_ok", "address_ok")):
        want = {n: int(row[key]) for n, row in report["nodes"].items() if row[key] is not None}
        assert {lab["node"]: value for lab, value in metrics[family]} == want, family
    assert {lab["node"]: value for lab, value in metrics["meshdoctor_node_sessions_established"]} == \
        {n: row["sessions_up"] for n, row in report["nodes"].items() if row["status"] == "ok"}
    counts = collections.Counter((f["code"], f["severity"]) for f in report["findings"])
    findings = {(lab["code"], lab["severity"]): value for lab, value in metrics["meshdoctor_findings"]}
    assert {k: v for k, v in findings.items() if v} == dict(counts)
    assert set(findings) >= set(codes)
    causes = {(n or "", c["code"], c["severity"]) for c in report["root_causes"] for n in c.get("nodes") or [c["node"]]}
    assert {(lab["node"], lab["code"], lab["severity"]): v for lab, v in metrics["meshdoctor_root_cause"]} == \
        dict.fromkeys(causes, 1)
    risks = {(f["node"], f["evidence"]["predicted_interface"] or "", f["evidence"]["predicted_address"],
              f["evidence"]["expected_address"]) for f in report["findings"] if f["code"] == "AUTODETECTION_RISK"}
    assert {(lab["node"], lab["interface"], lab["predicted_address"], lab["expected_address"]): v
            for lab, v in metrics["meshdoctor_autodetection_risk"]} == dict.fromkeys(risks, 1)
    assert metrics["meshdoctor_last_run_timestamp_seconds"] == [({}, epoch(report["generated_at"]))]
    assert metrics["meshdoctor_run_duration_seconds"] == [({}, report["run"]["duration_seconds"])]
    assert metrics["meshdoctor_nodes_unreachable"] == [
        ({}, sum(1 for row in report["nodes"].values() if row["status"] == "unreachable"))]
