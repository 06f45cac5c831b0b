#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: docker_bridge
short_description: Remove a stray Docker bridge that calico-node's IP autodetection could pick
version_added: 0.1.0
author:
  - meshdoctor maintainers (@meshdoctor)
description:
  - Removes a Linux bridge left by Docker (typically a docker-compose network's C(br-<12 hex>)),
    the interface calico-node's C(first-found) autodetection takes instead of the node's NIC.
  - When the Docker engine knows the network (its id starts with the 12 hex digits of
    C(br-<id>), its C(com.docker.network.bridge.name) option is O(name), or O(name) is its name
    or id), the network is removed through the Engine API (C(DELETE /networks/<id>)). A bridge
    deleted with C(ip link delete) while Docker still has the network comes back at the next
    Docker start, and the outage with it.
  - Otherwise (an orphaned bridge, or no Docker engine on the host) the link is deleted with
    C(ip link delete).
  - Refuses, saying why and what to do, a bridge with containers attached (it names them), a
    bridge that carries the node's O(expected_address) (on itself or on a port), a bridge with a
    port that is not a container's veth (a NIC, the host's uplink), Docker's default bridge
    (C(docker0), network C(bridge)), a non-Docker bridge with ports enslaved to it, and a
    C(br-<hex>) bridge while the Docker socket exists but the engine does not answer, unless
    O(force=true). A link that is not a bridge, a Docker network that does not use the bridge
    driver, and a bridge Docker did not make (not a Docker network, not named C(docker0) or
    C(br-<12 hex>), no C(02:42) MAC) are always refused.
  - Never deletes with C(ip link delete) a bridge Docker did not create. When a Docker network
    named an existing bridge (C(com.docker.network.bridge.name)), removing the network leaves
    that bridge in place, as Docker itself does.
options:
  name:
    description:
      - The bridge's name (for example V(br-cddff8a3b81c)), or a Docker network's name or id
        (for example V(gerrit_default)).
    type: str
    required: true
  state:
    description:
      - Only V(absent) for now.
    type: str
    choices: [absent]
    default: absent
  force:
    description:
      - Remove even when containers are attached (they are disconnected from the network first,
        and connected again if the removal then fails), when the bridge carries
        O(expected_address), when it is Docker's default bridge, when a non-Docker bridge has
        ports, or when the Docker engine does not answer.
    type: bool
    default: false
  expected_address:
    description:
      - The address the node should use (for Calico), with or without a prefix length, for
        example V(192.168.1.188). A bridge carrying it is refused unless O(force=true).
    type: str
  docker_socket:
    description:
      - The Docker engine's unix socket. When it does not exist the host is taken to have no
        Docker engine.
    type: path
    default: /var/run/docker.sock
  timeout:
    description:
      - Seconds each Docker Engine API request may take.
    type: int
    default: 30
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports what would be removed (RV(removed)) and removes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The bridge's state (link, addresses, Docker network, containers) before and after.
notes:
  - Idempotent; a bridge that is already gone gives C(changed=false).
  - Needs C(ip) (iproute2) on the host, and root (or access to the Docker socket and
    CAP_NET_ADMIN).
seealso:
  - module: meshdoctor.calico.autodetection
  - module: meshdoctor.calico.calico_node
"""

EXAMPLES = r"""
- name: Remove the docker-compose bridge that calico-node took as the node's address
  meshdoctor.calico.docker_bridge:
    name: br-cddff8a3b81c
    expected_address: 192.168.1.188
  register: bridge

- name: Cycle calico-node so that it detects the NIC's address again
  meshdoctor.calico.calico_node:
    state: restarted
  when: bridge is changed

- name: Remove a Docker network's bridge by the network's name, even with containers on it
  meshdoctor.calico.docker_bridge:
    name: gerrit_default
    force: true
