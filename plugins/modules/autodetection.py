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
    with a JSON patch through kubectl (C(calico.yaml) manifest and kubespray installs). The
    DaemonSet then replaces every calico-node pod according to its C(updateStrategy), one node
    at a time with the default RollingUpdate. Run it once, on a host that has kubectl and a
    kubeconfig (for example with C(run_once) and C(delegate_to)).
  - On tigera-operator installs the operator owns the DaemonSet and reverts edits to it, so
    O(mode=kubectl) writes the pin into the operator's Installation resource C(default) instead,
    at C(spec.calicoNetwork.nodeAddressAutodetectionV4) (C(V6) with O(ip_version=6)), with a
    merge patch that sets one of C(firstFound), C(interface), C(skipInterface), C(canReach),
    C(cidrs) or C(kubernetes) (V(NodeInternalIP)) and clears the others. The operator then renders
    the method into the DaemonSet and rolls it. The DaemonSet counts as operator-managed when
    an C(ownerReferences) entry names an C(operator.tigera.io) Installation, or when the
    Installation C(default) exists (O(target)).
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
  target:
    description:
      - Where O(mode=kubectl) writes the pin. V(auto) writes it into the operator's Installation
        when the DaemonSet is operator-managed, else into the DaemonSet. V(daemonset) and
        V(installation) force one; V(installation) fails when no Installation can be read.
    type: str
    choices: [auto, daemonset, installation]
    default: auto
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
  - Installations of tigera-operator releases that predate C(cidrs) or C(kubernetes) reject those
    two forms; the API server's message is in the failure.
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
  description:
    - The calico-node DaemonSet found (O(mode=kubectl)), its update strategy and whether tigera-operator manages it.
  returned: when mode is kubectl
  type: dict
  sample: {name: calico-node, namespace: kube-system, update_strategy: RollingUpdate, operator_managed: false}
target:
  description: What O(mode=kubectl) patched (or, in check mode, would patch), V(daemonset) or V(installation).
  returned: when mode is kubectl
  type: str
  sample: installation
installation:
  description: The Installation's autodetection setting before and after (O(mode=kubectl) on operator installs).
  returned: when target is installation
  type: dict
  sample: {name: default, field: spec.calicoNetwork.nodeAddressAutodetectionV4, before: {firstFound: true},
           after: {cidrs: [192.168.1.0/24]}}
