# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mesh as an inline SVG: nodes on a circle, one arrow per directed session.

- up to FULL_EDGES nodes: every directed session is drawn, the two directions of a pair as
  two slightly offset arrows, coloured by state (Established green, Connect/Active/Idle red,
  other states orange, missing/unreadable grey dashed);
- up to PAIR_EDGES nodes: a pair whose both directions are Established is one thin line, every
  other direction still its own coloured line;
- above: only sessions that are not Established are drawn (at most MAX_PROBLEM_EDGES) and the
  picture says how many Established ones it leaves out.
Node labels (name + address) are drawn up to LABEL_ALL nodes, above that only for the nodes
of root causes; a label points away from the circle (anchored at its end on the left half, at
its start on the right half) and the viewBox is sized from the longest label, so none is cut
off. A node that is a root cause is red with a red ring; a node only hurt by another node's
cause (its sessions or routes to the broken node) amber; a node with a latent risk orange with
an orange ring; a healthy node green. Renders, never decides.
"""
from __future__ import annotations

import math
from html import escape

FULL_EDGES = 40
PAIR_EDGES = 120
LABEL_ALL = 60
MAX_PROBLEM_EDGES = 3000
COLOURS = {"established": "#2e9e44", "down": "#d62728", "other": "#ff8c00", "missing": "#9a9a9a"}
NODE_FILL = {"cause": "#d62728", "affected": "#f2c14e", "warning": "#ff8c00", "ok": "#2e9e44"}
DOWN_STATES = ("Connect", "Active", "Idle")
# Label metrics (px; CSS in html_report.py): a generous average glyph width, so a label's box
# is never smaller than the text the browser draws.
NAME_SIZE, ADDR_SIZE, LINE_HEIGHT = 12, 11, 1.1
GLYPH_EM, BOLD_GLYPH_EM = 0.62, 0.68
PAD = 12


def _kind(state):
    if state == "Established":
        return "established"
    if state in ("missing", "unknown"):
        return "missing"
    if state in DOWN_STATES:
        return "down"
    return "other"


def _text_width(text, size, bold):
    return len(text) * size * (BOLD_GLYPH_EM if bold else GLYPH_EM)


def _label_box(x, y, anchor, name, lines, bold):
    """(x0, y0, x1, y1) around a label: the name on the baseline y, then one tspan per line."""
    width = max([_text_width(name, NAME_SIZE, bold)] + [_text_width(t, ADDR_SIZE, bold) for t in lines])
    x0 = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
    return (x0, y - NAME_SIZE, x0 + width, y + len(lines) * ADDR_SIZE * LINE_HEIGHT + 3)


def _fill(row, is_cause, is_warned):
    """Red: a root cause is here; amber: only hurt by another node's cause; orange: a warning cause."""
    if is_cause:
        return NODE_FILL["cause"]
    if row["worst"] == "error":
        return NODE_FILL["affected"]
    if is_warned or row["worst"] == "warning":
        return NODE_FILL["warning"]
    return NODE_FILL["ok"]


def _line(p, q, kind, offset, shorten, arrow, width):
    (x1, y1), (x2, y2) = p, q
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    ox, oy = -uy * offset, ux * offset          # to the right of the direction of travel
    ax, ay = x1 + ux * shorten + ox, y1 + uy * shorten + oy
    bx, by = x2 - ux * shorten + ox, y2 - uy * shorten + oy
    dash = ' stroke-dasharray="5,4"' if kind == "missing" else ""
    marker = ' marker-end="url(#md-arrow-%s)"' % kind if arrow else ""
    return '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s%s/>' % (
        ax, ay, bx, by, COLOURS[kind], width, dash, marker)


