# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a node comes back after the repair: the address calico-node will autodetect once the
planned bridges are gone and the pin (if any) is written, predicted before anything changes.

Cycling calico-node on a node whose at-risk bridge stays (containers use it, or nothing named
it: BIRD was simply lost) brings the node back on the bridge's address - an outage made by the
repair. The plan refuses such a node up front (``refusal``), naming the bridge, its containers
and a pin that works.

The prediction reuses calico-node's own rules (module_utils/_autodetect.choose) on the node's
interfaces, without the bridges the plan removes. It never runs a pattern a node reports: a
node's own interface=/skip-interface= method is taken from the node's prediction, and left
unknown when the removals change it; the operator's pin is evaluated here. can-reach= depends
on the node's routing and is left unknown too. Unknown never refuses.
"""
from __future__ import annotations

import re
import shlex

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import choose

from ._addr import bare, is_ipv4

# Methods whose argument is a pattern: evaluated here only when the operator gave them (a pin).
PATTERN_METHODS = ("interface=", "skip-interface=")
PLAIN = re.compile(r"[A-Za-z0-9_.:@%,-]*")
# _prediction.exact_interface_pin's literal form: ^NAME$ with special characters as [c] or \x{hex}.
EXACT = re.compile(r"\^(?:[A-Za-z0-9_:@%-]|\[[^\]]\]|\\x\{[0-9a-f]+\})*\$")


def _no_reach(dest, *args, **kwargs):
    raise OSError("can-reach=%s depends on the node's routing: not predicted on the controller" % dest)


def _interfaces(node, removed):
    value = (node.facts or {}).get("interfaces")
    return [i for i in value if isinstance(i, dict) and i.get("name") not in removed] if isinstance(value, list) else []


def _calico_version(node):
    value = (node.autodetection or {}).get("calico_version") or (node.calico or {}).get("calico_version")
    return value if isinstance(value, str) else None


def _prediction(address=None, interface=None, method=None, reason=None):
    return {"address": bare(address) if address else None, "interface": interface, "method": method, "reason": reason}


def after_repair(node, removed=(), pin=None):
    """{address, interface, method, reason}: what calico-node picks at its next start on NODE once
    the bridges REMOVED are gone and PIN (an IP_AUTODETECTION_METHOD, or None) is set. ADDRESS None:
    cannot be predicted here (REASON says why)."""
    removed = set(removed or ())
    env = (node.calico or {}).get("env") or {}
    ip_env = env.get("IP") if isinstance(env, dict) else None
    if ip_env and is_ipv4(ip_env):
        return _prediction(ip_env, None, "IP=%s" % ip_env, "IP is set: no autodetection")
    pred = node.autodetection or {}
    method = pin or pred.get("method") or (node.calico or {}).get("autodetection_method") or "first-found"
    if not isinstance(method, str):
        return _prediction(reason="the node reports no autodetection method")
    if pin is None and (method.startswith(PATTERN_METHODS) or method.startswith("can-reach=")):
        configured = pred.get("configured") or {}
        if configured.get("address") and configured.get("interface") not in removed:
            return _prediction(configured.get("address"), configured.get("interface"), method)
        return _prediction(method=method, reason="%s as the node configures it is not evaluated on the controller" % method)
    choice = choose(method, _interfaces(node, removed), calico_version=_calico_version(node), reach=_no_reach)
    if not choice.get("address"):
        return _prediction(method=method, reason=choice.get("reason") or "no address")
    return _prediction(choice["address"], choice.get("interface"), method)


def _plain_pattern(method):
    """True unless METHOD is interface=/skip-interface= with regex syntax beyond '.' in it. The
    candidates are made from the node's own interface names: a NIC named (a+)+$ must not become
    a pattern the controller runs."""
    if not method.startswith(PATTERN_METHODS):
        return True
    pattern = method.split("=", 1)[1]
    return PLAIN.fullmatch(pattern) is not None or EXACT.fullmatch(pattern) is not None


def working_pins(node, candidates, removed=()):
    """The CANDIDATES (IP_AUTODETECTION_METHOD values) that, as a pin, bring NODE back on its
    expected address (can-reach= pins, which cannot be checked here, are kept; pattern pins
    with regex syntax in them are left out)."""
    out = []
    # Pins the controller can check first; can-reach= (kept unchecked) last.
    for method in sorted(candidates, key=lambda m: m.startswith("can-reach=")):
        if not _plain_pattern(method):
            continue
        got = after_repair(node, removed, pin=method)
        if got["address"] == node.expected or (got["address"] is None and method.startswith("can-reach=")):
            out.append(method)
    return out


def refusal(node, host, removed, pin, pin_candidates):
    """None when cycling calico-node on NODE brings it back on its expected address (or that
    cannot be predicted); else the plan's refusal entry, with a message that names the bridge,
    its containers and a pin that works."""
    if not node.expected or node.facts is None:
        return None
    got = after_repair(node, removed, pin)
    if got["address"] is None or got["address"] == node.expected:
        return None
    ifname = got["interface"]
    bridge = (node.bridges or {}).get(ifname) if ifname else None
    containers = [c.get("name") or c.get("id") or "(unnamed)" for c in (bridge or {}).get("containers") or ()
                  if isinstance(c, dict)]
    pins = working_pins(node, pin_candidates, removed)
    where = "%s on %s" % (got["address"], ifname) if ifname else got["address"]
    if bridge is not None:
        where += " (Docker bridge%s%s)" % (
            " of network %s" % bridge.get("network_name") if bridge.get("network_name") else "",
            ", used by %d container(s): %s" % (len(containers), ", ".join(containers)) if containers else "")
    how = ("with the pin %s" % pin) if pin else ("with %s" % got["method"])
    message = ("%s: refusing to cycle calico-node: %s it would come back on %s instead of %s. Nothing was changed. "
               % (host, how, where, node.expected))
    if pins:
        message += "A pin that selects %s: %s" % (
            node.expected, " or ".join("-e meshdoctor_pin_autodetection=%s" % shlex.quote(p) for p in pins))
    else:
        message += "Pin IP_AUTODETECTION_METHOD to a method that selects %s (e.g. cidr=<the nodes' subnet>)" % node.expected
    if bridge is not None and not pin:
        message += (", or stop those containers and remove bridge %s" if containers else ", or remove bridge %s first "
                    "(meshdoctor.calico.docker_bridge)") % shlex.quote(ifname)
    return {"host": host, "node": node.name, "expected_address": node.expected, "predicted_address": got["address"],
            "predicted_interface": ifname, "method": got["method"], "pin": pin, "containers": containers,
            "bridge": ifname if bridge is not None else None, "pin_methods": pins, "message": message + "."}
