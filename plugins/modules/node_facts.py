#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: node_facts
short_description: Gather everything meshdoctor needs from one Calico node in one round trip
version_added: 0.1.0
description:
  - Reads, in one module run, the node's interfaces and main-table routes (iproute2 JSON), the
    Linux bridges that look like Docker's joined with what the Docker engine says about them,
    BIRD's IPv4 and IPv6 state over its control sockets, how calico-node runs here (Docker
    container, Kubernetes pod, systemd unit or process) with its settings and the evidence
    lines of its log, and a prediction of which address calico-node's IP autodetection would
    choose now.
  - Returns it all as C(ansible_facts.meshdoctor) in the shape documented in
    C(docs/facts-schema.md) of the collection. Nothing is changed on the node.
  - What cannot be read (no Docker engine, BIRD not running) is reported in the facts, and as
    C(warnings) when it is unexpected; the module fails only on invalid options.
  - With O(datastore), the same run also reads Calico's datastore, exactly as
    M(meshdoctor.calico.datastore_info) does, and returns it as C(ansible_facts.meshdoctor.datastore).
    Give it on one control-plane host only; diagnosing a cluster then costs one round trip a host.
  - Runs on the node with the Python standard library only; C(ip) (iproute2) must be installed.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.datastore.node_facts
  - meshdoctor.calico.attributes.read_only
  - meshdoctor.calico.attributes.iproute2
attributes:
  facts:
    description: Sets C(ansible_facts.meshdoctor).
    support: full
