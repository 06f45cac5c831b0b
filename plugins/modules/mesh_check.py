#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mesh_check
short_description: Analyse the Calico node-to-node BGP mesh of all hosts together
version_added: 0.1.0
description:
  - Runs on the controller only (an action plugin); it runs no module on any host.
  - Reads the C(meshdoctor) facts that M(meshdoctor.calico.node_facts) set on every host in O(hosts), what
    Calico's datastore says (read by node_facts on O(datastore_host), or given as O(datastore)) and each
    host's expected address, and checks the cluster
    as a whole - every node's address, the N x (N-1) matrix of directed C(Mesh_) BGP sessions, routes to
    every other node's blocks, latent autodetection risks and stray Docker bridges.
  - Groups the findings under root causes and tells each in one sentence, writes C(report.json),
    C(junit.xml) and C(report.html) to O(report_dir) and fails when a finding reaches O(fail_on).
  - The finding codes are listed in C(docs/findings.md); the report format in C(docs/report-schema.md) and, as a
    JSON Schema, C(docs/report.schema.json); the metrics in C(docs/metrics.md).
author:
  - meshdoctor maintainers (@meshdoctor)
requirements:
  - netaddr (on the controller)
  - jmespath (on the controller, only for O(query))
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The analysis changes nothing; reports are written in check mode too.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  hosts:
    description:
      - The hosts of the cluster, e.g. C(ansible_play_hosts_all).
      - Each host's variables are read from C(hostvars) - the C(meshdoctor) facts and the inventory variables
        C(ip), C(access_ip), C(ansible_host) and C(meshdoctor_expected_ip).
    type: list
    elements: str
    required: true
  results_var:
    description:
      - The variable each host registered the result of M(meshdoctor.calico.node_facts) in (with
        C(ignore_unreachable) and C(failed_when=false), as the C(meshdoctor.calico.diagnose) role does).
      - mesh_check reads its C(unreachable), C(failed) and C(msg) from every host's variables itself, untemplated,
        so no play has to gather them over the hosts.
      - A host that did not register it counts as collected when it has C(meshdoctor) facts.
        An empty string reads nothing.
    type: str
    default: __meshdoctor_node_facts
  results:
    description:
      - Per host, how collecting its facts went - a dict with C(unreachable) (bool), C(failed) (bool) and C(msg) (str).
      - An explicit override of what O(results_var) reads, host by host, for a play that collects the facts its own way.
      - A host that is unreachable, failed, or has no C(meshdoctor) facts is reported
        (C(HOST_UNREACHABLE) or C(COLLECTION_FAILED)) and the other hosts are analysed all the same.
    type: dict
  datastore:
    description:
      - The result of M(meshdoctor.calico.datastore_info) (may say C(reachable=false)).
      - An explicit override of O(datastore_host). Without either, Calico's stored addresses and blocks are
        not compared.
    type: dict
  datastore_host:
    description:
      - The host where M(meshdoctor.calico.node_facts) read the datastore (its O(meshdoctor.calico.node_facts#module:datastore)
        option), when O(datastore) is not given. The datastore is read from that host's C(meshdoctor.datastore)
        fact, untemplated, like the other facts.
      - When that host was unreachable, its collection failed (per O(results_var) or O(results)), or its facts carry
        no datastore, the datastore counts as unreachable and C(DATASTORE_UNREACHABLE) names the host and why.
      - It need not be one of O(hosts).
    type: str
  expected_address_sources:
    description:
      - Where the address each node should peer on comes from, in this order.
      - V(inventory) - the host variable C(ip), then C(access_ip), then C(ansible_host) (only IPv4 addresses).
      - V(kubernetes) - the node's Kubernetes InternalIP from O(datastore).
      - V(override) - the host variable C(meshdoctor_expected_ip), which always wins when it is set.
      - An empty list means the default.
    type: list
    elements: str
    choices: [inventory, kubernetes, override]
    default: [inventory, kubernetes, override]
  report_dir:
    description: The directory (on the controller) the reports are written to; created when missing.
    type: path
    default: ./meshdoctor-report
  formats:
    description:
      - Which reports to write - V(json) (C(report.json)), V(junit) (C(junit.xml)), V(html) (C(report.html)),
        V(text) (C(summary.txt)), V(prometheus) (C(meshdoctor.prom), metrics in the format of the node exporter's
        textfile collector, see C(docs/metrics.md)). An empty list writes none.
      - Each file is written to a temporary name in O(report_dir) and renamed, so a reader never sees half a file.
      - A report that cannot be written is a warning, never a failure.
    type: list
    elements: str
    choices: [json, junit, html, text, prometheus]
    default: [json, junit, html]
  history:
    description:
      - How many report.json files to keep in C(history/) under O(report_dir), named
        C(report-<UTC time>.json), this run's included. V(0) keeps none.
      - When set, each root cause gets C(first_seen) (the time of the earliest kept run from which on it was there
        without a break) in C(report.json), and C(report.html) shows it. A cause is the same in two runs when it has
        the same code and node, or, for C(AUTODETECTION_RISK) and the C(ADDRESS_*) causes, the same node and
        interface - a latent risk and the outage it predicted are one cause.
      - Only when O(formats) is not empty.
    type: int
    default: 0
  metrics_max_pairs:
    description:
      - The V(prometheus) report writes one C(meshdoctor_bgp_session_established) sample per directed session
        only while the cluster has at most this many (N x (N-1)); above it only the per-node families.
    type: int
    default: 10000
  run_started:
    description:
      - Unix time the run started (e.g. when the role began), for the run duration in C(report.json) and the
        metrics. Without it, the duration is that of the analysis alone.
    type: float
  fail_on:
    description: Fail the task when a finding of this severity or worse exists.
    type: str
    choices: [error, warning, never]
    default: error
  ignore:
    description: Finding codes to leave out of the findings, the root causes, the verdict and the reports.
    type: list
    elements: str
    default: []
  query:
    description: A JMESPath expression applied to the list of findings; its result is returned as RV(selected).
    type: str
  plan_hosts:
    description:
      - The inventory hosts RV(plan) repairs, healthy or not (hosts not in O(hosts) are left out).
      - Empty for every host with an error root cause that removing a Docker bridge, pinning the
        autodetection and cycling calico-node can repair.
    type: list
    elements: str
    default: []
  delete_stale:
    description:
      - Calico node names RV(plan) may delete from the datastore (its C(delete) list), each only when the
        analysis found it stale (C(STALE_CALICO_NODE)); a named node that is in the datastore but not stale is
        refused (its C(delete_refused) list), one that is not in the datastore (any more) is left alone.
    type: list
    elements: str
    default: []
  plan_pin:
    description:
      - The C(IP_AUTODETECTION_METHOD) remediate will pin before it cycles calico-node (its
        C(meshdoctor_pin_autodetection)); unset when it pins nothing.
      - The plan predicts, for every planned host, the address calico-node takes after the planned
        bridge removals and this pin, and refuses (RV(plan) C(refused)) a host that would come back on
        another address than its expected one.
    type: str
  plan_remove_bridges:
    description:
      - Whether remediate removes the Docker bridges the root causes name (its C(meshdoctor_remove_bridges));
        the prediction of RV(plan) counts them as gone only then.
    type: bool
    default: true
notes:
  - The analysis is plain Python on the controller (C(plugins/plugin_utils)); 1000 nodes take well under a second.
seealso:
  - module: meshdoctor.calico.node_facts
  - module: meshdoctor.calico.datastore_info
"""

EXAMPLES = r"""
- name: Collect every node's facts and, on the first control-plane host, the datastore; keep failures
  meshdoctor.calico.node_facts:
    datastore: "{{ {'kubeconfig': '/etc/kubernetes/admin.conf'} if inventory_hostname == groups['kube_control_plane'][0] else omit }}"
  register: node_facts_result
  ignore_unreachable: true
  failed_when: false

- name: Analyse the mesh of every host of the play
  meshdoctor.calico.mesh_check:
    hosts: "{{ ansible_play_hosts_all }}"
    results_var: node_facts_result
    datastore_host: "{{ groups['kube_control_plane'][0] }}"
    report_dir: meshdoctor-report
  run_once: true
  register: __meshdoctor_check

- name: Show the summary table and the root causes
  ansible.builtin.debug:
    msg: "{{ __meshdoctor_check.summary_text.splitlines() }}"
  run_once: true

- name: Only list the session problems, never fail
  meshdoctor.calico.mesh_check:
    hosts: "{{ ansible_play_hosts_all }}"
    fail_on: never
    formats: []
    query: "[?starts_with(code, 'SESSION_')].{node: node, code: code, peer: evidence.peer_node}"
  run_once: true
"""

RETURN = r"""
summary:
  description: Counts over the whole cluster.
  returned: always
  type: dict
  sample: {nodes: 4, errors: 14, warnings: 0, infos: 1, root_causes: 1, sessions_total: 12,
           sessions_established: 6, routes_total: 12, routes_ok: 6, datastore: reachable}
findings:
  description: Every finding - C(id), C(code), C(severity), C(check), C(node), C(message), C(evidence), C(root_cause).
  returned: always
  type: list
  elements: dict
root_causes:
  description:
    - The causes that explain the findings, worst first. Each has C(id), C(severity), C(code), C(node) (the Calico
      node name), C(host) (its inventory host; null for a cluster-wide cause), C(message)
      (the one sentence), C(interface), C(detected_address), C(expected_address), C(expected_interface),
      C(bridge) (C(name), C(network_name), C(compose_project), C(container_count), C(orphaned), C(created)) or null,
      C(fix), C(pin_methods), C(symptoms) (finding ids), C(symptom_counts), C(sessions_down), C(sessions_total)
      and C(nodes_without_route).
    - An address cause also has C(monitor) (calico-node's address monitor - C(present), C(redetects),
      C(interval) in seconds, C(switches_back)) and, when the monitor moved the address at runtime,
      C(switched_at) (its log time), C(switched_by), C(switched_from), C(bridge_created) (Docker's C(Created))
      and C(seconds_after_bridge).
    - A cause shared by several nodes (C(DUPLICATE_ADDRESS), C(DUPLICATE_ROUTER_ID)) also has C(nodes) and C(hosts).
  returned: always
  type: list
  elements: dict
plan:
  description:
    - The repair the C(meshdoctor.calico.remediate) role carries out, decided here so the role loops over no host.
    - C(hosts) - the inventory hosts to repair, in play order (O(plan_hosts), else every host with a repairable
      error root cause).
    - C(by_host) - per planned host C(node), C(causes) (root-cause ids), C(expected_address), C(expected_router_id)
      (null when C(CALICO_ROUTER_ID) sets it), C(deployment) of calico-node, C(bridges) to remove (C(name),
      C(network_name), C(compose_project), C(container_count), C(containers) (names), C(pin_methods)) and
      C(monitor) (C(redetects), C(interval) in seconds, C(switches_back)) of calico-node's address monitor.
    - C(bridges_in_use) - those bridges that containers use, each with C(host), C(node) and C(monitor_interval)
      (e.g. C(60s) when the node's address monitor re-detects, so only a pin repairs it; else null) too; they are
      never removed, and C(pin_needed) is true when there is one.
    - C(refused) - the hosts left out of C(hosts) because cycling calico-node would bring them back on another
      address than their expected one (after the planned bridge removals and O(plan_pin)), with C(host), C(node),
      C(expected_address), C(predicted_address), C(predicted_interface), C(method), C(pin), C(bridge),
      C(containers), C(pin_methods) (pins that select the expected address) and C(message).
    - C(hold) - per planned host whose address monitor re-detects, the seconds (two poll intervals) the repaired
      address must hold before the closing diagnose.
    - C(causes) - the error root causes of the planned hosts; C(not_repaired) - the error root causes no repair
      applies to; each as C(id), C(code), C(host), C(node), C(message).
    - C(converge) - per play host, what it must show once the repair is done, as options of
      M(meshdoctor.calico.calico_node) with O(meshdoctor.calico.calico_node#module:state=converged) - C(expected_peers)
      (the other nodes' addresses; absent without a node-to-node mesh) and C(expected_routes) (the other
      nodes' blocks, C(dst), with the gateways that count, C(via)). Hosts an error root cause names that
      the plan does not repair are left out. Empty when nothing is planned. When stale nodes are deleted,
      C(expected_peers) is left out (every mesh session counts, so the wait lasts until their protocols are gone).
    - C(stale_nodes) - the stale Calico nodes found (C(node), C(address), C(blocks), C(message)); C(delete) - those
      of them O(delete_stale) names, which the remediate role deletes; C(delete_refused) - names of O(delete_stale)
      that are datastore nodes but not stale (C(node), C(reason)).
    - C(text) - the plan in one line.
  returned: always
  type: dict
  sample: {hosts: [ai], by_host: {ai: {node: ai, causes: [C1], expected_address: 192.168.1.188,
           expected_router_id: 192.168.1.188, deployment: docker, bridges: [{name: br-cddff8a3b81c,
           network_name: gerrit_default, compose_project: gerrit, container_count: 0, containers: [],
           pin_methods: [interface=eno1]}],
           monitor: {redetects: false, interval: 60.0, switches_back: false}}},
           causes: [{id: C1, code: ADDRESS_ON_DOCKER_BRIDGE, host: ai, node: ai, message: "ai: calico-node autodetected 172.19.0.1 ..."}],
           not_repaired: [], bridges_in_use: [], pin_needed: false, refused: [], hold: {},
           converge: {master: {expected_peers: [192.168.1.188, 192.168.1.172, 192.168.1.121],
           expected_routes: [{dst: 172.16.1.0/24, via: [192.168.1.121]}, {dst: 172.16.2.0/24, via: [192.168.1.188]},
           {dst: 172.16.3.0/24, via: [192.168.1.172]}]}},
           text: "Repair, one node at a time: ai."}
nodes:
  description: A row per node - C(name), C(host), C(status), C(expected_address), C(expected_source), C(calico_address),
    C(address_ok), C(sessions_up), C(sessions_total), C(routes_ok), C(routes_total), C(routes_missing),
    C(stray_bridges), C(worst), C(findings), C(calico_version), C(autodetection_method).
  returned: always
  type: list
  elements: dict
summary_text:
  description: The terminal summary - a table row per node, then the root causes.
  returned: always
  type: str
report_files:
  description: Absolute paths of the reports written (with O(history), the kept copy of C(report.json) too).
  returned: always
  type: list
  elements: str
  sample: [/home/me/meshdoctor-report/report.json]
selected:
  description: The result of O(query) applied to RV(findings).
  returned: when O(query) is set
  type: raw
verdict:
  description:
    - V(fail) when a finding reaches O(fail_on) (the task then fails), else V(pass).
    - "With C(failed_when: false) on the task, a role can print RV(summary_text) first and fail afterwards
      on this verdict with only RV(msg), instead of Ansible printing the whole result."
  returned: always
  type: str
  sample: fail
headline:
  description: The sentences of all error and warning root causes, one line (empty when there are none).
  returned: always
  type: str
msg:
  description: When the task fails, the root-cause sentences; otherwise the counts.
  returned: always
  type: str
  sample: >-
    ai: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c (docker network gerrit_default) instead of
    192.168.1.188 on eno1; 6 of 12 BGP sessions are down and 3 nodes have no route to 172.16.2.0/24; remove the
    bridge and restart calico-node (playbooks/remediate.yml), and pin IP_AUTODETECTION_METHOD so it cannot recur.
"""

from ansible.module_utils.basic import AnsibleModule

# The one definition of the arguments: the action plugin validates its task arguments against it,
# and ansible-test validate-modules checks it against DOCUMENTATION.
ARGUMENT_SPEC = dict(
    hosts=dict(type="list", elements="str", required=True),
    results_var=dict(type="str", default="__meshdoctor_node_facts"),
    results=dict(type="dict"),
    datastore=dict(type="dict"),
    datastore_host=dict(type="str"),
    expected_address_sources=dict(type="list", elements="str", choices=["inventory", "kubernetes", "override"],
                                  default=["inventory", "kubernetes", "override"]),
    report_dir=dict(type="path", default="./meshdoctor-report"),
    formats=dict(type="list", elements="str", choices=["json", "junit", "html", "text", "prometheus"],
                 default=["json", "junit", "html"]),
    history=dict(type="int", default=0),
    metrics_max_pairs=dict(type="int", default=10000),
    run_started=dict(type="float"),
    fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
    ignore=dict(type="list", elements="str", default=[]),
    query=dict(type="str"),
    plan_hosts=dict(type="list", elements="str", default=[]),
    delete_stale=dict(type="list", elements="str", default=[]),
    plan_pin=dict(type="str"),
    plan_remove_bridges=dict(type="bool", default=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="meshdoctor.calico.mesh_check runs on the controller as an action plugin; "
                         "it cannot run as a module on a host")


if __name__ == "__main__":
    main()
