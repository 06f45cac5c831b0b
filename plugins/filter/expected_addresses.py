# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter meshdoctor.calico.expected_addresses."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: expected_addresses
short_description: The address each host should peer on, from its inventory variables
version_added: 0.2.0
description:
  - For each host of O(hosts), the address its Calico node should peer on, as
    M(meshdoctor.calico.mesh_check) reads it from the inventory. That is C(meshdoctor_expected_ip) when
    set, else the first IPv4 address of C(ip), C(access_ip), C(ansible_host).
  - Hosts without one are left out. The diagnose role gives the result to
    M(meshdoctor.calico.node_facts) as O(meshdoctor.calico.node_facts#module:probe_addresses).
author:
  - meshdoctor maintainers (@meshdoctor)
positional: hosts
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The inventory names of the hosts.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Probe every play host's BGP port
  meshdoctor.calico.node_facts:
    probe_addresses: "{{ hostvars | meshdoctor.calico.expected_addresses(ansible_play_hosts_all) }}"
"""

RETURN = r"""
_value:
  description: The addresses, in the order of O(hosts), without duplicates.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.meshdoctor.calico.plugins.plugin_utils import _expected


def expected_addresses(hostvars, hosts):
    if not hasattr(hostvars, "get"):
        raise AnsibleFilterError("expected_addresses: the input must be hostvars (a mapping), got %s"
                                 % type(hostvars).__name__)
    out = []
    for host in hosts or ():
        entry = hostvars.get(host) or {}
        inventory = dict((var, entry.get(var)) for var in _expected.INVENTORY_VARS + (_expected.OVERRIDE_VAR,))
        address, _source = _expected.resolve(_expected.candidates(inventory, None), ("inventory", "override"))
        if address and address not in out:
            out.append(address)
    return out


class FilterModule(object):
    def filters(self):
        return {"expected_addresses": expected_addresses}
