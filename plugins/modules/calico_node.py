#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_node
short_description: Cycle calico-node on a host and wait until its BGP mesh is Established again
version_added: 0.1.0
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.kubectl
description:
  - With O(state=restarted), restarts calico-node so that it detects its address again (after a
    stray bridge was removed or the autodetection method was pinned), then waits until BIRD
    answers on O(bird_socket) and the host's mesh sessions are Established.
  - V(docker) restarts the O(container_name) container through the Docker Engine API
    (C(calicoctl node run) installs). V(systemd) runs C(systemctl restart) on O(unit).
    V(auto) takes V(docker) when the container exists, else V(systemd) when the unit is known
    to systemd, else fails saying what it looked for.
  - V(kubectl) deletes the calico-node pod of O(node_name) (namespace O(namespace), else the
    first of C(calico-system) and C(kube-system) that has one; label O(label_selector),
    C(--field-selector spec.nodeName=<node_name>)) and waits until the
    DaemonSet's new pod (another uid) on that node is Ready. It runs kubectl on the host the
    task runs on, usually a control-plane host reached with C(delegate_to), so it does not look
    at BIRD; run this module again with O(state=converged) on the node itself for that.
    V(kubectl) is never chosen by V(auto).
  - With O(state=converged) nothing is restarted; the module only waits until BIRD on this
    host has every expected session Established.
  - With O(expected_routes), either state also waits until the kernel routes each of those blocks
    via one of its gateways. Sessions come up before routes do, since a BIRD started with C(-R)
    (as calico-node starts it) announces its routes only after End-of-RIB from all its peers.
