# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: one self-contained page (inline CSS and SVG, no script, no network).

Summary, root causes, the mesh picture, a row per node and the findings table. All text from
the cluster is escaped with html.escape. Renders, never decides.
"""
from __future__ import annotations

from html import escape

from .svg_mesh import render_svg

MAX_FINDINGS = 3000

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:.9em}
.cards{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:7em}
.card b{display:block;font-size:1.5em}
.error{color:#b00020}.warning{color:#b35c00}.info{color:#2e6e2e}
.cause{background:#fff;border-left:5px solid #d62728;padding:.5em 1em;margin:.5em 0}
.cause.warning{border-left-color:#ff8c00}
table{border-collapse:collapse;background:#fff;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}tr.error td:first-child{border-left:4px solid #d62728}
tr.warning td:first-child{border-left:4px solid #ff8c00}
code{font-size:.9em}
svg.mesh{background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
svg text{font-size:12px;fill:#222}svg text.addr{fill:#555;font-size:11px}svg text.bad{fill:#b00020;font-weight:bold}
svg text.note{fill:#666}
.legend span{display:inline-block;margin-right:1.2em}
.swatch{display:inline-block;width:2em;height:0;border-top:3px solid;vertical-align:middle;margin-right:.3em}
"""


def _cell(value):
    return "" if value is None else escape(str(value))


def _causes(analysis):
    if not analysis.root_causes:
        return ["<p>No root cause: every node peers on its expected address and the mesh is complete.</p>"]
    out = []
    for cause in analysis.root_causes:
        out.append('<div class="cause %s"><b class="%s">%s</b> %s<br><small>fix: %s; symptoms: %d findings%s</small></div>'
                   % (escape(cause["severity"]), escape(cause["severity"]), escape(cause["code"]),
                      escape(cause["message"]), escape(cause["fix"] or "-"), len(cause["symptoms"]),
                      _first_seen(analysis, cause)))
    return out


def _first_seen(analysis, cause):
    """'; first seen <time>' when the report history is on (analysis.first_seen), else ''."""
    when = analysis.first_seen.get(cause["id"])
    if not when:
        return ""
    return '; <span class="seen">first seen %s%s</span>' % (
        escape(when), " (this run)" if when == analysis.generated_at else "")


def _nodes_table(analysis):
    out = ["<table><tr><th>node</th><th>host</th><th>expected address</th><th>Calico address</th>"
           "<th>sessions up</th><th>routes ok</th><th>stray bridges</th><th>worst</th></tr>"]
    for row in analysis.rows:
        routes = "?" if row["routes_total"] is None else "%d/%d" % (row["routes_ok"], row["routes_total"])
        out.append('<tr class="%s"><td>%s</td><td>%s</td><td>%s <small>(%s)</small></td><td>%s%s</td><td>%s</td>'
                   '<td>%s</td><td>%d</td><td class="%s">%s</td></tr>' % (
                       _cell(row["worst"]), _cell(row["name"]), _cell(row["host"]), _cell(row["expected_address"]),
                       _cell(row["expected_source"]), _cell(row["calico_address"]),
                       " &#x2717;" if row["address_ok"] is False else "",
                       "%d/%d" % (row["sessions_up"], row["sessions_total"]) if row["status"] == "ok"
                       else _cell(row["status"]), routes, row["stray_bridges"], _cell(row["worst"]),
                       _cell(row["worst"] or "ok")))
    out.append("</table>")
    return out


def _findings_table(analysis):
    findings = analysis.findings
    out = ["<table><tr><th>id</th><th>severity</th><th>code</th><th>node</th><th>message</th><th>cause</th></tr>"]
    for item in findings[:MAX_FINDINGS]:
        out.append('<tr class="%s"><td>%s</td><td class="%s">%s</td><td><code>%s</code></td><td>%s</td><td>%s</td>'
                   '<td>%s</td></tr>' % (
                       _cell(item["severity"]), _cell(item["id"]), _cell(item["severity"]), _cell(item["severity"]),
                       _cell(item["code"]), _cell(item["node"]), _cell(item["message"]), _cell(item.get("root_cause"))))
    out.append("</table>")
    if len(findings) > MAX_FINDINGS:
        out.append("<p>%d more findings are in report.json.</p>" % (len(findings) - MAX_FINDINGS))
    return out


def render_html(analysis):
    s = analysis.summary
    parts = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<title>meshdoctor: Calico mesh report</title><style>%s</style></head><body>' % CSS,
             '<h1>Calico node-to-node mesh</h1>',
             '<p class="meta">generated %s by meshdoctor.calico.mesh_check; datastore: %s</p>'
             % (escape(analysis.generated_at), escape(s["datastore"] or "not read")),
             '<div class="cards">']
    for label, value, css in (("nodes", s["nodes"], ""), ("errors", s["errors"], "error"),
                              ("warnings", s["warnings"], "warning"), ("infos", s["infos"], "info"),
                              ("sessions Established", "%d/%d" % (s["sessions_established"], s["sessions_total"]), ""),
                              ("routes right", "%d/%d" % (s["routes_ok"], s["routes_total"]), "")):
        parts.append('<div class="card"><b class="%s">%s</b>%s</div>' % (css, escape(str(value)), escape(label)))
    parts.append("</div><h2>Root causes</h2>")
    parts.extend(_causes(analysis))
    parts.append("<h2>Mesh</h2>")
    parts.append('<p class="legend"><span><i class="swatch" style="border-color:#2e9e44"></i>Established</span>'
                 '<span><i class="swatch" style="border-color:#d62728"></i>Connect / Active / Idle</span>'
                 '<span><i class="swatch" style="border-color:#ff8c00"></i>other state</span>'
                 '<span><i class="swatch" style="border-color:#9a9a9a;border-top-style:dashed"></i>missing or '
                 'unreadable</span><br><span>nodes: red with a ring = root cause, amber = only hurt by another node (its sessions or routes to it), '
                 'orange ring = latent risk, green = fine; each arrow is one direction of a session</span></p>')
    parts.append(render_svg(analysis))
    parts.append("<h2>Nodes</h2>")
    parts.extend(_nodes_table(analysis))
    parts.append("<h2>Findings</h2>")
    parts.extend(_findings_table(analysis))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
