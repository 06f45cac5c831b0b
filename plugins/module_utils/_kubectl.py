# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one kubectl client of the node-side code (standard library only).

Every module that talks to Kubernetes goes through `Kubectl`: datastore reads (_datastore.py),
calico-node discovery (_calico_node_discovery.py), the restart (calico_node) and the DaemonSet
patch (autodetection). It runs kubectl through the module's `run_command` with argument lists
and parses `-o json` answers. The summarising functions (pod_summary, describe_pod, the
DaemonSet helpers) take parsed JSON and never run anything, so they are tested on recorded
kubectl output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, loads_or_none, to_text


class KubectlError(Exception):
    """A kubectl call failed; the message says what ran and what came back."""


def find_binary(name, get_bin_path):
    """NAME as a program: a path (with a '/') when it is executable, else NAME looked up with the
    module's GET_BIN_PATH. None when not found."""
    if os.path.sep in name:
        return name if os.access(name, os.X_OK) else None
    return get_bin_path(name)


class Kubectl(object):
    """Runs `kubectl [--kubeconfig K] [--request-timeout T] ARGS...`."""

    def __init__(self, run_command, binary="kubectl", kubeconfig=None, request_timeout=None):
        self.run_command = run_command
        self.binary = binary
        self.kubeconfig = kubeconfig
        self.request_timeout = request_timeout

    def argv(self, args):
        cmd = [self.binary]
        if self.kubeconfig:
            cmd += ["--kubeconfig", self.kubeconfig]
        if self.request_timeout:
            cmd += ["--request-timeout", "%ds" % max(1, int(self.request_timeout))]
        return cmd + list(args)

    def run(self, args):
        """Run; return stdout text. Raise KubectlError on a non-zero exit."""
        cmd = self.argv(args)
        try:
            rc, out, err = self.run_command(cmd)
        except Exception as exc:  # pylint: disable=broad-except
            raise KubectlError("running %s failed: %s" % (" ".join(cmd), exc))
        out, err = to_text(out), to_text(err)
        if rc != 0:
            detail = (err.strip() or out.strip() or "no output").splitlines()
            raise KubectlError("%s exited %s: %s" % (" ".join(cmd), rc, " / ".join(detail[:3])[:600]))
        return out

    def json(self, args):
        """Run ARGS with `-o json`; the parsed answer. Raise KubectlError when it is not JSON."""
        out = self.run(list(args) + ["-o", "json"])
        try:
            return json.loads(out)
        except ValueError:
            raise KubectlError("%s -o json did not print JSON: %r" % (" ".join(self.argv(args)), out[:200]))


# ------------------------------------------------------------------------------ pods
def pod_ready(pod):
    for cond in as_list(as_dict(pod.get("status")).get("conditions")):
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


# The downward-API fields a container's env may take (fieldRef.fieldPath -> where the pod
# object holds the value). kubespray's calico-node gets NODEIP from status.hostIP.
_FIELD_PATHS = {
    "spec.nodeName": ("spec", "nodeName"),
    "spec.serviceAccountName": ("spec", "serviceAccountName"),
    "metadata.name": ("metadata", "name"),
    "metadata.namespace": ("metadata", "namespace"),
    "metadata.uid": ("metadata", "uid"),
    "status.hostIP": ("status", "hostIP"),
    "status.podIP": ("status", "podIP"),
}