def render_svg(analysis):
    rows = analysis.rows
    n = len(rows)
    cause_nodes, warned_nodes = set(), set()
    for cause in analysis.root_causes:
        (cause_nodes if cause["severity"] == "error" else warned_nodes).update(cause.get("nodes") or [cause["node"]])
    # The circle grows with the nodes up to FULL_EDGES; the viewBox is fitted around it below.
    if n <= 12:
        radius = 150
    elif n <= FULL_EDGES:
        radius = min(530, 70 + 12 * n)
    else:
        radius = 430 if n <= LABEL_ALL else 490
    centre = radius + 200
    dot = 9 if n <= FULL_EDGES else 6 if n <= PAIR_EDGES else 3
    pos = {}
    for i, row in enumerate(rows):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        pos[row["name"]] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle), angle)

    states = analysis.matrix.state_index()
    ring = dot + 7
    box = [centre - radius - ring, centre - radius - ring, centre + radius + ring, centre + radius + ring]
    out = ["<defs>"]
    for kind, colour in COLOURS.items():
        out.append('<marker id="md-arrow-%s" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
                   'markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>'
                   % (kind, colour))
    out.append("</defs>")
    names = [row["name"] for row in rows]
    not_drawn = 0
    if n <= PAIR_EDGES:
        # Established sessions underneath and faint, the others on top: the broken ones stand out.
        good, bad = [], []
        offset = 3.0 if n <= FULL_EDGES else 1.5
        width = 1.2 if n <= FULL_EDGES else 0.6
        arrows = n <= FULL_EDGES
        for i, a in enumerate(names):
            pa = pos[a][:2]
            for b in names[i + 1:]:
                pb = pos[b][:2]
                ab, ba = states.get((a, b), "Established"), states.get((b, a), "Established")
                if n > FULL_EDGES and ab == ba == "Established":
                    good.append(_line(pa, pb, "established", 0, dot, False, 0.3))
                    continue
                for p, q, state in ((pa, pb, ab), (pb, pa, ba)):
                    kind = _kind(state)
                    target = good if kind == "established" else bad
                    target.append(_line(p, q, kind, offset, dot + 2, arrows, width if target is good else width + 0.8))
        out.append('<g class="established" opacity="%s">' % ("0.55" if n <= 12 else "0.35"))
        out.extend(good)
        out.append('</g><g class="problems">')
        out.extend(bad)
        out.append("</g>")
    else:
        drawn = 0
        for (a, b), state in states.items():
            if drawn >= MAX_PROBLEM_EDGES:
                not_drawn += 1
                continue
            out.append(_line(pos[a][:2], pos[b][:2], _kind(state), 1.0, dot, False, 0.5))
            drawn += 1
    for row in rows:
        x, y, angle = pos[row["name"]]
        name = row["name"]
        title = "%s %s (expected %s): %s" % (name, row["calico_address"] or "?", row["expected_address"] or "?",
                                             row["worst"] or "ok")
        out.append('<g class="node"><title>%s</title>' % escape(title))
        if name in cause_nodes or name in warned_nodes:
            out.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="%s" stroke-width="3"/>'
                       % (x, y, dot + 5, "#d62728" if name in cause_nodes else "#ff8c00"))
        out.append('<circle cx="%.1f" cy="%.1f" r="%d" fill="%s" stroke="#333" stroke-width="1"/>'
                   % (x, y, dot, _fill(row, name in cause_nodes, name in warned_nodes)))
        if n <= LABEL_ALL or name in cause_nodes or name in warned_nodes:
            lx, ly = x + (dot + 8) * math.cos(angle), y + (dot + 8) * math.sin(angle)
            anchor = "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"
            lines = [row["calico_address"] or row["expected_address"] or "?"]
            if row["address_ok"] is False:
                lines.append("expected %s" % row["expected_address"])
            if anchor == "middle":
                ly += 12 if math.sin(angle) > 0 else -(16 + 13 * (len(lines) - 1))
            x0, y0, x1, y1 = _label_box(lx, ly, anchor, name, lines, name in cause_nodes)
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            spans = "".join('<tspan x="%.1f" dy="1.1em" class="addr">%s</tspan>' % (lx, escape(text)) for text in lines)
            out.append('<text x="%.1f" y="%.1f" text-anchor="%s" class="label%s">%s%s</text>'
                       % (lx, ly, anchor, " bad" if name in cause_nodes else "", escape(name), spans))
        out.append("</g>")
    if n > PAIR_EDGES:
        established = analysis.summary["sessions_established"]
        out.append('<text x="%.1f" y="%.1f" class="note">%d Established sessions not drawn%s</text>' % (
            box[0], box[3] + 16, established,
            ("; %d more problem sessions left out" % not_drawn) if not_drawn else ""))
        box[3] += 22
    # The picture is as large as what is drawn (the longest label included), plus a margin.
    x0, y0 = math.floor(box[0] - PAD), math.floor(box[1] - PAD)
    width, height = math.ceil(box[2] + PAD) - x0, math.ceil(box[3] + PAD) - y0
    head = ('<svg xmlns="http://www.w3.org/2000/svg" class="mesh" viewBox="%d %d %d %d" width="%d" height="%d" '
            'role="img" aria-label="BGP mesh: %d nodes">' % (x0, y0, width, height, width, height, n))
    return "\n".join([head] + out + ["</svg>"])
