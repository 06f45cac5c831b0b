# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address each node should peer on ("expected address"), and where it came from.

Sources, tried in the order of ``expected_address_sources``:

- ``inventory``: the host's inventory variables ``ip``, then ``access_ip``, then
  ``ansible_host`` (kubespray's conventions); only IPv4 addresses count, so an
  ``ansible_host`` that is a host name is skipped.
- ``kubernetes``: the node's Kubernetes InternalIP, as the datastore read (node_facts or datastore_info).
- ``override``: the host variable ``meshdoctor_expected_ip``. When it is set it always wins,
  wherever ``override`` stands in the list (and even when the list leaves it out).

Of the other candidates, the first one that is on one of the node's interfaces wins: an
``ansible_host`` that is a public (NATed) address is not what the node peers on.
"""
from __future__ import annotations

from ._addr import bare, is_ipv4

DEFAULT_SOURCES = ("inventory", "kubernetes", "override")
INVENTORY_VARS = ("ip", "access_ip", "ansible_host")
OVERRIDE_VAR = "meshdoctor_expected_ip"


def candidates(inventory_vars, ds_node):
    """Every source's answer for one node: {"inventory:ip": "...", "kubernetes": ..., ...}."""
    found = {}
    for var in INVENTORY_VARS:
        value = inventory_vars.get(var)
        if value not in (None, ""):
            found["inventory:" + var] = str(value)
    if ds_node and ds_node.get("internal_ip"):
        found["kubernetes"] = str(ds_node["internal_ip"])
    override = inventory_vars.get(OVERRIDE_VAR)
    if override not in (None, ""):
        found["override"] = str(override)
    return found


def resolve(found, sources=DEFAULT_SOURCES, local=None):
    """(address, source) from candidates(); (None, None) when no source gives an IPv4 address.

    local: the IPv4 addresses on the node's interfaces, when known. A candidate that is on none
    of them (a NAT/public ``ansible_host``, say) is passed over for the next one that is; when
    none is, the first candidate stands (the node may have lost the address).
    """
    override = found.get("override")
    if override and is_ipv4(override):
        return bare(override), "override"
    ordered = []
    for source in sources or DEFAULT_SOURCES:
        if source == "inventory":
            ordered.extend("inventory:" + var for var in INVENTORY_VARS)
        elif source == "kubernetes":
            ordered.append("kubernetes")
    valid = [(bare(found[key]), key) for key in ordered if found.get(key) and is_ipv4(found[key])]
    if not valid:
        return None, None
    if local:
        for address, key in valid:
            if address in local:
                return address, key
    return valid[0]