"""

RETURN = r"""
removed:
  description: What was removed (in check mode, what would be); null when the bridge was already absent.
  returned: always
  type: dict
  contains:
    name:
      description: The bridge (link) name.
      type: str
      sample: br-cddff8a3b81c
    network_id:
      description: The Docker network's id; null for an orphaned bridge.
      type: str
      sample: cddff8a3b81c0c1e5a0e35bfb3d8c0f3b1f0a2d4e6c8b0a1f3e5d7c9b1a3f5e7
    network_name:
      description: The Docker network's name; null for an orphaned bridge.
      type: str
      sample: gerrit_default
    method:
      description: V(docker-api) (C(DELETE /networks/<id>)) or V(ip-link) (C(ip link delete)).
      type: str
      sample: docker-api
    addresses:
      description: The addresses the bridge carried.
      type: list
      elements: str
      sample: [172.19.0.1/16]
    disconnected:
      description: Containers disconnected from the network first (O(force=true) only).
      type: list
      elements: str
      sample: []
before:
  description: The bridge's state before the task.
  returned: always
  type: dict
  sample:
    name: br-cddff8a3b81c
    requested: br-cddff8a3b81c
    present: true
    link: true
    kind: bridge
    state: DOWN
    addresses: [172.19.0.1/16]
    ports: []
    network_id: cddff8a3b81c0c1e5a0e35bfb3d8c0f3b1f0a2d4e6c8b0a1f3e5d7c9b1a3f5e7
    network_name: gerrit_default
    driver: bridge
    compose_project: gerrit
    containers: []
    default_bridge: false
    docker_available: true
    docker_reason: null
after:
  description: The bridge's state after the task (in check mode, the predicted state). Same keys as RV(before).
  returned: always
  type: dict
  sample: {name: br-cddff8a3b81c, present: false}