patch:
  description:
    - The patch sent with C(kubectl patch) (in check mode, the one that would be sent); null when nothing changes.
      Its C(type) is C(json) for the DaemonSet and C(merge) for the Installation.
  returned: when mode is kubectl
  type: dict
  sample: {type: merge, body: {spec: {calicoNetwork: {nodeAddressAutodetectionV4: {cidrs: [192.168.1.0/24], firstFound: null,
           canReach: null, interface: null, kubernetes: null, skipInterface: null}}}}}
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
from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict
from ansible_collections.meshdoctor.calico.plugins.module_utils._k8s_pin import (
    INSTALLATION_NAME,
    INSTALLATION_RESOURCE,
    autodetection_field,
    daemonset_env_patch,
    installation_patch,
    installation_to_method,
    operator_owner,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import (
    CALICO_NAMESPACES,
    Kubectl,
    KubectlError,
    find_binary,
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
    def find_daemonset(self, kubectl):
        """(namespace, DaemonSet) of the calico-node DaemonSet: in O(namespace), else in
        calico-system (tigera-operator) or kube-system (manifest, kubespray)."""
        name = self.params["daemonset"]
        namespaces = [self.params["namespace"]] if self.params["namespace"] else list(CALICO_NAMESPACES)
        errors = []
        for namespace in namespaces:
            try:
                return namespace, kubectl.json(["get", "daemonset", name, "-n", namespace])
            except KubectlError as exc:
                errors.append(str(exc))
        self.module.fail_json(msg="reading DaemonSet %s in namespace %s failed: %s"
                              % (name, " or ".join(namespaces), "; ".join(errors)), **self.result)
        return None, None

    def find_installation(self, kubectl, daemonset):
        """The operator's Installation `default` when the DaemonSet is operator-managed (owned by
        it, or the Installation exists), else None."""
        target = self.params["target"]
        if target == "daemonset":
            return None
        owner = operator_owner(daemonset)
        try:
            return kubectl.json(["get", INSTALLATION_RESOURCE, (owner or {}).get("name") or INSTALLATION_NAME])
        except KubectlError as exc:
            if owner or target == "installation":
                self.module.fail_json(msg="the calico-node DaemonSet is managed by tigera-operator%s, but reading its "
                                      "Installation failed: %s" % (" (ownerReferences)" if owner else "", exc), **self.result)
        return None

    def patch(self, kubectl, args, body, what):
        if self.module.check_mode:
            return
        try:
            kubectl.run(args + ["-p", json.dumps(body, sort_keys=True)])
        except KubectlError as exc:
            self.module.fail_json(msg="patching %s (%s -> %s) failed: %s" % (what, self.result["before"], self.wanted, exc),
                                  **self.result)

    def run_kubectl(self):
        p = self.params
        binary = self.kubectl_binary()
        if not binary:
            self.module.fail_json(msg="mode=kubectl: kubectl program %r not found (PATH=%s)" % (p["kubectl"], os.environ.get("PATH", "")),
                                  **self.result)
        kubectl = Kubectl(self.module.run_command, binary, p["kubeconfig"], p["timeout"])
        ns, ds = self.find_daemonset(kubectl)
        installation = self.find_installation(kubectl, ds)
        strategy = (as_dict(as_dict(ds.get("spec")).get("updateStrategy"))).get("type") or "RollingUpdate"
        self.result["daemonset"] = {"name": p["daemonset"], "namespace": ns, "update_strategy": strategy,
                                    "operator_managed": installation is not None}
        if installation is not None:
            self.pin_installation(kubectl, installation)
        else:
            self.pin_daemonset(kubectl, ds, ns)

    def pin_installation(self, kubectl, installation):
        name = as_dict(installation.get("metadata")).get("name") or INSTALLATION_NAME
        field = autodetection_field(self.params["ip_version"])
        changed, before, after, body = installation_patch(installation, self.wanted, self.params["ip_version"])
        self.result.update(target="installation", changed=changed, before=installation_to_method(before),
                           after=self.wanted if changed else installation_to_method(before),
                           installation={"name": name, "field": "spec.calicoNetwork." + field, "before": before, "after": after},
                           patch={"type": "merge", "body": body} if changed else None)
        if self.module._diff:
            header = "installation/%s spec.calicoNetwork" % name
            self.result["diff"] = {"before": _line(field, None if before is None else json.dumps(before, sort_keys=True)),
                                   "after": _line(field, None if after is None else json.dumps(after, sort_keys=True)),
                                   "before_header": header, "after_header": header}
        if changed:
            self.patch(kubectl, ["patch", INSTALLATION_RESOURCE, name, "--type", "merge"], body, "Installation %s" % name)

    def pin_daemonset(self, kubectl, ds, ns):
        ds_name, cname = self.params["daemonset"], self.params["container"]
        try:
            changed, before, ops = daemonset_env_patch(ds, cname, self.variable, self.wanted)
        except ValueError as exc:
            self.module.fail_json(msg="DaemonSet %s/%s has %s" % (ns, ds_name, exc), **self.result)
        self.result.update(target="daemonset", before=before, after=self.wanted, changed=changed,
                           patch={"type": "json", "body": ops} if changed else None)
        if self.module._diff:
            header = "daemonset/%s %s env" % (ds_name, cname)
            self.result["diff"] = {"before": _line(self.variable, before), "after": _line(self.variable, self.wanted),
                                   "before_header": header, "after_header": header}
        if changed:
            self.patch(kubectl, ["patch", "daemonset", ds_name, "-n", ns, "--type", "json"], ops, "%s in DaemonSet %s/%s"
                       % (self.variable, ns, ds_name))

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
            namespace=dict(type="str"),
            target=dict(type="str", choices=["auto", "daemonset", "installation"], default="auto"),
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
