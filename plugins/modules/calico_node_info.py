#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_node_info
short_description: Find how calico-node runs on the node, its settings and its autodetection log lines
version_added: 0.1.0
description:
  - Finds calico-node on this host and reports how it runs (C(docker), C(kubernetes),
    C(systemd), C(process) or C(none)), its image and Calico version, the environment variables
    that decide its address (C(IP), C(IP_AUTODETECTION_METHOD), C(CALICO_ROUTER_ID),
    C(NODENAME)...) and the evidence lines of its log (the address it autodetected and on which
    interface, C(IPv4 address has changed), C(is already using the IPv4 address)).
  - "Looks in this order: with O(kubectl), the calico-node pod of this node; a Docker container
    named C(calico-node) (or a Kubernetes one run by Docker) through the engine's API; a process
    found in C(/proc) (Kubernetes pod, systemd unit C(calico-node.service) or plain process)."
  - For Docker, systemd and plain processes, C(/etc/calico/calico.env) overrides the container
    or process environment, as those installs read it.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.attributes.read_only
attributes:
  platform:
    description: Linux hosts.
    support: full
    platforms: posix
options:
  docker_socket:
    description: Path of the Docker engine's API socket.
    type: path
    default: /var/run/docker.sock
  log_lines:
    description: How many of calico-node's most recent log lines to scan.
    type: int
    default: 2000
  kubectl:
    description:
      - Path of C(kubectl). When given, the calico-node pod of O(node_name) is read through the
        Kubernetes API (C(kubectl get pods), C(kubectl logs)) before anything else.
    type: path
  kubeconfig:
    description: Kubeconfig file for O(kubectl).
    type: path
  node_name:
    description: Kubernetes node name of this host for O(kubectl); defaults to the host name.
    type: str
  namespace:
    description:
      - Namespace of the calico-node pods for O(kubectl) (label C(k8s-app=calico-node)).
      - Unset, V(calico-system) (tigera-operator) and then V(kube-system) (manifest, kubespray)
        are looked at.
      - Without O(kubectl), a Kubernetes calico-node's log is read from the kubelet's CRI log
        files of either namespace (C(/var/log/containers), C(/var/log/pods)).
    type: str
seealso:
  - module: meshdoctor.calico.node_facts
"""

EXAMPLES = r"""
- name: How does calico-node run here?
  meshdoctor.calico.calico_node_info:
  register: calico

- name: Read it from the Kubernetes API instead
  meshdoctor.calico.calico_node_info:
    kubectl: /usr/local/bin/kubectl
    kubeconfig: /etc/kubernetes/admin.conf
    node_name: ai
"""

RETURN = r"""
deployment:
  description: How calico-node runs here.
  returned: always
  type: str
  sample: docker
running:
  description: Whether it runs.
  returned: always
  type: bool
reason:
  description: Why it does not run or was not found, else null.
  returned: always
  type: str
container_id:
  description: Docker or CRI container id, else null.
  returned: always
  type: str
image:
  description: Container image, else null.
  returned: always
  type: str
  sample: calico/node:v3.24.5
calico_version:
  description: Calico version from the image tag or C(CALICO_VERSION), else null.
  returned: always
  type: str
  sample: v3.24.5
env:
  description:
    - The variables that matter, null when unset.
    - Read from a pod spec (O(kubectl)), they are resolved as the kubelet resolves them, in list
      order - downward-API fields (C(spec.nodeName), C(status.hostIP), ...) from the pod,
      C($(NAME)) references to earlier entries expanded (kubespray's C(can-reach=$(NODEIP))
      becomes C(can-reach=<host IP>)), C($$) as C($), an undefined reference left as written.
      Values from ConfigMaps or Secrets are null (only the API server could resolve them).
  returned: always
  type: dict
  sample: {IP: autodetect, IP_AUTODETECTION_METHOD: first-found, NODENAME: ai, CALICO_ROUTER_ID: null}
autodetection_method:
  description: The effective IPv4 autodetection method (C(first-found) when unset or empty).
  returned: always
  type: str
  sample: first-found
log_evidence:
  description:
    - Evidence lines of the log, oldest first (kinds C(autodetected), C(address_changed), C(conflict), C(node_updated),
      C(update_failed)), each with the line's own C(time) and the log formatter's C(component) (C(monitor-addresses)
      for calico-node's address monitor); a monitor detection has C(written) (whether the Node was updated with it).
    - On a Docker host the address monitor's own log file (the container's C(/var/log/calico) mount,
      C(monitor-addresses/current)) is merged in by time.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: autodetected
      line: "2018-10-19 06:41:19.968 [INFO][10] startup.go 564: Using autodetected IPv4 address on interface br-cddff8a3b81c: 172.19.0.1/16"
      version: 4
      address: 172.19.0.1/16
      interface: br-cddff8a3b81c
      method: first-found
      original: null
      updated: null
      time: "2018-10-19 06:41:19.968"
      component: null
      written: null
      error: null
detected_address:
  description: Address of the newest IPv4 autodetection line whose write did not fail, else null.
  returned: always
  type: str
  sample: 172.19.0.1/16
detected_interface:
  description: Interface of the newest IPv4 autodetection line, else null.
  returned: always
  type: str
  sample: br-cddff8a3b81c
exit_reason:
  description:
    - What the newest calico-node run's log says went wrong, or null. C(kind) is one of
      C(address_conflict), C(x509), C(unauthorized), C(datastore_unreachable),
      C(invalid_autodetection), C(error), C(stopped); C(summary) says it in words, C(line) is the
      log line, C(detail) its error text, C(node_name) the name calico-node said it runs as, and
      C(conflict) (C(node), C(address)) the other Calico node that holds this node's address.
  returned: always
  type: dict
  sample: {kind: address_conflict, summary: it conflicts with another Calico node, node_name: hp.cluster.internal,
           conflict: {node: hp, address: 192.168.1.172},
           detail: "Calico node 'hp' is already using the IPv4 address 192.168.1.172.",
           line: "2026-11-25 14:31:27.116 [WARNING][1] startup/startup.go 833: Calico node 'hp' is already using the IPv4 address 192.168.1.172."}
process:
  description:
    - The process taken for calico-node when no container or pod was found (C(/proc)), else
      null. Only a process run by root counts; a process named calico-node that runs as
      another user is ignored, with a warning.
  returned: always
  type: dict
  contains:
    pid:
      description: Its process id.
      type: int
    uid:
      description: The user it runs as (always 0).
      type: int
    argv:
      description: Its command line (at most 20 arguments).
      type: list
      elements: str
  sample: {pid: 4242, uid: 0, argv: [/usr/bin/python3, -u, /calico-node-lab/calico-node]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_discovery import calico_node_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            log_lines=dict(type="int", default=2000),
            kubectl=dict(type="path"),
            kubeconfig=dict(type="path"),
            node_name=dict(type="str"),
            namespace=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    if module.params["log_lines"] < 0:
        module.fail_json(msg="log_lines must be 0 or more, got %s" % module.params["log_lines"])
    info, warnings = calico_node_state(
        module.run_command,
        docker_socket=module.params["docker_socket"],
        log_lines=module.params["log_lines"],
        kubectl=module.params["kubectl"],
        kubeconfig=module.params["kubeconfig"],
        node_name=module.params["node_name"],
        namespace=module.params["namespace"],
    )
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, **json_safe(info))


if __name__ == "__main__":
    main()
