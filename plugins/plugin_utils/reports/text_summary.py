# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The terminal summary: a row per node, then the root causes. Renders, never decides."""
from __future__ import annotations

from .._findings import SEVERITY_RANK
from .printable import printable

MAX_ROWS = 40
HEADER = ("NODE", "EXPECTED", "CALICO", "SESSIONS", "ROUTES", "BRIDGES", "WORST")


def _frac(ok, total):
    if total is None or ok is None:
        return "?"
    return "%d/%d" % (ok, total)


def _row(row):
    calico = row["calico_address"] or "-"
    if row["address_ok"] is False:
        calico += " !"
    sessions = _frac(row["sessions_up"], row["sessions_total"]) if row["status"] == "ok" else row["status"]
    return (row["name"], row["expected_address"] or "?", calico, sessions,
            _frac(row["routes_ok"], row["routes_total"]), str(row["stray_bridges"]), row["worst"] or "ok")


def render_text(analysis):
    summary = analysis.summary
    lines = ["meshdoctor mesh_check: %d nodes, %d errors, %d warnings, %d infos; %d/%d BGP sessions Established, "
             "%d/%d routes to other nodes' blocks right" % (
                 summary["nodes"], summary["errors"], summary["warnings"], summary["infos"],
                 summary["sessions_established"], summary["sessions_total"], summary["routes_ok"],
                 summary["routes_total"])]
    rows = analysis.rows
    shown = rows
    if len(rows) > MAX_ROWS:
        ranked = sorted(rows, key=lambda r: (SEVERITY_RANK.get(r["worst"], 3), r["name"]))
        shown = [r for r in ranked if r["worst"] in ("error", "warning")][:MAX_ROWS]
    table = [HEADER] + [_row(r) for r in shown]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(HEADER))]
    for cells in table:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip())
    if len(shown) < len(rows):
        lines.append("... %d more nodes not shown (no errors or warnings; see the reports)" % (len(rows) - len(shown)))
    if analysis.root_causes:
        lines.append("Root causes:")
        for i, cause in enumerate(analysis.root_causes, 1):
            lines.append("  %d. [%s] %s" % (i, cause["severity"], cause["message"]))
    elif not summary["errors"]:
        lines.append("No root cause: the mesh is complete.")
    return printable("\n".join(lines))              # shown on a terminal: no raw escape from a node


def render_text_file(analysis):
    """summary.txt: the summary with a final newline."""
    return render_text(analysis) + "\n"
