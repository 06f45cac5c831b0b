#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: datastore_node
short_description: Delete a stale Calico node (a host that is gone for good) from Calico's datastore
version_added: 0.2.0
description:
  - Deletes Calico's record of a node whose host no longer exists, so that no node keeps a
    BGP session to it and its address blocks are free again. This is the fix of the
    C(STALE_CALICO_NODE) finding of M(meshdoctor.calico.mesh_check).
  - "etcdv3: through etcd's v3 JSON gateway, as M(meshdoctor.calico.datastore_info) reads it:
    the Node resource C(/calico/resources/v3/projectcalico.org/nodes/<name>), its block
    affinities C(/calico/ipam/v2/host/<name>/...) and every block affine to it that holds no
    address (a block that still holds addresses is kept and listed in C(blocks_kept))."
  - "Kubernetes: through C(kubectl): the Kubernetes Node (which is Calico's node there) and its
    C(blockaffinities.crd.projectcalico.org); calico-kube-controllers releases the blocks."
  - Run it once, on a host that reaches the datastore. It never deletes anything that is not
    named in O(name); whether the node is really gone is for the caller to decide (the
    C(meshdoctor.calico.remediate) role deletes only nodes that diagnose found stale and that
    C(meshdoctor_delete_stale_nodes) names).
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.datastore
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports what would be deleted (RV(deleted)) and deletes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Any host that reaches the datastore.
    support: full
    platforms: posix
options:
  name:
    description: The Calico node's name (the datastore's, e.g. as the mesh_check finding names it).
    type: str
    required: true
  state:
    description: Only V(absent) is supported.
    type: str
    choices: [absent]
    default: absent
notes:
  - With O(datastore=auto), etcdv3 is used when O(etcd_endpoints) is given, else Kubernetes.
seealso:
  - module: meshdoctor.calico.datastore_info
  - module: meshdoctor.calico.mesh_check
"""

EXAMPLES = r"""
- name: Delete the Calico node of a host that was decommissioned
  meshdoctor.calico.datastore_node:
    name: hp
    datastore: etcdv3
    etcd_endpoints: ["https://192.168.1.196:2379"]
    etcd_ca_cert: /etc/kubernetes/pki/etcd/ca.crt
    etcd_cert: /etc/kubernetes/pki/etcd/peer.crt
    etcd_key: /etc/kubernetes/pki/etcd/peer.key

- name: Same with the Kubernetes datastore, first only showing what would go
  meshdoctor.calico.datastore_node:
    name: old-worker-3
    datastore: kubernetes
    kubeconfig: /etc/kubernetes/admin.conf
  check_mode: true
  diff: true
"""

RETURN = r"""
node:
  description: The node's name.
  returned: always
  type: str
  sample: hp
datastore:
  description: The datastore used, C(etcdv3) or C(kubernetes).
  returned: always
  type: str
  sample: etcdv3
deleted:
  description: What was (or, in check mode, would be) deleted, as etcd keys or C(kind/name).
  returned: always
  type: list
  elements: str
  sample: ["/calico/resources/v3/projectcalico.org/nodes/hp", "/calico/ipam/v2/host/hp/ipv4/block/172.16.3.0-24"]
blocks:
  description: The node's blocks that are released.
  returned: always
  type: list
  elements: str
  sample: [172.16.3.0/24]
blocks_kept:
  description: Blocks affine to the node that still hold addresses, left in place (etcdv3).
  returned: always
  type: list
  elements: str
  sample: []
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
  sample: {before: {node: hp, exists: true, ipv4_address: 192.168.1.172/24, blocks: [172.16.3.0/24],
                    keys: [/calico/resources/v3/projectcalico.org/nodes/hp]},
           after: {node: hp, exists: false, ipv4_address: null, blocks: [], keys: []}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import OPTIONS_REQUIRED_BY, OPTIONS_SPEC, DatastoreError
from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore_delete import (
    EtcdGateway,
    etcd_apply,
    etcd_plan,
    kubernetes_apply,
    kubernetes_plan,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import Kubectl, KubectlError


def _etcd(module, name):
    errors = []
    for endpoint in module.params["etcd_endpoints"]:
        gateway = EtcdGateway(endpoint, module.params["timeout"], module.params["etcd_ca_cert"] or None,
                              module.params["etcd_cert"] or None, module.params["etcd_key"] or None)
        try:
            plan = etcd_plan(gateway, name)
        except DatastoreError as exc:
            errors.append(str(exc))
            continue
        return plan, (lambda: etcd_apply(gateway, plan))
    module.fail_json(msg="no etcd endpoint answered while looking up Calico node %s: %s"
                     % (name, "; ".join(errors) or "no etcd_endpoints given"))


def _kubernetes(module, name):
    binary = module.get_bin_path(module.params["kubectl"]) or module.params["kubectl"]
    kubectl = Kubectl(module.run_command, binary, module.params["kubeconfig"] or None)
    plan = kubernetes_plan(kubectl, name)
    return plan, (lambda: kubernetes_apply(kubectl, plan))


def main():
    argument_spec = dict(name=dict(type="str", required=True),
                         state=dict(type="str", choices=["absent"], default="absent"))
    argument_spec.update(OPTIONS_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, required_by=OPTIONS_REQUIRED_BY, supports_check_mode=True)
    name = module.params["name"].strip()
    if not name or "/" in name:
        module.fail_json(msg="name must be a Calico node name (no '/'), got %r" % module.params["name"])
    datastore = module.params["datastore"]
    if datastore == "auto":
        datastore = "etcdv3" if module.params["etcd_endpoints"] else "kubernetes"
    if datastore == "etcdv3" and not module.params["etcd_endpoints"]:
        module.fail_json(msg="datastore=etcdv3 needs etcd_endpoints")
    try:
        plan, apply = (_etcd if datastore == "etcdv3" else _kubernetes)(module, name)
        changed = bool(plan["keys"])
        if changed and not module.check_mode:
            apply()
    except (DatastoreError, KubectlError) as exc:
        module.fail_json(msg="deleting Calico node %s from the %s datastore failed: %s" % (name, datastore, exc))
    before = {"node": name, "exists": plan["exists"], "ipv4_address": plan["ipv4_address"],
              "blocks": plan["blocks"] + plan["blocks_kept"], "keys": list(plan["keys"])}
    after = {"node": name, "exists": False, "ipv4_address": None, "blocks": list(plan["blocks_kept"]), "keys": []}
    result = dict(changed=changed, node=name, datastore=datastore, deleted=plan["keys"], blocks=plan["blocks"],
                  blocks_kept=plan["blocks_kept"])
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
