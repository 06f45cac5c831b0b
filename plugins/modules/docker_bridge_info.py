#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: docker_bridge_info
short_description: List the Linux bridges that look like Docker's and what Docker says about them
version_added: 0.1.0
description:
  - Finds every Linux bridge that looks like Docker's (C(docker0), C(br-) followed by 12 hex
    digits, a MAC address starting with C(02:42), or a bridge a Docker network names) and joins
    it with the Docker engine's networks, asked over its unix socket (network id and name, the
    C(com.docker.compose.project) label, IPAM subnets, attached containers).
  - A bridge that looks like Docker's but that no Docker network owns is reported as orphaned.
  - No Docker engine is a normal answer (RV(docker_available=false) with RV(docker_reason)), not a
    failure; the bridges are then listed without Docker's side.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.attributes.read_only
  - meshdoctor.calico.attributes.iproute2
options:
  docker_socket:
    description: Path of the Docker engine's API socket.
    type: path
    default: /var/run/docker.sock
  timeout:
    description: Seconds to wait for each answer of the Docker engine.
    type: float
    default: 5
seealso:
  - module: meshdoctor.calico.node_facts
"""

EXAMPLES = r"""
- name: List Docker bridges
  meshdoctor.calico.docker_bridge_info:
  register: docker

- name: Bridges of docker-compose projects without containers
  ansible.builtin.debug:
    msg: "{{ docker.bridges | selectattr('compose_project') | selectattr('container_count', 'equalto', 0) | map(attribute='name') }}"
"""

RETURN = r"""
docker_available:
  description: Whether the Docker engine answered.
  returned: always
  type: bool
  sample: true
docker_reason:
  description: Why Docker could not be asked, else null.
  returned: always
  type: str
  sample: no socket at /var/run/docker.sock
docker_socket:
  description: The socket asked.
  returned: always
  type: str
  sample: /var/run/docker.sock
docker_version:
  description: The engine's version, null when unavailable.
  returned: always
  type: str
  sample: 20.10.24
bridges:
  description: Bridges that look like Docker's, ordered by interface index.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Bridge name.
      type: str
      returned: always
      sample: br-cddff8a3b81c
    index:
      description: Interface index.
      type: int
      returned: always
      sample: 46
    state:
      description: Operational state.
      type: str
      returned: always
      sample: UP
    mac:
      description: MAC address.
      type: str
      returned: always
      sample: "02:42:e4:19:ef:2b"
    ipv4:
      description: IPv4 addresses in CIDR form.
      type: list
      elements: str
      returned: always
      sample: [172.19.0.1/16]
    network_id:
      description: Full id of the Docker network, null when none owns the bridge.
      type: str
      returned: always
    network_name:
      description: Docker network name.
      type: str
      returned: always
      sample: gerrit_default
    compose_project:
      description: The C(com.docker.compose.project) label, else null.
      type: str
      returned: always
      sample: gerrit
    created:
      description: When Docker created the network (its C(Created), RFC 3339), null without a network.
      type: str
      returned: always
      sample: "2026-11-25T14:03:12.123456789Z"
    subnets:
      description: IPAM subnets.
      type: list
      elements: str
      returned: always
      sample: [172.19.0.0/16]
    containers:
      description: Attached containers.
      type: list
      elements: dict
      returned: always
      sample: [{id: 1a2b3c, name: gerrit-db-1, ipv4: 172.19.0.2/16}]
    container_count:
      description: Number of attached containers (null without Docker).
      type: int
      returned: always
      sample: 0
    default_bridge:
      description: Whether this is C(docker0) / the default C(bridge) network.
      type: bool
      returned: always
    orphaned:
      description: Looks like Docker's but no Docker network owns it (null when Docker could not be asked).
      type: bool
      returned: always
    reason:
      description: Why it was taken for a Docker bridge.
      type: str
      returned: always
      sample: name br-<12 hex>
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import docker_info
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import collect_interfaces
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            timeout=dict(type="float", default=5),
        ),
        supports_check_mode=True,
    )
    ip = module.get_bin_path("ip")
    if not ip:
        module.fail_json(msg="ip (iproute2) was not found on PATH: cannot list bridges")
    interfaces, warnings = collect_interfaces(module.run_command, ip=ip)
    if not interfaces and warnings:
        module.fail_json(msg="; ".join(warnings))
    info, more = docker_info(interfaces, module.params["docker_socket"], module.params["timeout"])
    for warning in warnings + more:
        module.warn(warning)
    module.exit_json(changed=False, **json_safe(info))


if __name__ == "__main__":
    main()
