# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""meshdoctor.prom: the analysis as Prometheus metrics (node exporter textfile collector format).

Families, names and labels are fixed in docs/metrics.md. Every value is read from the same
analysis data report.json renders (the node rows, the session cells, the findings, the root
causes, the summary), so the two cannot disagree. Renders, never decides.
"""
from __future__ import annotations

import calendar
import time

from ..checks import CODES      # the registry: every known code, written at 0 when not found

DEFAULT_MAX_PAIRS = 10000

HELP = {
    "meshdoctor_bgp_session_established":
        "1 when the node-to-node BGP session from node `from` to node `to` is Established on from's side, "
        "else 0; sessions whose state could not be read are left out",
    "meshdoctor_node_sessions_established": "Established node-to-node BGP sessions from the node's side",
    "meshdoctor_node_sessions_expected": "Node-to-node BGP sessions the node should have (nodes - 1)",
    "meshdoctor_node_routes_missing": "Other nodes' pod blocks the node has no right route to",
    "meshdoctor_findings": "Findings of the last run by code and severity",
    "meshdoctor_root_cause": "1 for each root cause of the last run, by the node it names",
    "meshdoctor_autodetection_risk":
        "1 when the node's next calico-node start would pick predicted_address on interface "
        "instead of expected_address",
    "meshdoctor_node_address_ok": "1 when every source of the node's Calico address agrees with its expected address, else 0",
    "meshdoctor_last_run_timestamp_seconds": "Unix time the last run's analysis finished",
    "meshdoctor_run_duration_seconds": "Seconds the last run took from its start to the end of the analysis",
    "meshdoctor_nodes_unreachable": "Nodes Ansible could not reach in the last run",
}


def escape_label(value):
    """A label value as the text exposition format wants it: backslash, double quote and line feed escaped."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return "%d" % value
    return repr(float(value))


class _Out:
    def __init__(self):
        self.lines = []

    def family(self, name, samples, comment=None):
        """HELP and TYPE, then one line per (labels, value); duplicate label sets are written once."""
        self.lines.append("# HELP %s %s" % (name, _escape_help(HELP[name])))
        self.lines.append("# TYPE %s gauge" % name)
        if comment:
            self.lines.append("# %s" % comment)
        seen = set()
        for labels, value in samples:
            key = tuple(labels)
            if key in seen:
                continue
            seen.add(key)
            text = ",".join('%s="%s"' % (k, escape_label(v)) for k, v in labels)
            self.lines.append("%s%s %s" % (name, "{%s}" % text if text else "", _number(value)))


def _per_node(rows, key):
    """((("node", name),), value) per row, leaving out rows where the value is unknown (null in report.json)."""
    return (((("node", row["name"]),), row[key]) for row in rows if row[key] is not None)


def _session_samples(analysis):
    names = [row["name"] for row in analysis.rows]
    if not analysis.matrix.total_cells:
        return
    states = analysis.matrix.state_index()
    for src in names:
        for dst in names:
            if src == dst:
                continue
            state = states.get((src, dst))
            if state == "unknown":
                continue
            yield (("from", src), ("to", dst)), 0 if state else 1


def _finding_samples(analysis):
    counts = {(code, info.severity): 0 for code, info in CODES.items()}
    for item in analysis.findings:
        key = (item["code"], item["severity"])
        counts[key] = counts.get(key, 0) + 1
    for code, severity in sorted(counts):
        yield (("code", code), ("severity", severity)), counts[(code, severity)]


def _cause_samples(analysis):
    for cause in analysis.root_causes:
        for node in cause.get("nodes") or [cause["node"]]:
            yield (("node", node), ("code", cause["code"]), ("severity", cause["severity"])), 1


def _risk_samples(analysis):
    for item in analysis.findings:
        if item["code"] != "AUTODETECTION_RISK":
            continue
        ev = item["evidence"]
        yield ((("node", item["node"]), ("interface", ev.get("predicted_interface")),
                ("predicted_address", ev.get("predicted_address")), ("expected_address", ev.get("expected_address"))), 1)


def epoch(generated_at):
    """Unix time of report.json's generated_at (YYYY-MM-DDTHH:MM:SSZ)."""
    return calendar.timegm(time.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ"))


def render_prometheus(analysis, max_pairs=None):
    """The text of meshdoctor.prom. max_pairs: above this many directed sessions only per-node families
    are written (default: analysis.report_options['metrics_max_pairs'], else 10000)."""
    if max_pairs is None:
        max_pairs = (getattr(analysis, "report_options", None) or {}).get("metrics_max_pairs", DEFAULT_MAX_PAIRS)
    rows = analysis.rows
    ok_rows = [row for row in rows if row["status"] == "ok"]
    out = _Out()
    pairs = analysis.matrix.total_cells
    if pairs > max_pairs:
        out.family("meshdoctor_bgp_session_established", (),
                   "%d sessions exceed meshdoctor_metrics_max_pairs=%d: per-session samples left out" % (pairs, max_pairs))
    else:
        out.family("meshdoctor_bgp_session_established", _session_samples(analysis))
    out.family("meshdoctor_node_sessions_established", _per_node(ok_rows, "sessions_up"))
    out.family("meshdoctor_node_sessions_expected", _per_node(rows, "sessions_total"))
    out.family("meshdoctor_node_routes_missing", _per_node(rows, "routes_missing"))
    out.family("meshdoctor_node_address_ok", _per_node(rows, "address_ok"))
    out.family("meshdoctor_findings", _finding_samples(analysis))
    out.family("meshdoctor_root_cause", _cause_samples(analysis))
    out.family("meshdoctor_autodetection_risk", _risk_samples(analysis))
    run = analysis.run_info()
    out.family("meshdoctor_last_run_timestamp_seconds", (((), epoch(analysis.generated_at)),))
    out.family("meshdoctor_run_duration_seconds", (((), run["duration_seconds"]),))
    out.family("meshdoctor_nodes_unreachable", (((), sum(1 for r in rows if r["status"] == "unreachable")),))
    return "\n".join(out.lines) + "\n"
