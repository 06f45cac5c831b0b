#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: autodetection
short_description: Pin calico-node's IP_AUTODETECTION_METHOD where calico-node reads it
version_added: 0.1.0
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.kubectl
description:
  - Sets (or removes) C(IP_AUTODETECTION_METHOD), the setting that decides which host address
    calico-node takes as its BGP address and BIRD router id, so that a stray interface such as a
    leftover docker-compose bridge cannot be picked again after a reboot.
  - The method is checked the way calico-node parses it before anything is written, because
    calico-node exits with C(Invalid IP autodetection method) on a value it does not know, and
    fails its detection on a regexp or CIDR it cannot parse. The value is not trimmed; lists are
    split on commas with the spaces around them; regexps must be valid Go RE2 (no look-arounds,
    backreferences, C(\Z), atomic groups or possessive quantifiers); each CIDR needs C(/N) (no
    bare address, no dotted netmask).
  - A value calico-node accepts but that is certainly wrong as a pin is refused too, with the
    reason and the value that would work, for example an empty list piece (V(interface=eth0,)),
    which matches every interface.
  - O(mode=kubectl) patches the env of the calico-node container in the calico-node DaemonSet
    with a JSON patch through kubectl. The DaemonSet then replaces every calico-node pod
    according to its C(updateStrategy), one node at a time with the default RollingUpdate.
    Run it once, on a host that has kubectl and a kubeconfig (for example with C(run_once) and
    C(delegate_to)).
  - O(mode=file) edits a C(KEY=VALUE) env file, C(/etc/calico/calico.env) by default, for
    Docker (C(calicoctl node run)) and systemd installs. Other lines and comments are kept,
    the file is written atomically (temporary file and rename, keeping its mode), and it is
    created when missing.
  - A real calico-node container only sees that file when it is passed to it, with
    C(docker run --env-file /etc/calico/calico.env) or the systemd unit's
    C(EnvironmentFile=/etc/calico/calico.env) (the unit C(calicoctl node run --init-system)
    prints has it). The meshdoctor test lab's calico-node reads the file itself, with precedence
    over the container env.
  - In both modes the new value takes effect only when calico-node starts again; in file mode
    cycle it with M(meshdoctor.calico.calico_node) afterwards (RV(restart_required)).
options:
  method:
    description:
      - The value to pin, for example V(kubernetes-internal-ip), V(can-reach=192.168.1.196),
        V(interface=eno1), V(cidr=192.168.1.0/24), V(first-found) or V(skip-interface=br-.*).
      - Required with O(state=present); ignored with O(state=absent).
    type: str
  state:
    description:
      - V(present) pins O(method); V(absent) removes the pin (calico-node then uses first-found).
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - Where to write it.
      - V(auto) takes V(file) when O(env_file) exists; otherwise V(kubectl) when the kubectl program
        is found and a kubeconfig is known (O(kubeconfig), E(KUBECONFIG) or C(~/.kube/config));
        otherwise V(file). RV(mode) says which one was used.
    type: str
    choices: [auto, kubectl, file]
    default: auto
  ip_version:
    description:
      - V(4) manages C(IP_AUTODETECTION_METHOD), V(6) manages C(IP6_AUTODETECTION_METHOD).
    type: int
    choices: [4, 6]
    default: 4
  calico_version:
    description:
      - The Calico release the pin is for, for example V(v3.24.5). A method that release does not
        know (V(cidr=...) before v3.16.0, V(kubernetes-internal-ip) before v3.22.0) is refused.
      - Unset, any release that knows the method is assumed.
    type: str
  env_file:
    description:
      - The env file of O(mode=file).
    type: path
    default: /etc/calico/calico.env
  backup:
    description:
      - In O(mode=file), keep a timestamped copy of the file before changing it.
    type: bool
    default: false
  daemonset:
    description:
      - Name of the calico-node DaemonSet.
    type: str
    default: calico-node
  container:
    description:
      - Name of the calico-node container in the DaemonSet's pod template.
    type: str
    default: calico-node
  timeout:
    description:
      - Seconds each kubectl call may take (C(--request-timeout)).
    type: int
    default: 30
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the current value and reports what would change; writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The whole file (file mode) or the C(NAME=value) line (kubectl mode), before and after.
notes:
  - Idempotent. Values with quotes, line breaks or surrounding whitespace are refused. A value
    with a backslash is written but warned about, since systemd's C(EnvironmentFile=) reads
    backslashes as escapes.
  - In O(mode=kubectl) an env entry that uses C(valueFrom) (for example from a ConfigMap) is
    replaced by a plain value.
seealso:
  - module: meshdoctor.calico.calico_node
  - module: meshdoctor.calico.docker_bridge
"""

EXAMPLES = r"""
- name: Pin the address to the LAN on a Docker / systemd install
  meshdoctor.calico.autodetection:
    method: cidr=192.168.1.0/24
    mode: file
    backup: true
  register: pin

