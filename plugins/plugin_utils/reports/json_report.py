# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.json (schema: docs/report.schema.json, described in docs/report-schema.md). Renders, never decides."""
from __future__ import annotations

import json

SCHEMA_VERSION = 1


def _plain(value):
    """JSON fallback for values Ansible may hand us (tagged strings, lazy containers, sets)."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return str(value)


def report_document(analysis):
    ds = analysis.cluster.datastore
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": analysis.generated_at,
        "generator": "meshdoctor.calico.mesh_check",
        "run": analysis.run_info(),
        "summary": analysis.summary,
        "datastore": None if ds is None else {k: ds.get(k) for k in ("datastore", "reachable", "reason")},
        "nodes": analysis.node_details(),
        "findings": analysis.findings,
        "root_causes": [dict(cause, first_seen=analysis.first_seen.get(cause["id"]))
                        for cause in analysis.root_causes],
        "sessions": {
            "total": analysis.matrix.total_cells,
            "established": analysis.summary["sessions_established"],
            "not_established": analysis.matrix.cells,
        },
    }


def render_json(analysis):
    return json.dumps(report_document(analysis), indent=1, sort_keys=False, default=_plain) + "\n"
