#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: datastore_info
short_description: Read each node's BGP address, tunnel addresses and blocks from Calico's datastore
version_added: 0.1.0
description:
  - Reads, for every node, the BGP address Calico stored (what the other nodes peer with),
    IPIP/VXLAN tunnel addresses, AS number, block affinities and, with the Kubernetes
    datastore, the node's InternalIP and the calico-node pods.
  - "etcdv3: through etcd's v3 JSON gateway (C(POST <endpoint>/v3/kv/range)) at Calico's key
    layout, trying O(etcd_endpoints) in order. Kubernetes: through O(kubectl) (node
    annotations C(projectcalico.org/IPv4Address)..., C(blockaffinities.crd.projectcalico.org),
    the C(k8s-app=calico-node) pods)."
  - Run it once, on a control-plane host. An unreachable datastore is reported
    (RV(reachable=false), RV(reason)) unless O(fail_on_unreachable) is set.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.datastore
  - meshdoctor.calico.attributes.read_only
attributes:
  platform:
    description: Any host that reaches the datastore.
    support: full
    platforms: posix
options:
  fail_on_unreachable:
    description: Fail instead of returning RV(reachable=false) when the datastore cannot be read.
    type: bool
    default: false
seealso:
  - module: meshdoctor.calico.node_facts
"""

EXAMPLES = r"""
- name: Read the etcdv3 datastore
  meshdoctor.calico.datastore_info:
    datastore: etcdv3
    etcd_endpoints: ["https://192.168.1.196:2379"]
    etcd_ca_cert: /etc/kubernetes/pki/etcd/ca.crt
    etcd_cert: /etc/kubernetes/pki/etcd/peer.crt
    etcd_key: /etc/kubernetes/pki/etcd/peer.key
  register: calico_datastore
  run_once: true

- name: Read the Kubernetes datastore
  meshdoctor.calico.datastore_info:
    kubeconfig: /etc/kubernetes/admin.conf
  run_once: true
"""

RETURN = r"""
datastore:
  description: The datastore type read (V(etcdv3) or V(kubernetes)), null when none could be chosen.
  returned: always
  type: str
  sample: etcdv3
reachable:
  description: Whether the datastore answered.
  returned: always
  type: bool
reason:
  description: Why it could not be read, else null.
  returned: always
  type: str
nodes:
  description: Per node name, what the datastore says about it.
  returned: always
  type: dict
  sample:
    ai:
      ipv4_address: 172.19.0.1/16
      ipv4_ipip_tunnel_addr: null
      ipv4_vxlan_tunnel_addr: null
      ipv6_address: null
      as_number: null
      internal_ip: null
      blocks: [172.16.2.0/24]
calico_node_pods:
  description: Kubernetes only, the calico-node pods with name, node, ready, phase, env and image.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import (
    OPTIONS_REQUIRED_BY,
    OPTIONS_SPEC,
    read_datastore,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe


def main():
    module = AnsibleModule(
        argument_spec=dict(OPTIONS_SPEC, fail_on_unreachable=dict(type="bool", default=False)),
        required_by=OPTIONS_REQUIRED_BY,
        supports_check_mode=True,
    )
    params = module.params
    result, warnings = read_datastore(module.run_command, module.get_bin_path, params)
    for warning in warnings:
        module.warn(warning)
    if not result["reachable"] and params["fail_on_unreachable"]:
        module.fail_json(msg="Calico datastore (%s) unreachable: %s" % (result["datastore"] or params["datastore"], result["reason"]),
                         **result)
    module.exit_json(changed=False, **json_safe(result))


if __name__ == "__main__":
    main()
