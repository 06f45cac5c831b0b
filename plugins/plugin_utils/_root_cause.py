# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root causes: the few findings that explain the others, each told in one sentence.

Causes, in this order (a node gets at most one):

1. a node whose Calico address is not its expected one (ADDRESS_MISMATCH; told as
   ADDRESS_ON_DOCKER_BRIDGE / ADDRESS_ON_EXCLUDED_INTERFACE when we know where it sits);
2. a group of nodes sharing one Calico address (DUPLICATE_ADDRESS) not explained by 1;
3. a host we could not read (HOST_UNREACHABLE, COLLECTION_FAILED);
4. calico-node not running, or BIRD not answering (CALICO_NODE_DOWN, BIRD_UNREACHABLE);
5. a shared router id (DUPLICATE_ROUTER_ID), a node missing from the datastore
   (NODE_NOT_IN_DATASTORE), the datastore unreadable (DATASTORE_UNREACHABLE);
6. AUTODETECTION_RISK: nothing is broken yet, the cause of the next outage;
7. per node, errors that none of the above explains ("UNEXPLAINED").

Grouping rule (explainable): a finding is a symptom of a cause when it is about the cause's
node (``node``), names it (``evidence.peer_node`` / ``evidence.nodes``) or names one of its
addresses or blocks (``evidence.peer_address`` / ``address`` / ``block``). A finding can be a
symptom of several causes; ``finding.root_cause`` is the first. A latent risk
(AUTODETECTION_RISK) only explains its own node's autodetection and Docker bridge findings.
The impact counted in a sentence leaves out, for a node we could not see (unreachable, failed,
not in the datastore), the sessions and routes towards nodes with a visible cause of their own.
"""
from __future__ import annotations

from ._checks_latent import pinning_methods
from ._findings import SEVERITY_RANK

REMEDIATE = "playbooks/remediate.yml"
ADDRESS_CODES = ("ADDRESS_ON_DOCKER_BRIDGE", "ADDRESS_ON_EXCLUDED_INTERFACE", "ADDRESS_MISMATCH")
VISIBLE_CODES = ("ADDRESS_MISMATCH", "CALICO_NODE_DOWN", "BIRD_UNREACHABLE")
LATENT_CHECKS = ("autodetection", "docker_bridges")
BRIDGE_KEYS = ("name", "network_name", "compose_project", "container_count", "orphaned")


def _plural(n, word, plural=None):
    return "%d %s" % (n, word if n == 1 else (plural or word + "s"))


def _blocks_text(node):
    blocks = list(node.blocks or ())
    if not blocks:
        return "its pod addresses"
    if len(blocks) <= 3:
        return " and ".join(blocks) if len(blocks) <= 2 else ", ".join(blocks[:-1]) + " and " + blocks[-1]
    return "%s's %d blocks" % (node.name, len(blocks))


def impact(node, matrix, coverage, explained=frozenset()):
    """'6 of 12 BGP sessions are down and 3 nodes have no route to 172.16.2.0/24' (+ figures).

    Sessions and routes whose other end is in explained (nodes with a cause of their own that
    we can see, e.g. a wrong address) are not counted.
    """
    name = node.name
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
        text += " and %s %s no route to %s" % (_plural(len(route_nodes), "node"),
                                               "has" if len(route_nodes) == 1 else "have", _blocks_text(node))
    figures = {"sessions_down": down, "sessions_unknown": unknown, "sessions_total": matrix.total_cells,
               "nodes_without_route": route_nodes}
    return text, figures


def _cause(node, code, severity, defining):
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


def _address_cause(cluster, node, found, matrix, coverage):
    codes = {f["code"]: f for f in found}
    main = next(codes[c] for c in ADDRESS_CODES if c in codes)
    mismatch = codes.get("ADDRESS_MISMATCH")
    cause = _cause(node, main["code"], "error", [f for f in found if f["code"] in ADDRESS_CODES])
    if main["code"] == "ADDRESS_MISMATCH":
        interfaces = main["evidence"].get("interfaces") or {}
        detected = node.detected_address if node.detected_address in interfaces else node.calico_address
        if detected not in interfaces and interfaces:
            detected = sorted(interfaces)[0]
        iface = interfaces.get(detected)
    else:
        detected, iface = main["evidence"]["address"], main["evidence"]["interface"]
    bridge = main["evidence"].get("bridge") if main["code"] == "ADDRESS_ON_DOCKER_BRIDGE" else None
    cause.update(interface=iface, detected_address=detected, bridge=bridge)
    if bridge is not None:
        cause["bridge"] = {k: bridge.get(k) for k in BRIDGE_KEYS}

    env = (node.calico or {}).get("env") or {}
    ip_env = env.get("IP")
    if ip_env and ip_env.split("/", 1)[0] == detected:
        how = "calico-node is configured with IP=%s" % ip_env
    elif node.facts is not None and (node.detected_address == detected or not ip_env or ip_env == "autodetect"):
        how = "calico-node autodetected %s" % detected
    else:
        how = "Calico holds %s for it" % detected
    if iface:
        if bridge and bridge.get("orphaned"):
            how += " on %s (a bridge no Docker network owns)" % iface
        elif bridge and bridge.get("network_name"):
            how += " on %s (docker network %s)" % (iface, bridge["network_name"])
        else:
            how += " on %s" % iface
    instead = "instead of %s" % node.expected
    if node.expected_interface:
        instead += " on %s" % node.expected_interface

    methods = pinning_methods(cluster, node)
    cause["pin_methods"] = methods
    if bridge is not None:
        fix = "remove the bridge and restart calico-node (%s), and pin IP_AUTODETECTION_METHOD so it cannot recur" \
            % REMEDIATE
    elif ip_env and ip_env.split("/", 1)[0] == detected:
        fix = "set IP=%s (or IP=autodetect with a pinned IP_AUTODETECTION_METHOD) and restart calico-node (%s)" \
            % (node.expected, REMEDIATE)
    else:
        fix = "pin IP_AUTODETECTION_METHOD (%s) and restart calico-node (%s)" \
            % (" or ".join(methods) if methods else "e.g. interface=<nic>", REMEDIATE)
    text, figures = impact(node, matrix, coverage)
    cause.update(figures)
    cause["fix"] = fix
    cause["message"] = "%s: %s %s; %s; %s." % (node.name, how, instead, text, fix)
    if mismatch is not None:
        cause["sources"] = mismatch["evidence"].get("sources")
    return cause


def _simple_cause(node, code, severity, defining, head, fix, matrix, coverage, explained=frozenset()):
    cause = _cause(node, code, severity, defining)
    text, figures = impact(node, matrix, coverage, explained)
    cause.update(figures)
    cause["fix"] = fix
    cause["detected_address"] = node.calico_address
    cause["message"] = "%s: %s; %s; %s." % (node.name, head, text, fix)
    return cause


def _node_cause(cluster, node, found, matrix, coverage, explained):
    """The cause for one node from its own findings (codes), or None."""
    codes = {f["code"]: f for f in found}
    if any(c in codes for c in ADDRESS_CODES) and "ADDRESS_MISMATCH" in codes:
        return _address_cause(cluster, node, found, matrix, coverage)
    for code, head, fix in (
        ("HOST_UNREACHABLE", "Ansible could not reach host %s (%s)", "make the host reachable and diagnose again"),
        ("COLLECTION_FAILED", "node_facts failed on host %s (%s)", "fix what node_facts reported and diagnose again"),
    ):
        if code in codes:
            return _simple_cause(node, code, "error", [codes[code]],
                                 head % (node.host, node.status_msg or "no message"), fix, matrix, coverage,
                                 explained - {node.name})
    if "CALICO_NODE_DOWN" in codes:
        reason = (node.calico or {}).get("reason") or "no reason given"
        return _simple_cause(node, "CALICO_NODE_DOWN", "error", [codes["CALICO_NODE_DOWN"]],
                             "calico-node is not running (%s)" % reason,
                             "start calico-node again (%s restarts it) and read its log if it does not stay up"
                             % REMEDIATE, matrix, coverage)
    if "BIRD_UNREACHABLE" in codes:
        ev = codes["BIRD_UNREACHABLE"]["evidence"]
        return _simple_cause(node, "BIRD_UNREACHABLE", "error", [codes["BIRD_UNREACHABLE"]],
                             "BIRD does not answer on %s (%s) although calico-node runs"
                             % (ev.get("socket") or "its socket", ev.get("reason") or "no reason given"),
                             "restart calico-node (%s)" % REMEDIATE, matrix, coverage)
    return None


def _index_cause(cause, cluster, by_node, by_addr, by_block):
    names = cause.get("nodes") or ([cause["node"]] if cause["node"] else [])
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
    if finding["node"] is None or finding["code"] == "NODE_NOT_IN_DATASTORE":
        found.extend(cluster_causes)
    unique = []
    for cause in found:
        if cause not in unique:
            unique.append(cause)
    return unique


def find_root_causes(cluster, findings, matrix, coverage):
    """Root causes (list of dicts), also setting finding['root_cause'] on every finding they explain."""
    per_node = {}
    for item in findings:
        per_node.setdefault(item["node"], []).append(item)

    # Nodes whose own trouble we can see: what involves them is not blamed on a node we cannot see.
    visible = {item["node"] for item in findings if item["code"] in VISIBLE_CODES}
    causes = []
    claimed_nodes = set()
    for node in cluster.nodes:
        cause = _node_cause(cluster, node, per_node.get(node.name, ()), matrix, coverage, visible)
        if cause is not None:
            causes.append(cause)
            claimed_nodes.add(node.name)

    # Nodes sharing one address, not explained by a node cause above.
    groups = {}
    for item in findings:
        if item["code"] in ("DUPLICATE_ADDRESS", "DUPLICATE_ROUTER_ID"):
            groups.setdefault((item["code"], item["evidence"].get("address") or item["evidence"].get("router_id")),
                              []).append(item)
    for (code, value), items in sorted(groups.items()):
        names = items[0]["evidence"]["nodes"]
        if any(n in claimed_nodes for n in names):
            continue
        node = cluster.by_name[items[0]["node"]]
        what = "Calico address" if code == "DUPLICATE_ADDRESS" else "BIRD router id"
        cause = _cause(node, code, "error", items)
        text, figures = impact(node, matrix, coverage)
        cause.update(figures)
        cause["detected_address"] = value
        cause["fix"] = "give each node its own address (pin IP_AUTODETECTION_METHOD or set CALICO_ROUTER_ID) " \
            "and restart calico-node (%s)" % REMEDIATE
        cause["message"] = "%s share %s %s; %s; %s." % (", ".join(names), what, value, text, cause["fix"])
        cause["nodes"] = names
        # a name the datastore knows but the play does not has no inventory host
        cause["hosts"] = [cluster.by_name[n].host if n in cluster.by_name else None for n in names]
        causes.append(cause)
        claimed_nodes.update(names)

    for item in per_node.get(None, ()):
        if item["code"] == "DATASTORE_UNREACHABLE":
            cause = _cause(None, item["code"], item["severity"], [item])
            cause["fix"] = "check meshdoctor_datastore, its endpoints and credentials, and diagnose again"
            cause["message"] = "%s; %s." % (item["message"], cause["fix"])
            causes.append(cause)
    for item in findings:
        if item["code"] == "NODE_NOT_IN_DATASTORE" and item["node"] not in claimed_nodes:
            node = cluster.by_name[item["node"]]
            causes.append(_simple_cause(node, item["code"], "warning", [item],
                                        "the Calico datastore has no node named %s" % node.name,
                                        "check calico-node's NODENAME against the host name", matrix, coverage,
                                        visible - {node.name}))
            claimed_nodes.add(node.name)
        elif item["code"] == "AUTODETECTION_RISK":
            node = cluster.by_name[item["node"]]
            cause = _cause(node, item["code"], "warning", [item])
            ev = item["evidence"]
            cause.update(interface=ev.get("predicted_interface"), detected_address=ev.get("predicted_address"),
                         pin_methods=ev.get("pin_methods") or [], message=item["message"] + ".",
                         fix=item["message"].rsplit("; ", 1)[-1])
            if ev.get("bridge"):
                cause["bridge"] = {k: ev["bridge"].get(k) for k in BRIDGE_KEYS}
            causes.append(cause)

    by_node, by_addr, by_block = {}, {}, {}
    cluster_causes = [c for c in causes if c["node"] is None and not c.get("nodes")]
    for cause in causes:
        _index_cause(cause, cluster, by_node, by_addr, by_block)
    unexplained = {}
    for item in findings:
        matched = _matching(item, by_node, by_addr, by_block, cluster_causes)
        # a latent risk explains only its node's autodetection and bridge findings
        matched = [c for c in matched if c["code"] != "AUTODETECTION_RISK"
                   or (item["node"] == c["node"] and item["check"] in LATENT_CHECKS)]
        if matched:
            item["root_cause"] = matched[0]
            for cause in matched:
                cause["symptoms"].append(item)
        else:
            item["root_cause"] = None
            if item["severity"] == "error":
                unexplained.setdefault(item["node"], []).append(item)
    for name, items in unexplained.items():
        node = cluster.by_name.get(name)
        cause = _cause(node, "UNEXPLAINED", "error", [])
        cause["node"] = name
        cause["host"] = node.host if node is not None else None
        cause["fix"] = "look at the findings of %s" % (name or "the cluster")
        cause["message"] = "%s: %s with no cause found here, first: %s" % (
            name or "cluster", _plural(len(items), "error"), items[0]["message"].split(": ", 1)[-1])
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