options:
  state:
    description:
      - V(restarted) cycles calico-node (and waits, see O(wait)); V(converged) only waits.
    type: str
    choices: [restarted, converged]
    default: restarted
  method:
    description:
      - How calico-node is cycled with O(state=restarted).
    type: str
    choices: [auto, kubectl, docker, systemd]
    default: auto
  container_name:
    description:
      - The calico-node container (V(docker) method).
    type: str
    default: calico-node
  unit:
    description:
      - The systemd unit (V(systemd) method). A name that starts with C(-) is refused (it would
        be an option of C(systemctl)); so are empty names, in this and the other name options.
    type: str
    default: calico-node
  docker_socket:
    description:
      - The Docker engine's unix socket (V(docker) and V(auto) methods).
    type: path
    default: /var/run/docker.sock
  label_selector:
    description:
      - Label selector of the calico-node pods.
    type: str
    default: k8s-app=calico-node
  node_name:
    description:
      - The Kubernetes node whose calico-node pod is deleted. Required with O(method=kubectl);
        an empty name is refused (C(spec.nodeName=) would select the pods not yet scheduled).
    type: str
  bird_socket:
    description:
      - BIRD's control socket on this host.
    type: path
    default: /var/run/calico/bird.ctl
  expected_peers:
    description:
      - Peer addresses whose sessions must be Established. Default, every mesh (C(Mesh_))
        protocol BIRD has (every BGP protocol when it has no mesh ones), and at least one.
      - An empty list waits only until BIRD answers (a node without peers).
    type: list
    elements: str
  expected_router_id:
    description:
      - Also wait until BIRD's router id is this address, for example the node's LAN address.
        Must be an IPv4 address.
    type: str
  expected_routes:
    description:
      - Also wait until the main routing table has, for each entry, a unicast route to O(expected_routes[].dst)
        via one of the gateways in O(expected_routes[].via). Read with C(ip -json route) on this host.
      - The remediate role passes the other nodes' blocks via their addresses, from mesh_check's RV(meshdoctor.calico.mesh_check#module:plan).
    type: list
    elements: dict
    suboptions:
      dst:
        description: The block (CIDR), for example V(172.16.2.0/24).
        type: str
        required: true
      via:
        description: The gateways that count as right, for example the owner's address and its VXLAN tunnel address.
        type: list
        elements: str
        required: true
  wait:
    description:
      - Wait for the mesh (or, with V(kubectl), for the new pod to be Ready). With V(false) the
        module returns as soon as the restart was asked for; with O(state=converged) it looks at
        BIRD once and reports RV(converged) without failing.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait, from the restart, before failing. 0 or more.
    type: int
    default: 120
  poll_interval:
    description:
      - Seconds between two looks at BIRD (or at the pods). More than 0.
    type: float
    default: 2
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - O(state=restarted) says what would be restarted (the container, unit or pod it found)
        and restarts nothing (C(changed=true) as "would change").
      - O(state=converged) looks at BIRD once, reports, and does not fail or wait.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: With O(state=restarted), what identifies the running calico-node (container start time, pod name) and
      BIRD's router id, before and after.
notes:
  - On timeout the module fails with the sessions that are not Established, their BGP states
    and last errors, the routes still missing, and the router id; after a restart it fails with C(changed=true).
seealso:
  - module: meshdoctor.calico.docker_bridge
  - module: meshdoctor.calico.autodetection
"""

EXAMPLES = r"""
- name: Cycle calico-node (Docker or systemd install) and wait for the mesh
  meshdoctor.calico.calico_node:
    state: restarted
    expected_router_id: "{{ ansible_host }}"
  register: cycled

- name: Kubernetes - replace the node's calico-node pod from a control-plane host
  meshdoctor.calico.calico_node:
    state: restarted
    method: kubectl
    node_name: "{{ inventory_hostname }}"
    kubeconfig: /etc/kubernetes/admin.conf
  delegate_to: "{{ groups['control_plane'][0] }}"

- name: Kubernetes - then wait on the node itself until its sessions are Established
  meshdoctor.calico.calico_node:
    state: converged
    expected_peers: "{{ groups['calico'] | difference([inventory_hostname]) | map('extract', hostvars, 'ansible_host') | list }}"
    timeout: 180

- name: Wait until this node routes the blocks of two other nodes again
  meshdoctor.calico.calico_node:
    state: converged
    expected_routes:
      - {dst: 172.16.2.0/24, via: [192.168.1.188]}
      - {dst: 172.16.3.0/24, via: [192.168.1.172]}
    timeout: 60
"""

RETURN = r"""
method:
  description: How calico-node was (or would be) cycled; null with O(state=converged).
  returned: always
  type: str
  sample: docker
restarted:
  description: True when calico-node was restarted by this task (false in check mode).
  returned: always
  type: bool
  sample: true
restart_s:
  description: Seconds the restart itself took (container restart, systemctl, or pod delete to new pod Ready).
  returned: when restarted
  type: float
  sample: 2.3
elapsed_s:
  description: Seconds from the restart (or from the start of the wait, with O(state=converged)) until the mesh was Established.
  returned: when the module waited
  type: float
  sample: 7.9
converged:
  description:
    - True when BIRD answered and every expected session was Established (and the router id was the expected one).
    - With V(kubectl), true when the new pod is Ready.
  returned: always
  type: bool
  sample: true
router_id:
  description: BIRD's router id at the end; null when BIRD was not looked at or did not answer.
  returned: always
  type: str
  sample: 192.168.1.188
sessions:
  description: The sessions judged, as last seen; empty when BIRD was not looked at.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: Mesh_192_168_1_172, peer_address: 192.168.1.172, peer_type: mesh, state: up, bgp_state: Established,
       since: "07:33:58", last_error: null, info: Established}
router_id_before:
  description: BIRD's router id before the restart (V(docker) and V(systemd); null when BIRD did not answer).
  returned: when state is restarted and method is not kubectl
  type: str
  sample: 172.19.0.1
routes_missing:
  description: The O(expected_routes) the kernel did not have at the last look, with how it routed them instead (null = not at all).
  returned: always
  type: list
  elements: dict
  sample: [{dst: 172.16.2.0/24, via: [192.168.1.188], found: null}]
reason:
  description: What was still missing when the module stopped looking; null when converged.
  returned: always
  type: str
  sample: null
container:
  description: The container restarted (V(docker)); id and start times before and after.
  returned: when method is docker
  type: dict
  sample: {name: calico-node, id: 9f0e1d2c3b4a, started_before: "2026-11-24T13:40:00.1Z", started_after: "2026-11-24T13:50:01.2Z"}