def expand_refs(value, defined):
    """VALUE with its $(NAME) references expanded the way the kubelet expands a container's
    env values, command and args: $(NAME) becomes DEFINED[NAME] when NAME is defined, else
    stays as written; `$$` is one `$`; a `$` before anything else, and an unclosed `$(`, stay
    as they are."""
    out = []
    i, end = 0, len(value)
    while i < end:
        char = value[i]
        if char != "$" or i + 1 >= end:
            out.append(char)
            i += 1
            continue
        nxt = value[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            close = value.find(")", i + 2)
            if close < 0:
                out.append("$(")
                i += 2
                continue
            name = value[i + 2:close]
            out.append(defined[name] if name in defined else "$(%s)" % name)
            i = close + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


def _field_value(path, pod):
    where = _FIELD_PATHS.get(path)
    if where is None:
        return None
    return to_text(as_dict(pod.get(where[0])).get(where[1])) or None


def resolve_env(container, pod):
    """{NAME: value} of a container spec's env as the kubelet gives it to the process: in list
    order, a `value` with its $(NAME) references to earlier entries expanded, a downward-API
    `fieldRef` read from POD (None when POD does not hold it, for example a DaemonSet template),
    None for other `valueFrom` sources (ConfigMaps, Secrets, resources), which only the API
    server could resolve. A reference to such a None entry stays unexpanded."""
    env, defined = {}, {}
    for var in as_list(as_dict(container).get("env")):
        if not isinstance(var, dict) or not var.get("name"):
            continue
        name = to_text(var["name"])
        if "valueFrom" in var:
            value = _field_value(as_dict(as_dict(var.get("valueFrom")).get("fieldRef")).get("fieldPath"), as_dict(pod))
        else:
            value = expand_refs(to_text(var.get("value")), defined)
        env[name] = value
        if value is not None:
            defined[name] = value
        else:
            defined.pop(name, None)
    return env


def _container_facts(pod, name):
    """The facts of container NAME (else the pod's first container) of POD."""
    spec = as_dict(pod.get("spec"))
    containers = [c for c in as_list(spec.get("containers")) if isinstance(c, dict)]
    container = next((c for c in containers if c.get("name") == name), containers[0] if containers else {})
    env = resolve_env(container, pod)
    statuses = [s for s in as_list(as_dict(pod.get("status")).get("containerStatuses")) if isinstance(s, dict)]
    cstatus = next((s for s in statuses if s.get("name") == container.get("name")), {})
    state = as_dict(cstatus.get("state"))
    running = "running" in state
    reason = None
    if not running:
        for key in ("waiting", "terminated"):
            if isinstance(state.get(key), dict):
                reason = "container %s %s: %s" % (container.get("name"), key,
                                                  state[key].get("reason") or state[key].get("message") or "")
    return {
        "name": to_text(container.get("name")) or None,
        "ready": bool(cstatus.get("ready")),
        "env": env,
        "image": to_text(container.get("image")) or None,
        "id": to_text(cstatus.get("containerID")).split("://", 1)[-1] or None,
        "running": running,
        "reason": reason,
    }


def pod_summary(pod, container=None):
    """The fields the modules care about, from one pod object.

    With CONTAINER (a container name), also `container`: that container's (or, when the pod has
    none of that name, the first container's) name, ready, env (downward-API values resolved),
    image, id (without the runtime prefix), running and the reason it is not running."""
    pod = as_dict(pod)
    meta = as_dict(pod.get("metadata"))
    status = as_dict(pod.get("status"))
    containers = []
    for cst in [c for c in as_list(status.get("containerStatuses")) if isinstance(c, dict)]:
        state = as_dict(cst.get("state"))
        kind = next(iter(state), None)
        detail = as_dict(state.get(kind)) if kind else {}
        containers.append({
            "name": cst.get("name"),
            "ready": bool(cst.get("ready")),
            "restart_count": cst.get("restartCount", 0),
            "state": kind,
            "reason": detail.get("reason"),
            "message": detail.get("message"),
        })
    summary = {
        "name": to_text(meta.get("name")) or None,
        "namespace": to_text(meta.get("namespace")) or None,
        "uid": meta.get("uid"),
        "node": to_text(as_dict(pod.get("spec")).get("nodeName")) or None,
        "phase": to_text(status.get("phase")) or None,
        "ready": pod_ready(pod),
        "terminating": bool(meta.get("deletionTimestamp")),
        "created": meta.get("creationTimestamp"),
        "containers": containers,
    }
    if container is not None:
        summary["container"] = _container_facts(pod, container)
    return summary


def pods_from_json(data, container=None):
    """A `kubectl get pods -o json` answer (a List or one Pod; parsed or text) -> [pod_summary].
    Anything else -> []."""
    data = as_dict(data if isinstance(data, dict) else loads_or_none(data))
    items = [data] if data.get("kind") == "Pod" else as_list(data.get("items"))
    return [pod_summary(item, container) for item in items if isinstance(item, dict)]


def describe_pod(summary):
    """One line: 'calico-node-x7k2p (Running, not ready: calico-node waiting CrashLoopBackOff)'."""
    if summary is None:
        return "no pod"
    bits = [summary.get("phase") or "phase unknown", "ready" if summary.get("ready") else "not ready"]
    if summary.get("terminating"):
        bits.append("terminating")
    for cst in summary.get("containers") or []:
        if not cst["ready"]:
            why = cst["state"] or "unknown"
            if cst["reason"]:
                why += " " + cst["reason"]
            if cst["message"]:
                why += " (%s)" % cst["message"][:200]
            bits.append("container %s %s" % (cst["name"], why))
    return "%s (%s)" % (summary.get("name"), ", ".join(bits))


def node_pods(kubectl, namespace, selector, node_name=None, container=None):
    """Pods matching SELECTOR (on NODE_NAME when given), as summaries, in kubectl's order.
    Raises KubectlError."""
    args = ["get", "pods", "-n", namespace]
    if selector:
        args += ["-l", selector]
    if node_name:
        args += ["--field-selector", "spec.nodeName=%s" % node_name]
    return pods_from_json(kubectl.json(args), container)


# Where calico-node's pods run: tigera-operator installs put them in calico-system, the
# calico.yaml manifest and kubespray in kube-system. Both label them k8s-app=calico-node.
CALICO_NAMESPACES = ("calico-system", "kube-system")
CALICO_SELECTOR = "k8s-app=calico-node"


def calico_pods(kubectl, namespace=None, node_name=None, container=None, selector=CALICO_SELECTOR):
    """-> (namespace, pods): the calico-node pods (on NODE_NAME when given) of NAMESPACE, or,
    when NAMESPACE is empty, of the first of CALICO_NAMESPACES that has any (namespace None
    when none has). Raises KubectlError when none had pods and a namespace could not be listed
    (its pods may be the ones looked for)."""
    if namespace:
        return namespace, node_pods(kubectl, namespace, selector, node_name, container)
    errors = []
    for candidate in CALICO_NAMESPACES:
        try:
            pods = node_pods(kubectl, candidate, selector, node_name, container)
        except KubectlError as exc:
            errors.append(str(exc))
            continue
        if pods:
            return candidate, pods
    if errors:
        raise KubectlError("; ".join(errors))
    return None, []


def delete_pod(kubectl, namespace, name):
    """Delete without waiting for termination (the caller waits for the replacement)."""
    return kubectl.run(["delete", "pod", "-n", namespace, name, "--wait=false"]).strip()


def pod_log(kubectl, namespace, name, container, tail):
    """The last TAIL lines of CONTAINER's log in pod NAME. Raises KubectlError."""
    return kubectl.run(["logs", "-n", namespace, name, "-c", container, "--tail", str(int(tail))])


def replacement(pods, old_uids):
    """The newest pod that is not one of OLD_UIDS and not terminating, or None."""
    fresh = [p for p in pods if p["uid"] not in old_uids and not p["terminating"]]
    if not fresh:
        return None
    fresh.sort(key=lambda p: p.get("created") or "")
    return fresh[-1]


# ------------------------------------------------------------------------------ DaemonSet env
def template_containers(daemonset):
    """The container specs of a DaemonSet's pod template, in order."""
    spec = as_dict(as_dict(as_dict(as_dict(daemonset).get("spec")).get("template")).get("spec"))
    return [c for c in as_list(spec.get("containers")) if isinstance(c, dict)]


def find_container(daemonset, container_name):
    for cont in template_containers(daemonset):
        if cont.get("name") == container_name:
            return cont
    return None


def container_names(daemonset):
    return [c.get("name") for c in template_containers(daemonset)]


def env_value(container, variable):
    """(present, value, value_from) of VARIABLE in a container spec's env list."""
    for item in container.get("env") or []:
        if item.get("name") == variable:
            return True, item.get("value"), item.get("valueFrom")
    return False, None, None