- name: Cycle calico-node so that it re-detects with the pinned method
  meshdoctor.calico.calico_node:
    state: restarted
  when: pin.restart_required | bool

- name: Use the Kubernetes node address for every node (rolls the DaemonSet)
  meshdoctor.calico.autodetection:
    method: kubernetes-internal-ip
    mode: kubectl
    kubeconfig: /etc/kubernetes/admin.conf
  run_once: true
  delegate_to: "{{ groups['control_plane'][0] }}"

- name: Remove the pin again
  meshdoctor.calico.autodetection:
    state: absent
    mode: file
"""

RETURN = r"""
mode:
  description: Where the setting was managed.
  returned: always
  type: str
  sample: file
variable:
  description: The variable managed.
  returned: always
  type: str
  sample: IP_AUTODETECTION_METHOD
before:
  description: The value before the task; null when it was not set.
  returned: always
  type: str
  sample: first-found
after:
  description: The value after the task (in check mode, the value it would have); null when unset.
  returned: always
  type: str
  sample: cidr=192.168.1.0/24
restart_required:
  description:
    - True when the value changed in O(mode=file) and calico-node must be cycled to use it.
      Always false in O(mode=kubectl), where the DaemonSet replaces its pods itself.
  returned: always
  type: bool
  sample: true
env_file:
  description: The file edited (O(mode=file)).
  returned: when mode is file
  type: str
  sample: /etc/calico/calico.env
created:
  description: True when the env file did not exist and was (or would be) created.
  returned: when mode is file
  type: bool
  sample: false
backup_file:
  description: The backup copy made with O(backup=true).
  returned: when a backup was made
  type: str
  sample: /etc/calico/calico.env.12345.2026-11-24@13:50:00~
daemonset:
  description: namespace/name of the DaemonSet patched, and its update strategy (O(mode=kubectl)).
  returned: when mode is kubectl
  type: dict
  sample: {name: calico-node, namespace: kube-system, update_strategy: RollingUpdate}