options:
  bird_socket:
    description: Path of BIRD's (IPv4) control socket as calico-node creates it.
    type: path
    default: /var/run/calico/bird.ctl
  bird6_socket:
    description: Path of BIRD's IPv6 control socket.
    type: path
    default: /var/run/calico/bird6.ctl
  docker_socket:
    description: Path of the Docker engine's API socket. A missing socket is a normal answer.
    type: path
    default: /var/run/docker.sock
  calico_version:
    description:
      - Calico release to model the autodetection prediction on, for example C(v3.24.5).
      - Wins over the version read from calico-node's image or environment; when neither is
        known, the newest behaviour is assumed and a warning says so.
    type: str
  log_lines:
    description: How many of calico-node's most recent log lines to scan for evidence.
    type: int
    default: 2000
  route_tables:
    description: Routing tables to list (names or numbers).
    type: list
    elements: str
    default: [main]
  probe:
    description:
      - Also make a TCP connection to port 179 of every BGP peer, all at once, and report per
        address whether it was C(connected), C(refused), C(timed_out) or C(unreachable)
        (C(ansible_facts.meshdoctor.probe)). The peers are O(probe_addresses) plus every peer
        BIRD is configured with. Nothing is sent; each connection is closed as soon as it
        answers. V(false) leaves C(probe) null.
      - Peers BIRD has an Established session with are not connected to (result C(established)),
        because BIRD with graceful restart, as Calico configures it, would take the connection for
        the peer restarting and reset the session.
    type: bool
    default: true
  probe_addresses:
    description: The addresses the other nodes should peer on (the diagnose role gives every
      play host's expected address). This node's own addresses are left out.
    type: list
    elements: str
    default: []
  probe_timeout:
    description: Seconds each probe connection may take (they all run at the same time).
    type: float
    default: 1.0
notes:
  - Needs root (or access to the sockets and C(/proc)) to see BIRD, Docker and calico-node.
seealso:
  - module: meshdoctor.calico.interface_info
  - module: meshdoctor.calico.route_info
  - module: meshdoctor.calico.docker_bridge_info
  - module: meshdoctor.calico.bird_info
  - module: meshdoctor.calico.calico_node_info
  - module: meshdoctor.calico.datastore_info
"""

EXAMPLES = r"""
- name: Gather meshdoctor facts on every node
  meshdoctor.calico.node_facts:

- name: Model the autodetection of a given release, scan a longer log
  meshdoctor.calico.node_facts:
    calico_version: v3.24.5
    log_lines: 10000

- name: Gather on every node, and read the etcd datastore in the same run on the first control-plane host
  meshdoctor.calico.node_facts:
    datastore: "{{ calico_datastore if inventory_hostname == groups['kube_control_plane'][0] else omit }}"
  vars:
    calico_datastore:
      datastore: etcdv3
      etcd_endpoints: ["https://192.168.1.196:2379"]
      etcd_ca_cert: /etc/kubernetes/pki/etcd/ca.crt
      etcd_cert: /etc/kubernetes/pki/etcd/peer.crt
      etcd_key: /etc/kubernetes/pki/etcd/peer.key

- name: Show which address first-found would pick
  ansible.builtin.debug:
    msg: "{{ ansible_facts.meshdoctor.autodetection.first_found }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: dict
  contains:
    meshdoctor:
      description:
        - Everything gathered, with keys C(schema), C(hostname), C(collected_at), C(duration_s),
          C(interfaces), C(routes), C(docker), C(bird), C(bgp_listeners), C(probe), C(calico_node),
          C(autodetection), C(datastore) and C(warnings); see C(docs/facts-schema.md) and the C(*_info) modules for
          each part.
        - C(datastore) is what M(meshdoctor.calico.datastore_info) returns (C(datastore),
          C(reachable), C(reason), C(nodes), C(calico_node_pods)) when O(datastore) is given, else null.
      returned: always
      type: dict
      sample:
        schema: 1
        hostname: ai
        collected_at: "2026-11-24T13:50:00Z"
        duration_s: 0.21
        interfaces: []
        routes: []
        docker: {docker_available: false, docker_reason: "no socket at /var/run/docker.sock", bridges: []}
        bird: {ipv4: {running: true, router_id: 172.19.0.1, protocols: []}, ipv6: {running: false}}
        bgp_listeners: [{address: 0.0.0.0, port: 179, inode: 35128, pid: 107, program: bird, cmdline: "bird -R -s ..."}]
        probe: {port: 179, timeout: 1.0, duration_s: 0.004,
                peers: {192.168.1.172: {result: refused, detail: Connection refused, seconds: 0.002}}}
        calico_node: {deployment: docker, autodetection_method: first-found}
        autodetection: {method: first-found, first_found: {interface: br-cddff8a3b81c, address: 172.19.0.1/16}}
        datastore: {datastore: etcdv3, reachable: true, reason: null, calico_node_pods: [],
                    nodes: {ai: {ipv4_address: 172.19.0.1/16, blocks: [172.16.2.0/24]}}}
        warnings: []
      contains:
        autodetection:
          description:
            - Which addresses calico-node's IP autodetection would choose now, read with
              calico-node's own grammar (untrimmed method, Go RE2 regexps, Go's ParseCIDR) and
              the default exclusions of its release.
            - A choice is a dict with C(interface), C(address) (CIDR form), C(reason) and
              C(failure) (null when an address is chosen; V(invalid_method) when calico-node
              terminates; V(detection_failed) when it keeps its Node's address or exits without
              one; V(unknown) when it cannot be predicted on the node, for example
              V(kubernetes-internal-ip)).
          returned: always
          type: dict
          contains:
            calico_version:
              description: The release modelled; null when unknown (the newest behaviour is assumed).
              type: str
              returned: always
            method:
              description: IP_AUTODETECTION_METHOD as calico-node reads it (V(first-found) when unset).
              type: str
              returned: always
            exclusions:
              description: The release's default interface exclusions (Go regexps).
              type: list
              elements: str
              returned: always
            configured:
              description: The IPv4 choice of the configured method.
              type: dict
              returned: always
            first_found:
              description: The IPv4 choice of first-found.
              type: dict
              returned: always
            candidates:
              description: Every global-unicast IPv4 address in walk order, with C(excluded_by).
              type: list
              elements: dict
              returned: always
            ipv6:
              description:
                - The IPv6 prediction, null unless calico-node has IPv6 configured (C(IP6) set other
                  than V(none), C(IP6_AUTODETECTION_METHOD) set, or BIRD's IPv6 daemon answering).
              type: dict
              returned: always
              contains:
                method:
                  description: IP6_AUTODETECTION_METHOD as calico-node reads it (V(first-found) when unset).
                  type: str
                detects:
                  description: True when C(IP6=autodetect), i.e. calico-node autodetects IPv6 at every start.
                  type: bool
                configured:
                  description: The IPv6 choice of the configured method.
                  type: dict
                first_found:
                  description: The IPv6 choice of first-found.
                  type: dict
                candidates:
                  description: Every global-unicast IPv6 address in walk order, with C(excluded_by).
                  type: list
                  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import OPTIONS_REQUIRED_BY, OPTIONS_SPEC
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe
from ansible_collections.meshdoctor.calico.plugins.module_utils._node_facts import gather


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bird_socket=dict(type="path", default="/var/run/calico/bird.ctl"),
            bird6_socket=dict(type="path", default="/var/run/calico/bird6.ctl"),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            calico_version=dict(type="str"),
            log_lines=dict(type="int", default=2000),
            route_tables=dict(type="list", elements="str", default=["main"]),
            datastore=dict(type="dict", options=OPTIONS_SPEC, required_by=OPTIONS_REQUIRED_BY),
            probe=dict(type="bool", default=True),
            probe_addresses=dict(type="list", elements="str", default=[]),
            probe_timeout=dict(type="float", default=1.0),
        ),
        supports_check_mode=True,
    )
    if not 0 < module.params["probe_timeout"] <= 30:
        module.fail_json(msg="probe_timeout must be more than 0 and at most 30 seconds, got %s" % module.params["probe_timeout"])
    if module.params["log_lines"] < 0:
        module.fail_json(msg="log_lines must be 0 or more, got %s" % module.params["log_lines"])
    facts = gather(
        module.run_command,
        bird_socket=module.params["bird_socket"],
        bird6_socket=module.params["bird6_socket"],
        docker_socket=module.params["docker_socket"],
        calico_version=module.params["calico_version"],
        log_lines=module.params["log_lines"],
        route_tables=module.params["route_tables"],
        datastore=module.params["datastore"],
        get_bin_path=module.get_bin_path,
        probe=module.params["probe"],
        probe_addresses=module.params["probe_addresses"],
        probe_timeout=module.params["probe_timeout"],
    )
    for warning in facts["warnings"]:
        module.warn(warning)
    module.exit_json(changed=False, ansible_facts={"meshdoctor": json_safe(facts)})


if __name__ == "__main__":
    main()