unit:
  description: The systemd unit restarted (V(systemd)).
  returned: when method is systemd
  type: str
  sample: calico-node
pod:
  description: The pod deleted and its replacement (V(kubectl)).
  returned: when method is kubectl
  type: dict
  sample: {node: ai, namespace: kube-system, deleted: calico-node-7xkqz, deleted_uid: 3d1c0b9e-5f1a-4c7e-9a52-1f0c8b7d6e21, new: calico-node-m4p9d, ready: true}
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._bird import bird_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_options import invalid_options
from ansible_collections.meshdoctor.calico.plugins.module_utils._convergence import (
    invalid_routes,
    judge,
    route_gaps,
    wait_for,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import DockerAPI, DockerAPIError
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import collect_routes
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import (
    CALICO_NAMESPACES,
    Kubectl,
    KubectlError,
    calico_pods,
    delete_pod,
    describe_pod,
    find_binary,
    node_pods,
    replacement,
)

DOCKER_STOP_TIMEOUT = 10


class CalicoNodeManager(object):

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.result = {"changed": False, "method": None, "restarted": False, "converged": False,
                       "router_id": None, "sessions": [], "routes_missing": [], "reason": None}

    def fail(self, msg):
        self.module.fail_json(msg=msg, **self.result)

    # -------------------------------------------------------------- auto
    def docker_container(self):
        """(inspect, reason): the container's inspect data, or why it was not found."""
        if not os.path.exists(self.p["docker_socket"]):
            return None, "no socket at %s" % self.p["docker_socket"]
        try:
            return DockerAPI(self.p["docker_socket"], 10).inspect_container(self.p["container_name"]), None
        except DockerAPIError as exc:
            return None, str(exc)

    def systemd_unit(self):
        """(True, None) when systemd knows the unit, else (False, reason)."""
        systemctl = self.module.get_bin_path("systemctl")
        if not systemctl:
            return False, "no systemctl program"
        rc, out, err = self.module.run_command([systemctl, "show", "--property=LoadState", "--value", "--", self.p["unit"]])
        state = out.strip()
        if rc == 0 and state == "loaded":
            return True, None
        return False, "`systemctl show --property=LoadState %s` said %s" % (self.p["unit"], (state or err.strip() or "rc %s" % rc)[:200])

    def choose_method(self):
        method = self.p["method"]
        if method != "auto":
            return method
        found, docker_reason = self.docker_container()
        if found is not None:
            return "docker"
        ok, unit_reason = self.systemd_unit()
        if ok:
            return "systemd"
        self.fail("method=auto found no calico-node to restart: Docker container %r (%s); systemd unit %r (%s). "
                  "On Kubernetes use method=kubectl with node_name, delegated to a host that has kubectl, then state=converged on the node"
                  % (self.p["container_name"], docker_reason, self.p["unit"], unit_reason))
        return None

    # -------------------------------------------------------------- BIRD
    def kernel_route_gaps(self):
        """The expected_routes this host's kernel lacks ([] when none are expected)."""
        wanted = self.p["expected_routes"]
        if not wanted:
            return []
        routes, warnings = collect_routes(self.module.run_command)
        if not routes and warnings:
            unread = "unreadable: " + "; ".join(warnings)
            return [{"dst": w["dst"], "via": list(w["via"]), "found": unread} for w in wanted]
        return route_gaps(routes, wanted)

    def bird_probe(self):
        bird = bird_state(self.p["bird_socket"], timeout=min(5.0, max(1.0, self.p["poll_interval"] * 2)), details=False)
        gaps = self.kernel_route_gaps()
        done, found, reason = judge(bird, self.p["expected_peers"], self.p["expected_router_id"], gaps)
        return done, (bird, found, reason, gaps)

    def record_bird(self, value):
        bird, found, reason, gaps = value
        self.result.update(router_id=bird.get("router_id") if bird.get("running") else None, sessions=found, reason=reason,
                           routes_missing=gaps, converged=reason is None)

    def wait_bird(self, start, what):
        remaining = max(0.0, self.p["timeout"] - (time.time() - start))
        done, value, dummy = wait_for(self.bird_probe, remaining, self.p["poll_interval"])
        self.record_bird(value)
        self.result["elapsed_s"] = round(time.time() - start, 2)
        if not done:
            self.fail("%s, but after %ss the mesh is not converged: %s (router id %s)"
                      % (what, self.p["timeout"], self.result["reason"], self.result["router_id"]))

    # -------------------------------------------------------------- methods
    def restart_docker(self):
        name = self.p["container_name"]
        before, reason = self.docker_container()
        if before is None:
            self.fail("method=docker: cannot restart container %r: %s" % (name, reason))
        cinfo = {"name": name, "id": (before.get("Id") or "")[:12], "started_before": (before.get("State") or {}).get("StartedAt"),
                 "started_after": None}
        self.result["container"] = cinfo
        if self.module.check_mode:
            return
        api = DockerAPI(self.p["docker_socket"], 30)
        t0 = time.time()
        try:
            api.restart_container(name, timeout=DOCKER_STOP_TIMEOUT)
        except DockerAPIError as exc:
            self.fail("restarting container %s through the Engine API failed: %s" % (name, exc))
        self.result.update(changed=True, restarted=True, restart_s=round(time.time() - t0, 2))
        try:
            after = api.inspect_container(name)
        except DockerAPIError as exc:
            self.fail("container %s was restarted, but inspecting it afterwards failed: %s" % (name, exc))
        state = after.get("State") or {}
        cinfo["started_after"] = state.get("StartedAt")
        if not state.get("Running"):
            self.fail("container %s was restarted but is not running (status %s, exit code %s, error %r)"
                      % (name, state.get("Status"), state.get("ExitCode"), state.get("Error") or ""))
        return t0

    def restart_systemd(self):
        unit = self.p["unit"]
        self.result["unit"] = unit
        systemctl = self.module.get_bin_path("systemctl")
        if not systemctl:
            self.fail("method=systemd: no systemctl program on this host")
        if self.module.check_mode:
            ok, reason = self.systemd_unit()
            if not ok:
                self.fail("method=systemd: would restart unit %s, but %s" % (unit, reason))
            return None
        t0 = time.time()
        cmd = [systemctl, "restart", "--", unit]
        rc, out, err = self.module.run_command(cmd)
        if rc != 0:
            self.fail("`%s` failed (exit %s): %s" % (" ".join(cmd), rc, (err or out).strip() or "no output"))
        self.result.update(changed=True, restarted=True, restart_s=round(time.time() - t0, 2))
        return t0

    def kubectl_client(self):
        name = self.p["kubectl"]
        binary = find_binary(name, self.module.get_bin_path)
        if not binary:
            self.fail("method=kubectl: kubectl program %r not found on this host (PATH=%s)" % (name, os.environ.get("PATH", "")))
        return Kubectl(self.module.run_command, binary, self.p["kubeconfig"], request_timeout=30)

    def restart_kubectl(self):
        p = self.p
        kubectl = self.kubectl_client()
        sel, node = p["label_selector"], p["node_name"]
        try:
            ns, pods = calico_pods(kubectl, p["namespace"], node, selector=sel)
        except KubectlError as exc:
            self.fail("looking up the calico-node pod of node %s failed: %s" % (node, exc))
        lookup = "kubectl get pods -n %s -l %s --field-selector spec.nodeName=%s" % (
            ns or p["namespace"] or " and -n ".join(CALICO_NAMESPACES), sel, node)
        live = [pod for pod in pods if not pod["terminating"]]
        if not live:
            self.fail("no calico-node pod on node %s (`%s` found %s)"
                      % (node, lookup, ", ".join(describe_pod(pod) for pod in pods) or "none"))
        if len(live) > 1:
            self.fail("refusing to guess: %d calico-node pods on node %s: %s" % (len(live), node, ", ".join(describe_pod(pod) for pod in live)))
        old = live[0]
        pinfo = {"node": node, "namespace": ns, "deleted": old["name"], "deleted_uid": old["uid"], "new": None, "ready": False}
        self.result["pod"] = pinfo
        if self.module.check_mode:
            return
        old_uids = set(pod["uid"] for pod in pods)
        t0 = time.time()
        try:
            delete_pod(kubectl, ns, old["name"])
        except KubectlError as exc:
            self.fail("deleting pod %s/%s failed: %s" % (ns, old["name"], exc))
        self.result.update(changed=True, restarted=True)
        if not p["wait"]:
            return

        def probe():
            try:
                new = replacement(node_pods(kubectl, ns, sel, node), old_uids)
            except KubectlError as exc:
                return False, ("error", str(exc))
            return bool(new and new["ready"]), ("pod", new)

        done, (kind, value), dummy = wait_for(probe, p["timeout"], p["poll_interval"])
        waited = round(time.time() - t0, 2)
        self.result.update(restart_s=waited, elapsed_s=waited)
        if kind == "pod" and value is not None:
            pinfo.update(new=value["name"], ready=value["ready"])
        if not done:
            if kind == "error":
                seen = "the last lookup failed: %s" % value
            elif value is None:
                seen = "no new pod was created (is the DaemonSet controller working? can the pod be scheduled on %s?)" % node
            else:
                seen = "new pod %s" % describe_pod(value)
            self.fail("deleted pod %s/%s, but after %ss no new calico-node pod on %s is Ready: %s"
                      % (ns, old["name"], p["timeout"], node, seen))
        self.result.update(reason=None, converged=True)

    # -------------------------------------------------------------- run
    def run(self):
        p = self.p
        if p["state"] == "converged":
            if self.module.check_mode or not p["wait"]:
                dummy, value = self.bird_probe()
                self.record_bird(value)
                return self.result
            self.wait_bird(time.time(), "waited for calico-node")
            return self.result
        method = self.choose_method()
        self.result["method"] = method
        if self.module.check_mode:
            self.result["changed"] = True
        if method == "kubectl":
            self.restart_kubectl()
            return self.result
        before = bird_state(p["bird_socket"], timeout=2.0, details=False)
        self.result["router_id_before"] = before.get("router_id")
        t0 = self.restart_docker() if method == "docker" else self.restart_systemd()
        if not self.module.check_mode and p["wait"]:
            self.wait_bird(t0, "restarted calico-node (%s)" % method)
        return self.result

    def diff(self):
        cont, pod = self.result.get("container") or {}, self.result.get("pod") or {}
        before = {"router_id": self.result.get("router_id_before"), "container_started": cont.get("started_before"),
                  "pod": pod.get("deleted")}
        if self.module.check_mode:
            after = dict(before, container_started="(restarted)" if cont else None, pod="(new pod)" if pod else None,
                         router_id=None)
        else:
            after = {"router_id": self.result.get("router_id"), "container_started": cont.get("started_after"), "pod": pod.get("new")}
        return {"before": dict((k, v) for k, v in before.items() if v is not None),
                "after": dict((k, v) for k, v in after.items() if v is not None)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["restarted", "converged"], default="restarted"),
            method=dict(type="str", choices=["auto", "kubectl", "docker", "systemd"], default="auto"),
            container_name=dict(type="str", default="calico-node"),
            unit=dict(type="str", default="calico-node"),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            kubectl=dict(type="str", default="kubectl"),
            kubeconfig=dict(type="path"),
            namespace=dict(type="str"),
            label_selector=dict(type="str", default="k8s-app=calico-node"),
            node_name=dict(type="str"),
            bird_socket=dict(type="path", default="/var/run/calico/bird.ctl"),
            expected_peers=dict(type="list", elements="str"),
            expected_router_id=dict(type="str"),
            expected_routes=dict(type="list", elements="dict", options=dict(
                dst=dict(type="str", required=True),
                via=dict(type="list", elements="str", required=True),
            )),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=120),
            poll_interval=dict(type="float", default=2),
        ),
        required_if=[("method", "kubectl", ["node_name"])],
        supports_check_mode=True,
    )
    bad = invalid_options(module.params)
    routes = invalid_routes(module.params["expected_routes"])
    if routes:
        bad.append("expected_routes: %s" % "; ".join(routes))
    if bad:
        module.fail_json(msg="; ".join(bad))
    manager = CalicoNodeManager(module)
    result = manager.run()
    if module._diff and module.params["state"] == "restarted":
        result["diff"] = manager.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
