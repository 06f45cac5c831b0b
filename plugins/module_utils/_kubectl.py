# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A thin kubectl wrapper for the mutating modules (standard library only).

Runs kubectl through the module's `run_command` with argument lists, parses `-o json`
answers, and summarises pods and DaemonSet env. The summarising functions take the parsed
JSON and never run anything, so they are tested on recorded kubectl output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class KubectlError(Exception):
    """A kubectl call failed; the message says what ran and what came back."""


def _text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


class Kubectl(object):
    """Runs `kubectl [--kubeconfig K] [--request-timeout T] ARGS...`."""

    def __init__(self, run_command, binary, kubeconfig=None, request_timeout=None):
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
        out, err = _text(out), _text(err)
        if rc != 0:
            detail = (err.strip() or out.strip() or "no output").splitlines()
            raise KubectlError("%s exited %s: %s" % (" ".join(cmd), rc, " / ".join(detail[:3])[:600]))
        return out

    def json(self, args):
        out = self.run(list(args) + ["-o", "json"])
        try:
            return json.loads(out)
        except ValueError:
            raise KubectlError("%s -o json did not print JSON: %r" % (" ".join(self.argv(args)), out[:200]))


# ------------------------------------------------------------------------------ pods
def pod_ready(pod):
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def pod_summary(pod):
    """The fields the modules care about, from one pod object."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    containers = []
    for cst in status.get("containerStatuses") or []:
        state = cst.get("state") or {}
        kind = next(iter(state), None)
        detail = (state.get(kind) or {}) if kind else {}
        containers.append({
            "name": cst.get("name"),
            "ready": bool(cst.get("ready")),
            "restart_count": cst.get("restartCount", 0),
            "state": kind,
            "reason": detail.get("reason"),
            "message": detail.get("message"),
        })
    return {
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "node": spec.get("nodeName"),
        "phase": status.get("phase"),
        "ready": pod_ready(pod),
        "terminating": bool(meta.get("deletionTimestamp")),
        "created": meta.get("creationTimestamp"),
        "containers": containers,
    }


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


def node_pods(kubectl, namespace, selector, node_name):
    """Pods matching SELECTOR on NODE_NAME, as summaries, in kubectl's order."""
    args = ["get", "pods", "-n", namespace]
    if selector:
        args += ["-l", selector]
    args += ["--field-selector", "spec.nodeName=%s" % node_name]
    data = kubectl.json(args)
    return [pod_summary(item) for item in data.get("items") or []]


def delete_pod(kubectl, namespace, name):
    """Delete without waiting for termination (the caller waits for the replacement)."""
    return kubectl.run(["delete", "pod", "-n", namespace, name, "--wait=false"]).strip()


def replacement(pods, old_uids):
    """The newest pod that is not one of OLD_UIDS and not terminating, or None."""
    fresh = [p for p in pods if p["uid"] not in old_uids and not p["terminating"]]
    if not fresh:
        return None
    fresh.sort(key=lambda p: p.get("created") or "")
    return fresh[-1]


# ------------------------------------------------------------------------------ DaemonSet env
def find_container(daemonset, container_name):
    containers = ((((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    for cont in containers:
        if cont.get("name") == container_name:
            return cont
    return None


def container_names(daemonset):
    containers = ((((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    return [c.get("name") for c in containers]


def env_value(container, variable):
    """(present, value, value_from) of VARIABLE in a container spec's env list."""
    for item in container.get("env") or []:
        if item.get("name") == variable:
            return True, item.get("value"), item.get("valueFrom")
    return False, None, None