diff:
  description: Summaries of RV(before) and RV(after), when diff mode is on.
  returned: when diff mode is on
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._bridge_refusals import (
    blocking,
    bridge_facts,
    match_network,
    refusals,
    summary,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import DockerAPI, DockerAPIError
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import collect_interfaces
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe

LINK_GONE_WAIT = 5.0


class BridgeManager(object):
    """Computes before/after; acts only outside check mode."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = self.params["name"]
        self.api = DockerAPI(self.params["docker_socket"], self.params["timeout"])
        self.ip = module.get_bin_path("ip", required=True)
        self.warnings = []
        self.undone = []

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, **extra)

    def interfaces(self):
        interfaces, warnings = collect_interfaces(self.module.run_command, ip=self.ip)
        if not interfaces:
            self.fail("reading the host's interfaces with `%s -json addr show` failed: %s" % (self.ip, "; ".join(warnings) or "no output"))
        return interfaces

    def gather(self):
        """Bridge facts for NAME, from `ip` and the Docker engine (when it answers)."""
        interfaces = self.interfaces()
        network, available, reason = None, False, None
        try:
            networks = self.api.list_networks()
            available = True
        except DockerAPIError as exc:
            networks, reason = [], exc.reason if exc.status is None else str(exc)
        found = match_network(networks, self.name)
        if found is not None:
            try:
                network = self.api.inspect_network(found["Id"])
            except DockerAPIError as exc:
                if exc.status == 404:
                    network = None
                else:
                    self.fail("inspecting Docker network %s (%s) failed: %s" % (found.get("Name"), found.get("Id"), exc))
        return bridge_facts(self.name, interfaces, network, available, reason)

    def wait_link_gone(self, link_name):
        deadline = time.time() + LINK_GONE_WAIT
        while True:
            if not any(i["name"] == link_name for i in self.interfaces()):
                return True
            if time.time() > deadline:
                return False
            time.sleep(0.2)

    def remove_docker(self, before, removed):
        net_id = before["network_id"]
        label = "%s (%s)" % (before["network_name"], net_id[:12])
        disconnected = []
        if before["containers"] and self.params["force"]:
            for cont in before["containers"]:
                try:
                    status, data = self.api.post("/networks/%s/disconnect" % net_id, body={"Container": cont["id"], "Force": True})
                except DockerAPIError as exc:
                    status, data = None, str(exc)
                if status not in (200, 204):
                    self.undo_disconnect(net_id, disconnected)
                    self.fail("disconnecting container %s from Docker network %s failed: HTTP %s: %s%s"
                              % (cont["name"], label, status, _message(data), self.undo_note(disconnected)), before=before)
                disconnected.append(cont)
            removed["disconnected"] = [c["name"] for c in disconnected]
        try:
            self.api.remove_network(net_id)
        except DockerAPIError as exc:
            if exc.status != 404:  # 404: gone meanwhile, which is what we wanted
                self.undo_disconnect(net_id, disconnected)
                self.fail("removing Docker network %s through the Engine API (DELETE /networks/%s) failed: %s%s"
                          % (label, net_id, exc, self.undo_note(disconnected)), before=before)
        if before["link"] and not self.wait_link_gone(before["name"]):
            if not before["docker_made"]:
                # Docker leaves a bridge it did not create (one the network only named): so do we.
                self.warnings.append("Docker removed network %s; bridge %s stayed, as Docker leaves a bridge it did not create, "
                                     "and was not deleted: it is not Docker's" % (before["network_name"], before["name"]))
                return
            # Docker removed the network but its own link stayed (e.g. the engine runs in another
            # network namespace): delete it too, it can no longer come back.
            self.delete_link(before)
            self.warnings.append("Docker removed network %s but bridge %s stayed; deleted it with `ip link delete`"
                                 % (before["network_name"], before["name"]))

    def undo_disconnect(self, net_id, disconnected):
        self.undone = []
        for cont in disconnected:
            try:
                status, dummy = self.api.post("/networks/%s/connect" % net_id, body={"Container": cont["id"]})
                self.undone.append((cont["name"], status in (200, 204)))
            except DockerAPIError:
                self.undone.append((cont["name"], False))

    def undo_note(self, disconnected):
        if not disconnected:
            return ""
        ok = [n for n, good in self.undone if good]
        bad = [n for n, good in self.undone if not good]
        note = "; connected again: %s" % (", ".join(ok) or "none")
        if bad:
            note += "; COULD NOT connect again (do it by hand: docker network connect): %s" % ", ".join(bad)
        return note

    def delete_link(self, before):
        cmd = [self.ip, "link", "delete", "dev", before["name"]]
        rc, out, err = self.module.run_command(cmd)
        if rc != 0:
            self.fail("deleting bridge %s with `%s` failed (exit %s): %s"
                      % (before["name"], " ".join(cmd), rc, (err or out).strip() or "no output"), before=before)

    def run(self):
        before = self.gather()
        result = {"changed": False, "removed": None, "before": before, "after": before}
        if not before["present"]:
            return self.finish(result)
        stands = blocking(refusals(before, self.params["expected_address"]), self.params["force"])
        if stands:
            self.fail("refusing to remove %s: %s" % (before["name"], " ALSO: ".join(msg for dummy, msg in stands)),
                      refusals=[code for code, dummy in stands], before=before)
        method = "docker-api" if before["network_id"] else "ip-link"
        removed = {"name": before["name"], "network_id": before["network_id"], "network_name": before["network_name"],
                   "method": method, "addresses": before["addresses"], "disconnected": []}
        if before["containers"]:
            removed["disconnected"] = [c["name"] for c in before["containers"]]
        if method == "ip-link" and not before["docker_available"] and before["name"].startswith("br-"):
            self.warnings.append("no Docker engine answered (%s): deleting %s with `ip link delete`; if Docker still has "
                                 "this network, the bridge comes back at the next Docker start" % (before["docker_reason"], before["name"]))
        result.update(changed=True, removed=removed)
        if self.module.check_mode:
            after = dict(before, present=False, link=False, state=None, addresses=[], ports=[], containers=[],
                         network_id=None, network_name=None, driver=None, compose_project=None)
        else:
            if method == "docker-api":
                self.remove_docker(before, removed)
            else:
                self.delete_link(before)
            after = self.gather()
            if after["present"] and (after["network_id"] or before["docker_made"]):
                self.fail("removed %s with %s, but it is still there: %s" % (before["name"], method, summary(after)),
                          changed=True, removed=removed, before=before, after=after)
        result["after"] = after
        return self.finish(result)

    def finish(self, result):
        if self.module._diff:
            result["diff"] = {"before": summary(result["before"]), "after": summary(result["after"])}
        for warning in self.warnings:
            self.module.warn(warning)
        return result


def _message(data):
    if isinstance(data, dict):
        return data.get("message") or str(data)
    return str(data or "no message").strip()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["absent"], default="absent"),
            force=dict(type="bool", default=False),
            expected_address=dict(type="str"),
            docker_socket=dict(type="path", default="/var/run/docker.sock"),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**json_safe(BridgeManager(module).run()))


if __name__ == "__main__":
    main()
