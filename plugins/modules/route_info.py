#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: route_info
short_description: List the node's routes, including the ones BIRD programs for Calico
version_added: 0.1.0
description:
  - Lists the routes of the given tables with their type (unicast, blackhole, unreachable...),
    destination, gateway, device, protocol (C(bird), C(kernel)...), scope, preferred source,
    metric and flags such as C(onlink).
  - Reads C(ip -json route show table TABLE) (iproute2); with an iproute2 too old to print
    routes as JSON it parses C(ip route) text and warns.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.attributes.read_only
  - meshdoctor.calico.attributes.iproute2
options:
  tables:
    description: Routing tables to list (names such as C(main) or numbers).
    type: list
    elements: str
    default: [main]
  family:
    description: Address family to list.
    type: str
    choices: [ipv4, ipv6, all]
    default: ipv4
seealso:
  - module: meshdoctor.calico.node_facts
"""

EXAMPLES = r"""
- name: List the main table
  meshdoctor.calico.route_info:
  register: main

- name: Routes BIRD installed
  ansible.builtin.debug:
    msg: "{{ main.routes | selectattr('protocol', 'equalto', 'bird') }}"

- name: IPv4 and IPv6 routes of the main and local tables
  meshdoctor.calico.route_info:
    tables: [main, local]
    family: all
"""

RETURN = r"""
routes:
  description: Routes in the order the kernel lists them, table by table, IPv4 first.
  returned: always
  type: list
  elements: dict
  contains:
    table:
      description: Routing table.
      type: str
      returned: always
      sample: main
    family:
      description: V(ipv4) or V(ipv6).
      type: str
      returned: always
      sample: ipv4
    type:
      description: Route type.
      type: str
      returned: always
      sample: unicast
    dst:
      description: Destination in CIDR form (C(default) becomes C(0.0.0.0/0), a host route gets C(/32)).
      type: str
      returned: always
      sample: 172.16.3.0/24
    gateway:
      description: Next hop, null when none.
      type: str
      returned: always
      sample: 192.168.1.172
    dev:
      description: Output device, null for blackhole routes.
      type: str
      returned: always
      sample: tunl0
    protocol:
      description: Who installed the route.
      type: str
      returned: always
      sample: bird
    scope:
      description: Route scope.
      type: str
      returned: always
      sample: global
    prefsrc:
      description: Preferred source address, else null.
      type: str
      returned: always
      sample: null
    metric:
      description: Metric, else null.
      type: int
      returned: always
      sample: null
    flags:
      description: Route flags.
      type: list
      elements: str
      returned: always
      sample: [onlink]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import collect_routes
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            tables=dict(type="list", elements="str", default=["main"]),
            family=dict(type="str", choices=["ipv4", "ipv6", "all"], default="ipv4"),
        ),
        supports_check_mode=True,
    )
    ip = module.get_bin_path("ip")
    if not ip:
        module.fail_json(msg="ip (iproute2) was not found on PATH: cannot list routes")
    family = module.params["family"]
    families = ("ipv4", "ipv6") if family == "all" else (family,)
    routes, warnings = collect_routes(module.run_command, tables=module.params["tables"], families=families, ip=ip)
    failed = [w for w in warnings if w.startswith("could not read")]
    if not routes and failed and len(failed) == len(module.params["tables"]) * len(families):
        module.fail_json(msg="; ".join(failed))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, routes=json_safe(routes))


if __name__ == "__main__":
    main()
