# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the variables mesh_check reads out of Ansible's hostvars into plain dicts.

``hostvars[host][key]`` templates the value it returns: for the ``meshdoctor`` facts (a
thousand protocols and routes per node in a large cluster) that costs seconds and hands back
lazy containers. Facts are data, never templates, so they are read untemplated with
``hostvars.raw_get(host)`` (one variable lookup per host); only an inventory variable that
holds a template (``ip: "{{ ... }}"``) goes through the templating ``hostvars[host][key]``.
"""
from __future__ import annotations

from collections.abc import Mapping

from ._expected import INVENTORY_VARS, OVERRIDE_VAR

ADDRESS_VARS = INVENTORY_VARS + (OVERRIDE_VAR,)


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


def plain_hostvars(hostvars, hosts):
    """{host: {"meshdoctor": facts or None, "ip": ..., "access_ip": ..., "ansible_host": ..., ...}}."""
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
            out[host] = {}
            continue
        values = {"meshdoctor": _facts(variables)}
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
