# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the variables mesh_check reads out of Ansible's hostvars into plain dicts.

``hostvars[host][key]`` templates the value it returns: for the ``meshdoctor`` facts (a
thousand protocols and routes per node in a large cluster) that costs seconds and hands back
lazy containers. Facts are data, never templates, so they are read untemplated with
``hostvars.raw_get(host)`` (one variable lookup per host); only an inventory variable that
holds a template (``ip: "{{ ... }}"``) goes through the templating ``hostvars[host][key]``.

With ``results_var``, the same lookup also yields how node_facts went on the host: the
outcome keys (``unreachable``, ``failed``, ``msg``) of the result registered under that
name, as ``RESULT_KEY`` - so that a role never has to gather them over the hosts in Jinja.

``datastore_from_host`` picks the datastore out of one host's facts (node_facts read it there,
in the same run), or says why there is none.
"""
from __future__ import annotations

from collections.abc import Mapping

from ._expected import INVENTORY_VARS, OVERRIDE_VAR

ADDRESS_VARS = INVENTORY_VARS + (OVERRIDE_VAR,)
RESULT_KEY = "node_facts_result"
OUTCOME_KEYS = ("unreachable", "failed", "skipped", "msg")


def _get(mapping, key):
    """mapping[key]; None when it is missing or cannot be templated (an undefined variable counts as unset)."""
    try:
        return mapping[key]
    except Exception:  # pylint: disable=broad-except
        return None


def _is_template(value):
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _facts(variables):
    facts = _get(variables, "meshdoctor")
    if not facts:
        ansible_facts = _get(variables, "ansible_facts")
        if isinstance(ansible_facts, Mapping):
            facts = _get(ansible_facts, "meshdoctor")
    return facts or None


def _outcome(variables, results_var):
    """The outcome keys of the result registered as results_var, or None when there is none."""
    registered = _get(variables, results_var)
    if not isinstance(registered, Mapping):
        return None
    outcome = {}
    for key in OUTCOME_KEYS:
        value = _get(registered, key)
        if value is not None:
            outcome[key] = str(value) if key == "msg" else bool(value)
    return outcome


def plain_hostvars(hostvars, hosts, results_var=None):
    """{host: {"meshdoctor": facts or None, "ip": ..., "access_ip": ..., "ansible_host": ..., ...}}.

    With results_var, each host's entry also has RESULT_KEY: the outcome of the result it
    registered under that name ({unreachable, failed, skipped, msg}), or None.
    """
    raw_get = getattr(hostvars, "raw_get", None)
    out = {}
    for host in hosts:
        if raw_get is not None:
            try:
                variables = raw_get(host)
            except Exception:  # pylint: disable=broad-except  # a host Ansible does not know
                variables = None
        else:
            variables = _get(hostvars, host)
        if not isinstance(variables, Mapping):
            out[host] = {RESULT_KEY: None} if results_var else {}
            continue
        values = {"meshdoctor": _facts(variables)}
        if results_var:
            values[RESULT_KEY] = _outcome(variables, results_var)
        templated = None
        for key in ADDRESS_VARS:
            value = _get(variables, key)
            if raw_get is not None and _is_template(value):
                if templated is None:
                    templated = _get(hostvars, host) or {}
                value = _get(templated, key)
            values[key] = None if value is None else str(value)
        out[host] = values
    return out


def datastore_from_host(host, values, outcome):
    """The datastore result that node_facts set on HOST (its ``meshdoctor.datastore`` fact).

    VALUES is HOST's plain_hostvars entry (None when Ansible does not know the host), OUTCOME how
    node_facts went there ({unreachable, failed, msg} or None). When there is nothing to read, a
    result that says the datastore is unreachable and why, naming the host.
    """
    def unreachable(reason):
        return {"datastore": None, "reachable": False, "reason": reason, "nodes": {}, "calico_node_pods": []}

    outcome = outcome or {}
    detail = (": %s" % outcome["msg"]) if outcome.get("msg") else ""
    if values is None:
        return unreachable("datastore host %s is not in the inventory" % host)
    if outcome.get("unreachable"):
        return unreachable("datastore host %s was unreachable%s" % (host, detail))
    if outcome.get("failed"):
        return unreachable("node_facts failed on datastore host %s%s" % (host, detail))
    facts = values.get("meshdoctor") if isinstance(values, Mapping) else None
    if not isinstance(facts, Mapping):
        return unreachable("datastore host %s has no meshdoctor facts (node_facts did not run there; "
                           "is it a host of the play?)" % host)
    stored = facts.get("datastore")
    if not isinstance(stored, Mapping):
        return unreachable("node_facts on datastore host %s did not read the datastore (no datastore option)" % host)
    return stored


def registered_results(plain, override=None):
    """{host: outcome} from plain_hostvars' RESULT_KEY entries; override (mesh_check's results) wins per host."""
    results = {}
    for host, values in plain.items():
        outcome = values.get(RESULT_KEY) if isinstance(values, Mapping) else None
        if outcome:
            results[host] = outcome
    results.update(override or {})
    return results
