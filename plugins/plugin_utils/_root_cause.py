# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root causes: the few findings that explain the others, each told in one sentence.

The rules are data (checks/rules.py, RULES); this engine applies them in this order:

1. NODE rules: each node gets at most one, the first by priority whose trigger codes it has;
2. GROUP and FINDING rules, by priority: a GROUP rule's findings are grouped by code and
   value (a group is skipped when one of the nodes it names already has a cause); a FINDING
   rule makes one cause per finding (an ``exclusive`` one skips nodes that have a cause);
3. the UNEXPLAINED rule: per node, the errors that no cause above explains.

Grouping rule (explainable): a finding is a symptom of a cause when it is about the cause's
node (``node``), names it (``evidence.peer_node`` / ``evidence.nodes``) or names one of its
addresses or blocks (``evidence.peer_address`` / ``address`` / ``router_id`` / ``block``); a
cluster-wide cause explains the cluster-wide findings and its rule's ``also_explains`` codes.
A finding can be a symptom of several causes; ``finding.root_cause`` is the first. A rule with
``only_families`` (the latent AUTODETECTION_RISK) explains only its own node's findings of
those families. The impact counted in a sentence leaves out, for a node we could not see
(unreachable, failed, not in the datastore), the sessions and routes towards nodes with a
visible cause of their own (a ``visible`` rule's trigger codes).
"""
from __future__ import annotations

from ._cause import FINDING, GROUP, NODE, UNEXPLAINED
from ._findings import SEVERITY_RANK
from .checks.rules import RULES

RULE_OF = {code: rule for rule in RULES for code in rule.codes}
VISIBLE_CODES = frozenset(code for rule in RULES if rule.visible for code in rule.trigger)
NODE_RULES = sorted((r for r in RULES if r.scope == NODE), key=lambda r: r.priority)
OTHER_RULES = sorted((r for r in RULES if r.scope in (GROUP, FINDING)), key=lambda r: r.priority)
UNEXPLAINED_RULE = next(r for r in RULES if r.scope == UNEXPLAINED)


def _node_causes(ctx, per_node, causes, claimed):
    for node in ctx.cluster.nodes:
        found = per_node.get(node.name, ())
        codes = {f["code"] for f in found}
        for rule in NODE_RULES:
            if codes.intersection(rule.trigger):
                causes.append(rule.sentence(ctx, node, [f for f in found if f["code"] in rule.codes]))
                claimed.add(node.name)
                break


def _group_causes(ctx, rule, findings, causes, claimed):
    groups = {}
    for item in findings:
        if item["code"] in rule.codes:
            groups.setdefault((item["code"], rule.group_by(item)), []).append(item)
    for dummy, items in sorted(groups.items()):
        names = items[0]["evidence"]["nodes"]
        if any(n in claimed for n in names):
            continue
        causes.append(rule.sentence(ctx, ctx.cluster.by_name[items[0]["node"]], items))
        claimed.update(names)


def _finding_causes(ctx, rule, findings, causes, claimed):
    for item in findings:
        if item["code"] not in rule.codes or (rule.exclusive and item["node"] in claimed):
            continue
        # a datastore-only node (e.g. STALE_CALICO_NODE) has no Node in the model: its cause names it itself
        node = ctx.cluster.by_name.get(item["node"]) if item["node"] is not None else None
        causes.append(rule.sentence(ctx, node, [item]))
        if rule.exclusive:
            claimed.add(item["node"])


def _index_cause(cause, cluster, by_node, by_addr, by_block):
    names = cause.get("nodes") or ([cause["node"]] if cause["node"] else [])
    for addr in cause.get("addresses") or ():     # a node the model does not hold names its addresses
        by_addr.setdefault(addr, []).append(cause)
    for name in names:
        by_node.setdefault(name, []).append(cause)
        node = cluster.by_name.get(name)
        if node is None:
            continue
        for addr in node.addresses():
            by_addr.setdefault(addr, []).append(cause)
        for block in node.blocks or ():
            by_block.setdefault(block, []).append(cause)


def _matching(finding, by_node, by_addr, by_block, cluster_causes):
    ev = finding["evidence"]
    found = []
    keys = [finding["node"], ev.get("peer_node")] + list(ev.get("nodes") or ())
    for key in keys:
        found.extend(by_node.get(key, ()))
    for key in ("peer_address", "address", "router_id"):
        found.extend(by_addr.get(ev.get(key), ()))
    found.extend(by_block.get(ev.get("block"), ()))
    for cause in cluster_causes:
        if finding["node"] is None or finding["code"] in RULE_OF[cause["code"]].also_explains:
            found.append(cause)
    unique = []
    for cause in found:
        if cause not in unique:
            unique.append(cause)
    return unique


def find_root_causes(ctx, findings):
    """Root causes (list of dicts), also setting finding['root_cause'] on every finding they explain."""
    cluster = ctx.cluster
    per_node = {}
    for item in findings:
        per_node.setdefault(item["node"], []).append(item)
    # Nodes whose own trouble we can see: what involves them is not blamed on a node we cannot see.
    ctx.visible = frozenset(item["node"] for item in findings if item["code"] in VISIBLE_CODES)
    causes, claimed = [], set()
    _node_causes(ctx, per_node, causes, claimed)
    for rule in OTHER_RULES:
        if rule.scope == GROUP:
            _group_causes(ctx, rule, findings, causes, claimed)
        else:
            _finding_causes(ctx, rule, findings, causes, claimed)

    by_node, by_addr, by_block = {}, {}, {}
    cluster_causes = [c for c in causes if c["node"] is None and not c.get("nodes")]
    for cause in causes:
        _index_cause(cause, cluster, by_node, by_addr, by_block)
    unexplained = {}
    for item in findings:
        matched = _matching(item, by_node, by_addr, by_block, cluster_causes)
        matched = [c for c in matched if RULE_OF[c["code"]].admits(c, item)]
        if matched:
            item["root_cause"] = matched[0]
            for cause in matched:
                cause["symptoms"].append(item)
        else:
            item["root_cause"] = None
            if item["severity"] == "error":
                unexplained.setdefault(item["node"], []).append(item)
    for name, items in unexplained.items():
        cause = UNEXPLAINED_RULE.sentence(ctx, cluster.by_name.get(name), items)
        cause["symptoms"] = list(items)
        causes.append(cause)

    causes.sort(key=lambda c: SEVERITY_RANK[c["severity"]])
    for i, cause in enumerate(causes, 1):
        cause["id"] = "C%d" % i
        items = cause["symptoms"]
        counts = {}
        for item in items:
            counts[item["code"]] = counts.get(item["code"], 0) + 1
        cause["symptoms"] = [item["id"] for item in items]
        cause["symptom_counts"] = counts
    for item in findings:
        if isinstance(item.get("root_cause"), dict):
            item["root_cause"] = item["root_cause"]["id"]
    return causes


def headline(causes, fail_on="error"):
    """The one-line msg for a failed task: the sentences of the causes at or above fail_on."""
    limit = SEVERITY_RANK.get(fail_on, 0)
    sentences = [c["message"] for c in causes if SEVERITY_RANK[c["severity"]] <= limit]
    return " ".join(sentences)
