# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a root-cause rule is (Rule), the dict a rule's sentence builder starts from (new_cause)
and what a cause costs the mesh (impact). The rules themselves are in checks/rules.py; the
engine that applies them is _root_cause.py.
"""
from __future__ import annotations

# Rule scopes: how the engine finds a rule's causes (see _root_cause.find_root_causes).
NODE = "node"                # per node, the first node rule (by priority) whose trigger codes it has
GROUP = "group"              # per group of findings sharing (code, group_by(finding)); a group names its nodes
FINDING = "finding"          # one cause per finding of the rule's codes
UNEXPLAINED = "unexplained"  # per node, the errors no other cause explains
SCOPES = (NODE, GROUP, FINDING, UNEXPLAINED)


class Rule:
    """One root cause: the codes it explains, when and in what order it applies, its sentence.

    - ``codes``: the finding codes that define the cause (the cause's ``code`` is one of them);
    - ``priority``: lower first (node rules: which one a node gets; the others: their order);
    - ``sentence(ctx, node, found)``: the cause dict (new_cause + message, fix, ...) from the
      node (None for a cluster-wide finding) and its findings of ``codes``, in finding order;
    - ``scope``: NODE, GROUP, FINDING or UNEXPLAINED (above);
    - ``trigger``: NODE rules: the codes that make the rule apply (default: ``codes``);
    - ``repair``: what remediate does about it (one line), or None when it does not repair it;
    - ``visible``: the node's own trouble can be seen (sessions and routes towards it are not
      blamed on a node that cannot be seen: see impact(unseen=True));
    - ``exclusive``: a node gets no other exclusive cause (FINDING rules skip claimed nodes);
    - ``group_by(finding)``: GROUP rules: the value the findings are grouped by;
    - ``also_explains``: a cluster-wide cause explains cluster-wide findings and these codes;
    - ``only_families``: when set, the cause explains only its own node's findings of these families;
    - ``when`` / ``shape``: for docs/findings.md: when it applies, what its sentence looks like.
    """

    __slots__ = ("codes", "priority", "sentence", "scope", "trigger", "repair", "visible", "exclusive",
                 "group_by", "also_explains", "only_families", "when", "shape")

    def __init__(self, codes, priority, sentence, *, scope=NODE, trigger=None, repair=None, visible=False,
                 exclusive=True, group_by=None, also_explains=(), only_families=None, when="", shape=""):
        if scope not in SCOPES:
            raise ValueError("rule %s: scope %r is not one of %s" % (codes, scope, ", ".join(SCOPES)))
        self.codes = tuple(codes)
        self.priority = priority
        self.sentence = sentence
        self.scope = scope
        self.trigger = tuple(trigger or codes)
        self.repair = repair
        self.visible = visible
        self.exclusive = exclusive
        self.group_by = group_by
        self.also_explains = tuple(also_explains)
        self.only_families = tuple(only_families) if only_families else None
        self.when = when
        self.shape = shape

    def admits(self, cause, item):
        """May a cause of this rule explain finding item (beyond the grouping rule)?"""
        return self.only_families is None or (item["node"] == cause["node"] and item["check"] in self.only_families)


def plural(n, word, plural_word=None):
    return "%d %s" % (n, word if n == 1 else (plural_word or word + "s"))


def _blocks_text(node):
    blocks = list(node.blocks or ())
    if not blocks:
        return "its pod addresses"
    if len(blocks) <= 3:
        return " and ".join(blocks) if len(blocks) <= 2 else ", ".join(blocks[:-1]) + " and " + blocks[-1]
    return "%s's %d blocks" % (node.name, len(blocks))


def impact(ctx, node, unseen=False):
    """'6 of 12 BGP sessions are down and 3 nodes have no route to 172.16.2.0/24' (+ figures).

    With unseen (a node we cannot see: unreachable, failed, not in the datastore), sessions and
    routes whose other end is a node with a visible cause of its own (ctx.visible, e.g. a wrong
    address) are not counted.
    """
    matrix, coverage = ctx.matrix, ctx.coverage
    name = node.name
    explained = ctx.visible - {name} if unseen else frozenset()
    if matrix.reason == "vxlan":
        return vxlan_impact(ctx, node, explained)
    cells = [c for c in matrix.involving(name) if (c["to"] if c["from"] == name else c["from"]) not in explained]
    down = sum(1 for c in cells if c["state"] != "unknown")
    unknown = len(cells) - down
    route_nodes = sorted({p["node"] for p in coverage.missing_to(name) if p["node"] not in explained})
    if down:
        text = "%d of %d BGP sessions are down" % (down, matrix.total_cells)
    else:
        text = "no BGP session is down"
    if unknown:
        text += " (%d could not be read)" % unknown
    if route_nodes:
        text += " and %s %s no route to %s" % (plural(len(route_nodes), "node"),
                                               "has" if len(route_nodes) == 1 else "have", _blocks_text(node))
    figures = {"sessions_down": down, "sessions_unknown": unknown, "sessions_total": matrix.total_cells,
               "nodes_without_route": route_nodes}
    return text, figures


def _nodes_text(names):
    return "%s (%s)" % (plural(len(names), "node"), ", ".join(names))


def vxlan_impact(ctx, node, explained=frozenset()):
    """Without BIRD (VXLAN): '3 nodes (hp, master, ml) send its VXLAN traffic to 172.19.0.1 and
    3 nodes have no route to 172.16.2.0/24' (+ figures): the other nodes' FDB entries for the
    node, their neighbour entries, their routes to its blocks."""
    name = node.name
    pairs = [p for p in ctx.vxlan.towards(name) if p["from"] not in explained]
    by_state = {}
    for pair in pairs:
        by_state.setdefault(pair["state"], []).append(pair)
    parts = []
    wrong = by_state.get("wrong_dst", [])
    for dst in sorted({p["dst"] for p in wrong}):
        names = sorted(p["from"] for p in wrong if p["dst"] == dst)
        parts.append("%s %s its VXLAN traffic to %s" % (_nodes_text(names), "sends" if len(names) == 1 else "send", dst))
    lacking = sorted(p["from"] for p in pairs if p["state"] in ("no_neighbour", "wrong_mac", "no_fdb"))
    if lacking:
        parts.append("%s %s no VXLAN entry for its VTEP" % (_nodes_text(lacking), "has" if len(lacking) == 1 else "have"))
    unread = sorted(p["from"] for p in by_state.get("dst_unknown", []))
    route_nodes = sorted({p["node"] for p in ctx.coverage.missing_to(name) if p["node"] not in explained})
    if route_nodes:
        parts.append("%s %s no route to %s" % (plural(len(route_nodes), "node"),
                                               "has" if len(route_nodes) == 1 else "have", _blocks_text(node)))
    if not parts:
        parts.append("the other nodes' VXLAN entries for it look right" if not unread else
                     "where the other nodes' VXLAN FDB entries send its traffic could not be read (no destination)")
    text = " and ".join(parts)
    figures = {"sessions_down": 0, "sessions_unknown": 0, "sessions_total": 0, "nodes_without_route": route_nodes,
               "vxlan_wrong_destination": sorted(p["from"] for p in wrong), "vxlan_missing_entries": lacking}
    return text, figures


def new_cause(node, code, severity, defining):
    """The cause dict every sentence builder starts from (the engine numbers it and adds symptoms)."""
    return {
        "id": None, "severity": severity, "node": node.name if node is not None else None,
        "host": node.host if node is not None else None, "code": code,
        "message": None, "interface": None, "detected_address": None,
        "expected_address": node.expected if node is not None else None,
        "expected_interface": node.expected_interface if node is not None else None,
        "bridge": None, "fix": None, "pin_methods": [], "defining": [f["id"] for f in defining],
        "symptoms": [], "symptom_counts": {}, "sessions_down": 0, "sessions_total": 0,
        "nodes_without_route": [],
    }