diff:
  description: Before and after text, when diff mode is on.
  returned: when diff mode is on
  type: dict
  sample: {before: "IP_AUTODETECTION_METHOD=first-found\n", after: "IP_AUTODETECTION_METHOD=cidr=192.168.1.0/24\n"}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_env import (
    get_env,
    read_text,
    set_env,
    unset_env,
    validate_method,
    write_atomic,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import (
    Kubectl,
    KubectlError,
    container_names,
    env_value,
    find_binary,
    find_container,
    template_containers,
)


def _line(variable, value):
    return "" if value is None else "%s=%s\n" % (variable, value)


class AutodetectionManager(object):
    """Computes before/after, acts only outside check mode (community.docker's shape)."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.variable = "IP_AUTODETECTION_METHOD" if self.params["ip_version"] == 4 else "IP6_AUTODETECTION_METHOD"
        self.wanted = self.params["method"] if self.params["state"] == "present" else None
        self.result = {"changed": False, "variable": self.variable, "restart_required": False}

    # -------------------------------------------------------------- mode
    def kubectl_binary(self):
        return find_binary(self.params["kubectl"], self.module.get_bin_path)

    def choose_mode(self):
        mode = self.params["mode"]
        if mode != "auto":
            return mode
        if os.path.exists(self.params["env_file"]):
            return "file"
        if self.kubectl_binary():
            home_config = os.path.join(os.environ.get("HOME") or "/root", ".kube", "config")
            if self.params["kubeconfig"] or os.environ.get("KUBECONFIG") or os.path.exists(home_config):
                return "kubectl"
        return "file"

    # -------------------------------------------------------------- file
    def run_file(self):
        path = self.params["env_file"]
        try:
            exists, before_text = read_text(path)
        except (IOError, OSError, UnicodeDecodeError) as exc:
            self.module.fail_json(msg="reading %s failed: %s" % (path, exc), **self.result)
        before = get_env(before_text, self.variable)
        if self.wanted is None:
            after_text = unset_env(before_text, self.variable)
        else:
            after_text = set_env(before_text, self.variable, self.wanted)
        after = get_env(after_text, self.variable)
        changed = after_text != before_text
        self.result.update(env_file=path, before=before, after=after, changed=changed,
                           created=changed and not exists, restart_required=changed and before != after)
        if self.module._diff:
            self.result["diff"] = {"before": before_text, "after": after_text,
                                   "before_header": path if exists else "%s (absent)" % path, "after_header": path}
        if changed and not self.module.check_mode:
            if exists and self.params["backup"]:
                self.result["backup_file"] = self.module.backup_local(path)
            try:
                write_atomic(path, after_text)
            except (IOError, OSError) as exc:
                self.module.fail_json(msg="writing %s (%s=%s) failed: %s" % (path, self.variable, after, exc), **self.result)
        if changed and not exists:
            self.module.warn("%s did not exist and %s created; calico-node reads it only when it is started with "
                             "--env-file %s or a systemd unit with EnvironmentFile=%s"
                             % (path, "would be" if self.module.check_mode else "was", path, path))

    # -------------------------------------------------------------- kubectl
    def run_kubectl(self):
        p = self.params
        binary = self.kubectl_binary()
        if not binary:
            self.module.fail_json(msg="mode=kubectl: kubectl program %r not found (PATH=%s)" % (p["kubectl"], os.environ.get("PATH", "")),
                                  **self.result)
        kubectl = Kubectl(self.module.run_command, binary, p["kubeconfig"], p["timeout"])
        ns, ds_name, cname = p["namespace"], p["daemonset"], p["container"]
        try:
            ds = kubectl.json(["get", "daemonset", ds_name, "-n", ns])
        except KubectlError as exc:
            self.module.fail_json(msg="reading DaemonSet %s/%s failed: %s" % (ns, ds_name, exc), **self.result)
        containers = template_containers(ds)
        container = find_container(ds, cname)
        if container is None:
            self.module.fail_json(msg="DaemonSet %s/%s has no container %r (containers: %s)"
                                  % (ns, ds_name, cname, ", ".join(str(n) for n in container_names(ds)) or "none"), **self.result)
        cidx = containers.index(container)
        present, before, value_from = env_value(container, self.variable)
        if present and value_from is not None:
            before_repr = "valueFrom %s" % json.dumps(value_from, sort_keys=True)
        else:
            before_repr = before if present else None
        if self.wanted is None:
            changed = present
        else:
            changed = not present or value_from is not None or before != self.wanted
        strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type") or "RollingUpdate"
        self.result.update(before=before_repr, after=self.wanted, changed=changed,
                           daemonset={"name": ds_name, "namespace": ns, "update_strategy": strategy})
        if self.module._diff:
            self.result["diff"] = {"before": _line(self.variable, before_repr), "after": _line(self.variable, self.result["after"]),
                                   "before_header": "daemonset/%s %s env" % (ds_name, cname),
                                   "after_header": "daemonset/%s %s env" % (ds_name, cname)}
        if not changed or self.module.check_mode:
            return
        base = "/spec/template/spec/containers/%d" % cidx
        ops = [{"op": "test", "path": base + "/name", "value": cname}]
        env = container.get("env")
        if self.wanted is None:
            idx = [e.get("name") for e in env].index(self.variable)
            ops += [{"op": "test", "path": "%s/env/%d/name" % (base, idx), "value": self.variable},
                    {"op": "remove", "path": "%s/env/%d" % (base, idx)}]
        elif present:
            idx = [e.get("name") for e in env].index(self.variable)
            ops += [{"op": "test", "path": "%s/env/%d/name" % (base, idx), "value": self.variable},
                    {"op": "replace", "path": "%s/env/%d" % (base, idx), "value": {"name": self.variable, "value": self.wanted}}]
        elif env is None:
            ops.append({"op": "add", "path": base + "/env", "value": [{"name": self.variable, "value": self.wanted}]})
        else:
            ops.append({"op": "add", "path": base + "/env/-", "value": {"name": self.variable, "value": self.wanted}})
        try:
            kubectl.run(["patch", "daemonset", ds_name, "-n", ns, "--type", "json", "-p", json.dumps(ops)])
        except KubectlError as exc:
            self.module.fail_json(msg="patching %s in DaemonSet %s/%s (%s -> %s) failed: %s"
                                  % (self.variable, ns, ds_name, before_repr, self.wanted, exc), **self.result)

    def run(self):
        if self.wanted is not None:
            error, warnings = validate_method(self.wanted, self.params["ip_version"], self.params["calico_version"])
            if error:
                self.module.fail_json(msg=error, **self.result)
            for warning in warnings:
                self.module.warn(warning)
        mode = self.choose_mode()
        self.result["mode"] = mode
        if mode == "file":
            self.run_file()
        else:
            self.run_kubectl()
        return self.result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            method=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            mode=dict(type="str", choices=["auto", "kubectl", "file"], default="auto"),
            ip_version=dict(type="int", choices=[4, 6], default=4),
            calico_version=dict(type="str"),
            env_file=dict(type="path", default="/etc/calico/calico.env"),
            backup=dict(type="bool", default=False),
            kubectl=dict(type="str", default="kubectl"),
            kubeconfig=dict(type="path"),
            namespace=dict(type="str", default="kube-system"),
            daemonset=dict(type="str", default="calico-node"),
            container=dict(type="str", default="calico-node"),
            timeout=dict(type="int", default=30),
        ),
        required_if=[("state", "present", ["method"])],
        supports_check_mode=True,
    )
    module.exit_json(**AutodetectionManager(module).run())


if __name__ == "__main__":
    main()
