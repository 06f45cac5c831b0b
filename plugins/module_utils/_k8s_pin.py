# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a pinned IP_AUTODETECTION_METHOD is written on Kubernetes, and the patch that writes
it (standard library only).

- calico.yaml manifest and kubespray: the env of the calico-node container in the DaemonSet
  (a JSON patch with `test` operations, so a DaemonSet changed in between is not clobbered).
- tigera-operator: the operator owns the DaemonSet and reverts edits to it, so the pin goes
  into the Installation resource `default`, at spec.calicoNetwork.nodeAddressAutodetectionV4
  (V6 for IPv6), which takes exactly one of firstFound, interface, skipInterface, canReach,
  cidrs, kubernetes: NodeInternalIP (a merge patch that clears the other five).

Every function here takes parsed objects and returns plain data; nothing runs kubectl.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import env_value, template_containers

INSTALLATION_RESOURCE = "installations.operator.tigera.io"
INSTALLATION_NAME = "default"
OPERATOR_GROUP = "operator.tigera.io"
# The Installation fields (operator.tigera.io/v1 NodeAddressAutodetection).
AUTODETECTION_FIELDS = ("firstFound", "kubernetes", "interface", "skipInterface", "canReach", "cidrs")
_CIDR_SPLIT = re.compile(r"\s*,\s*")


def operator_owner(daemonset):
    """The ownerReference of DAEMONSET that is tigera-operator's Installation, else None."""
    for ref in as_list(as_dict(as_dict(daemonset).get("metadata")).get("ownerReferences")):
        ref = as_dict(ref)
        if ref.get("kind") == "Installation" and to_text(ref.get("apiVersion")).startswith(OPERATOR_GROUP + "/"):
            return ref
    return None


def autodetection_field(ip_version):
    return "nodeAddressAutodetectionV%d" % ip_version


def method_to_installation(method):
    """An IP_AUTODETECTION_METHOD value -> the Installation's NodeAddressAutodetection that makes
    the operator render it (tigera-operator's getAutodetectionMethod, in reverse)."""
    if method == "first-found":
        return {"firstFound": True}
    if method == "kubernetes-internal-ip":
        return {"kubernetes": "NodeInternalIP"}
    kind, dummy, arg = method.partition("=")
    if kind == "interface":
        return {"interface": arg}
    if kind == "skip-interface":
        return {"skipInterface": arg}
    if kind == "can-reach":
        return {"canReach": arg}
    if kind == "cidr":
        return {"cidrs": _CIDR_SPLIT.split(arg)}
    raise ValueError("no Installation form for IP autodetection method %r" % method)


def installation_to_method(spec):
    """An Installation's NodeAddressAutodetection -> the IP_AUTODETECTION_METHOD the operator
    renders for it (its order: interface, skipInterface, canReach, firstFound, cidrs,
    kubernetes); None when it renders none."""
    spec = as_dict(spec)
    for field, prefix in (("interface", "interface="), ("skipInterface", "skip-interface="), ("canReach", "can-reach=")):
        if spec.get(field):
            return prefix + to_text(spec[field])
    if spec.get("firstFound") is True:
        return "first-found"
    if as_list(spec.get("cidrs")):
        return "cidr=" + ",".join(to_text(c) for c in spec["cidrs"])
    if spec.get("kubernetes") == "NodeInternalIP":
        return "kubernetes-internal-ip"
    return None


def current_autodetection(installation, ip_version=4):
    """The Installation's NodeAddressAutodetection for IP_VERSION ({} when unset)."""
    network = as_dict(as_dict(as_dict(installation).get("spec")).get("calicoNetwork"))
    return as_dict(network.get(autodetection_field(ip_version)))


def installation_patch(installation, wanted, ip_version=4):
    """-> (changed, before, after, patch): the merge patch that pins WANTED (a method, or None to
    remove the setting so the operator's default applies). BEFORE/AFTER are the
    NodeAddressAutodetection objects (None when unset); PATCH is None when nothing changes."""
    field = autodetection_field(ip_version)
    before = current_autodetection(installation, ip_version) or None
    if wanted is None:
        after, body = None, None
        changed = before is not None
    else:
        after = method_to_installation(wanted)
        # A merge patch merges into what is there; null clears the fields a different method set.
        body = dict((key, after.get(key)) for key in AUTODETECTION_FIELDS)
        changed = installation_to_method(before) != wanted
    if not changed:
        return False, before, before, None
    return True, before, after, {"spec": {"calicoNetwork": {field: body}}}


def daemonset_env_patch(daemonset, container_name, variable, wanted):
    """-> (changed, before, ops): the JSON patch that sets VARIABLE=WANTED (None: removes it) in
    CONTAINER_NAME's env of DAEMONSET's pod template. BEFORE is the current value, or
    'valueFrom {...}' for an entry that takes it from elsewhere, or None when absent. Each
    index the patch writes at is guarded by a `test` of the name found there. Raises
    ValueError when the container is not in the template."""
    containers = template_containers(daemonset)
    names = [c.get("name") for c in containers]
    if container_name not in names:
        raise ValueError("no container %r (containers: %s)" % (container_name, ", ".join(to_text(n) for n in names) or "none"))
    cidx = names.index(container_name)
    container = containers[cidx]
    present, value, value_from = env_value(container, variable)
    before = "valueFrom %s" % json.dumps(value_from, sort_keys=True) if present and value_from is not None else (value if present else None)
    if wanted is None:
        changed = present
    else:
        changed = not present or value_from is not None or value != wanted
    if not changed:
        return False, before, []
    base = "/spec/template/spec/containers/%d" % cidx
    ops = [{"op": "test", "path": base + "/name", "value": container_name}]
    env = container.get("env")
    if present:
        idx = [as_dict(e).get("name") for e in env].index(variable)
        ops.append({"op": "test", "path": "%s/env/%d/name" % (base, idx), "value": variable})
        if wanted is None:
            ops.append({"op": "remove", "path": "%s/env/%d" % (base, idx)})
        else:
            ops.append({"op": "replace", "path": "%s/env/%d" % (base, idx), "value": {"name": variable, "value": wanted}})
    elif env is None:
        ops.append({"op": "add", "path": base + "/env", "value": [{"name": variable, "value": wanted}]})
    else:
        ops.append({"op": "add", "path": base + "/env/-", "value": {"name": variable, "value": wanted}})
    return True, before, ops
