#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: interface_info
short_description: List the node's network interfaces with their kind, state and addresses
version_added: 0.1.0
description:
  - Lists every link of the node with its index, name, kind (bridge, veth, ipip, vxlan,
    wireguard, dummy, tun, loopback, ether or other), operational state, flags, MTU, MAC
    address, master and IPv4/IPv6 addresses.
  - Reads C(ip -json -details addr show) (iproute2), never human-readable text.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.attributes.read_only
  - meshdoctor.calico.attributes.iproute2
options: {}
seealso:
  - module: meshdoctor.calico.node_facts
"""

EXAMPLES = r"""
- name: List interfaces
  meshdoctor.calico.interface_info:
  register: links

- name: Show the bridges
  ansible.builtin.debug:
    msg: "{{ links.interfaces | selectattr('kind', 'equalto', 'bridge') | map(attribute='name') }}"
"""

RETURN = r"""
interfaces:
  description: Every link, ordered by index.
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: Interface index.
      type: int
      returned: always
      sample: 46
    name:
      description: Interface name.
      type: str
      returned: always
      sample: br-cddff8a3b81c
    kind:
      description: Link kind from C(linkinfo.info_kind); C(loopback)/C(ether) when there is none.
      type: str
      returned: always
      sample: bridge
    state:
      description: Operational state as the kernel says it.
      type: str
      returned: always
      sample: UP
    flags:
      description: Link flags.
      type: list
      elements: str
      returned: always
      sample: [BROADCAST, MULTICAST, UP, LOWER_UP]
    mtu:
      description: MTU.
      type: int
      returned: always
      sample: 1500
    mac:
      description: MAC address, null when the link has none.
      type: str
      returned: always
      sample: "02:42:e4:19:ef:2b"
    master:
      description: Bridge or bond the link is enslaved to, else null.
      type: str
      returned: always
      sample: null
    ipv4:
      description: IPv4 addresses.
      type: list
      elements: dict
      returned: always
      sample: [{address: 172.19.0.1, prefixlen: 16, cidr: 172.19.0.1/16, scope: global}]
    ipv6:
      description: IPv6 addresses.
      type: list
      elements: dict
      returned: always
      sample: [{address: "fe80::42:e4ff:fe19:ef2b", prefixlen: 64, cidr: "fe80::42:e4ff:fe19:ef2b/64", scope: link}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import collect_interfaces
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    if not module.get_bin_path("ip"):
        module.fail_json(msg="ip (iproute2) was not found on PATH: cannot list interfaces")
    interfaces, warnings = collect_interfaces(module.run_command, ip=module.get_bin_path("ip"))
    if not interfaces and warnings:
        module.fail_json(msg="; ".join(warnings))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, interfaces=json_safe(interfaces))


if __name__ == "__main__":
    main()
