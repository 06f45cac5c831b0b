# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mesh_check without Ansible: hostvars in, findings, root causes, node rows and reports out.

``run_analysis(args, hostvars)`` is everything the action plugin does after validating its
arguments; ``analyse(...)`` is the analysis alone (what the benchmark times).
"""
from __future__ import annotations

import datetime
import time

from ._context import Context
from ._derived import calico_sources
from ._findings import count_by_severity, meets_threshold, sort_and_number, worst_severity
from ._hostvars import datastore_from_host, registered_results
from ._model import build
from ._plan import make_plan
from ._prediction import configured_choice
from ._root_cause import find_root_causes, headline
from .checks import run_checks
from .reports.printable import printable
from .reports.text_summary import render_text
from .reports.writer import write_reports

try:
    import jmespath
except ImportError as exc:  # pragma: no cover - reported when a query is given
    jmespath = None
    JMESPATH_IMPORT_ERROR = exc
else:
    JMESPATH_IMPORT_ERROR = None

CALICO_KEYS = ("deployment", "running", "reason", "image", "calico_version", "autodetection_method")
DEFAULTS = {
    "datastore": None, "results": None, "expected_address_sources": ["inventory", "kubernetes", "override"],
    "report_dir": "./meshdoctor-report", "formats": ["json", "junit", "html"], "fail_on": "error",
    "ignore": [], "query": None, "results_var": None, "plan_hosts": [], "datastore_host": None, "delete_stale": [],
    "run_started": None, "history": 0, "metrics_max_pairs": 10000,
    "plan_pin": None, "plan_remove_bridges": True,
}


def _utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Analysis:
    """The outcome of one analysis: the model it was built on and everything derived from it."""

    def __init__(self, cluster, matrix, coverage, findings, causes, rows, summary):
        self.cluster = cluster
        self.matrix = matrix
        self.coverage = coverage
        self.findings = findings
        self.root_causes = causes
        self.rows = rows
        self.summary = summary
        self.finished = time.time()
        self.generated_at = _utc(self.finished)
        self.started = self.finished          # when the run began (run_analysis: the role's start)
        self.first_seen = {}                  # root cause id -> UTC time first seen (history on)
        self.report_options = {}              # e.g. metrics_max_pairs

    def run_info(self):
        """When the run started and how long it took up to the end of the analysis."""
        return {"started_at": _utc(self.started),
                "duration_seconds": round(max(self.finished - self.started, 0.0), 3)}

    def node_details(self):
        """{name: the facts of the node the analysis used}, for report.json."""
        return {row["name"]: dict(row, **_used_facts(self.cluster.by_name[row["name"]])) for row in self.rows}


def _used_facts(node):
    pred = node.autodetection or {}
    calico = node.calico or {}
    return {
        "expected_candidates": node.expected_candidates,
        "expected_interface": node.expected_interface,
        "datastore_address": node.ds_address,
        "router_id": node.router_id,
        "detected_address": node.detected_address,
        "detected_interface": node.detected_interface,
        "blocks": list(node.blocks or ()),
        "blocks_source": node.blocks_source,
        "calico_node": {k: calico.get(k) for k in CALICO_KEYS} if calico else None,
        "bird": {"running": node.bird_running, "router_id": node.router_id, "mesh_protocols": node.mesh_count,
                 "established": len(node.established or ())} if node.facts is not None else None,
        "bridges": [{k: b.get(k) for k in ("name", "ipv4", "network_name", "compose_project", "container_count",
                                           "default_bridge", "orphaned", "state")}
                    for b in (node.bridges or {}).values()],
        "autodetection": _autodetection_summary(node, pred) if pred else None,
    }


def _autodetection_summary(node, pred):
    """The report's view of a node's prediction: kubernetes-internal-ip resolved, IPv6 beside IPv4."""
    summary = {k: pred.get(k) for k in ("calico_version", "method", "first_found")}
    summary["configured"] = configured_choice(node, 4)[0] or pred.get("configured")
    ipv6 = pred.get("ipv6")
    summary["ipv6"] = None
    if isinstance(ipv6, dict):
        summary["ipv6"] = {k: ipv6.get(k) for k in ("method", "detects", "first_found")}
        summary["ipv6"]["configured"] = configured_choice(node, 6)[0] or ipv6.get("configured")
    return summary


def _rows(cluster, matrix, coverage, findings):
    by_node = {}
    for item in findings:
        by_node.setdefault(item["node"], []).append(item)
    rows = []
    for node in cluster.nodes:
        mine = by_node.get(node.name, ())
        addresses = calico_sources(node)
        address_ok = None if not node.expected or not addresses else all(a == node.expected for a in addresses.values())
        routes_total = coverage.total.get(node.name)
        routes_ok = coverage.ok.get(node.name)
        rows.append({
            "name": node.name, "host": node.host, "status": node.status,
            "expected_address": node.expected, "expected_source": node.expected_source,
            "calico_address": node.calico_address, "address_ok": address_ok,
            "sessions_up": matrix.up.get(node.name, 0), "sessions_total": max(len(cluster.nodes) - 1, 0),
            "sessions_known": matrix.known.get(node.name, 0),
            "routes_ok": routes_ok, "routes_total": routes_total,
            "routes_missing": None if routes_total is None else routes_total - routes_ok,
            "stray_bridges": sum(1 for f in mine if f["code"] in ("STRAY_DOCKER_BRIDGE", "ORPHANED_DOCKER_BRIDGE")),
            "worst": worst_severity(mine), "findings": len(mine),
            "calico_version": (node.autodetection or {}).get("calico_version") or (node.calico or {}).get("calico_version"),
            "autodetection_method": (node.autodetection or {}).get("method") or (node.calico or {}).get("autodetection_method"),
        })
    return rows


def analyse(hosts, hostvars, datastore=None, results=None, sources=None, ignore=()):
    """Build the model, run every check, group the findings under root causes."""
    started = time.time()
    cluster = build(hosts, hostvars, datastore=datastore, results=results, sources=sources)
    ctx = Context(cluster, {"sources": cluster.sources, "ignore": list(ignore or ())})
    matrix, coverage = ctx.matrix, ctx.coverage
    findings = run_checks(ctx)
    if ignore:
        dropped = set(ignore)
        findings = [f for f in findings if f["code"] not in dropped]
    sort_and_number(findings)
    causes = find_root_causes(ctx, findings)
    rows = _rows(cluster, matrix, coverage, findings)
    counts = count_by_severity(findings)
    summary = {
        "nodes": len(cluster.nodes), "errors": counts["errors"], "warnings": counts["warnings"],
        "infos": counts["infos"], "root_causes": len(causes),
        "sessions_total": matrix.total_cells,
        "sessions_established": matrix.total_cells - len(matrix.cells),
        "routes_total": sum(v for v in coverage.total.values() if v),
        "routes_ok": sum(v for v in coverage.ok.values() if v),
        "datastore": None if cluster.datastore is None else (
            "reachable" if cluster.datastore_reachable else "unreachable"),
    }
    analysis = Analysis(cluster, matrix, coverage, findings, causes, rows, summary)
    analysis.started = started
    return analysis


def select(findings, query):
    """The findings a jmespath query selects (ValueError on a bad query or no jmespath)."""
    if jmespath is None:
        raise ValueError("the query option needs the Python library jmespath (%s)" % JMESPATH_IMPORT_ERROR)
    try:
        return jmespath.search(query, findings)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError("query %r is not a valid JMESPath expression: %s" % (query, exc)) from exc


def run_analysis(args, hostvars):
    """The action plugin's result from its validated arguments and plain hostvars {host: {var: value}}.

    Per host, how node_facts went is ``results[host]`` when given, else the outcome that
    plain_hostvars read from the host's registered result (``results_var``). The datastore is
    ``datastore`` when given, else the ``meshdoctor.datastore`` fact of ``datastore_host``
    (whose hostvars entry must then be in HOSTVARS too, even when it is not one of ``hosts``).
    """
    opts = dict(DEFAULTS)
    opts.update({k: v for k, v in args.items() if v is not None})
    results = registered_results(hostvars, opts["results"])
    datastore = opts["datastore"]
    if datastore is None and opts["datastore_host"]:
        host = opts["datastore_host"]
        datastore = datastore_from_host(host, hostvars.get(host), results.get(host))
    analysis = analyse(opts["hosts"], hostvars, datastore=datastore, results=results,
                       sources=opts["expected_address_sources"] or None, ignore=opts["ignore"] or ())
    if opts["run_started"] is not None:
        analysis.started = float(opts["run_started"])
    analysis.report_options["metrics_max_pairs"] = opts["metrics_max_pairs"]
    result = {
        "changed": False,
        "summary": analysis.summary,
        "findings": analysis.findings,
        "root_causes": analysis.root_causes,
        "nodes": analysis.rows,
        "plan": make_plan(analysis.cluster, analysis.root_causes, opts["plan_hosts"], opts["delete_stale"],
                          pin=opts["plan_pin"], remove_bridges=opts["plan_remove_bridges"]),
        "summary_text": render_text(analysis),
        "report_files": [],
    }
    warnings = []
    if opts["formats"] and opts["report_dir"]:
        try:
            files, problems = write_reports(analysis, opts["report_dir"], opts["formats"], opts["history"])
        except Exception as exc:  # pylint: disable=broad-except  # a failed report is a warning, whatever failed
            files, problems = [], ["mesh_check: reports not written (%s)" % printable("%s: %s" % (type(exc).__name__, exc))]
        result["report_files"] = files
        warnings.extend(problems)
    if opts["query"]:
        result["selected"] = select(analysis.findings, opts["query"])
    result["headline"] = headline(analysis.root_causes, "warning")
    result["headline"] = printable(result["headline"]) if result["headline"] else result["headline"]
    if meets_threshold(analysis.findings, opts["fail_on"]):
        result["failed"] = True
        result["verdict"] = "fail"
        result["msg"] = printable(headline(analysis.root_causes, opts["fail_on"]) or
                                  "%d error(s), %d warning(s) found" % (analysis.summary["errors"],
                                                                        analysis.summary["warnings"]))
    else:
        result["verdict"] = "pass"
        result["msg"] = "%d nodes: %d errors, %d warnings, %d infos" % (
            analysis.summary["nodes"], analysis.summary["errors"], analysis.summary["warnings"],
            analysis.summary["infos"])
    if warnings:
        result["warnings"] = warnings
    return result
