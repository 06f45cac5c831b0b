# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""calico-node's facts from what it holds: its environment (Docker's Config.Env, /proc/PID/environ,
an env file, a pod spec), its image, its cgroup, and the CalicoNodeInfo shape of the contract
(docs/facts-schema.md) that discovery fills (standard library only).

Parsers take text/bytes/dicts and return plain data, never raising.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_exit import exit_reason
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_log import (
    detected_ipv4,
    parse_log_evidence,
    parse_log_lines,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, parse_version, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import pods_from_json
from ansible_collections.meshdoctor.calico.plugins.module_utils._redact import strip_credentials

CONTAINER_NAME = "calico-node"
ENV_KEYS = ("IP", "IP_AUTODETECTION_METHOD", "IP6", "IP6_AUTODETECTION_METHOD", "CALICO_ROUTER_ID",
            "NODENAME", "CALICO_NETWORKING_BACKEND", "CALICO_IPV4POOL_IPIP", "CALICO_IPV4POOL_VXLAN",
            "CALICO_IPV4POOL_CIDR", "AS", "CLUSTER_TYPE", "DATASTORE_TYPE", "ETCD_ENDPOINTS",
            "CALICO_VERSION", "FELIX_IPV6SUPPORT", "AUTODETECT_POLL_INTERVAL", "CALICO_DISABLE_FILE_LOGGING")
_HEX64 = re.compile(r"([0-9a-f]{64})")


def parse_env_list(items):
    """Docker's Config.Env (['K=V', ...]) -> dict."""
    env = {}
    for item in as_list(items):
        item = to_text(item)
        if "=" in item:
            key, value = item.split("=", 1)
            env[key] = value
    return env


def parse_environ(data):
    """/proc/PID/environ (NUL-separated) -> dict."""
    return parse_env_list([p for p in to_text(data).split("\0") if p])


def parse_env_file(text):
    """A KEY=VALUE file (systemd EnvironmentFile / docker --env-file style) -> dict."""
    env = {}
    for line in to_text(text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].strip()
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def select_env(env):
    """The variables that matter, None when unset (ETCD_ENDPOINTS without credentials)."""
    env = as_dict(env)
    out = dict((key, to_text(env[key]) if env.get(key) is not None else None) for key in ENV_KEYS)
    out["ETCD_ENDPOINTS"] = strip_credentials(out["ETCD_ENDPOINTS"])
    return out


def effective_method(env):
    """IP_AUTODETECTION_METHOD as calico-node applies it ('first-found' when unset or empty)."""
    return to_text(as_dict(env).get("IP_AUTODETECTION_METHOD") or "").strip() or "first-found"


def version_from_image(image):
    """'docker.io/calico/node:v3.24.5' -> 'v3.24.5'; None when the tag is not a version."""
    image = to_text(image).split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    tag = last.rsplit(":", 1)[1]
    return tag if parse_version(tag) else None


def calico_pod_facts(summaries):
    """pod_summary()s made with container=calico-node -> [{name, namespace, node, ready, phase,
    env, image, container_id, running, reason}] for the calico-node container of each pod
    (READY: that container's)."""
    out = []
    for pod in summaries:
        cont = pod["container"]
        out.append({"name": pod["name"], "namespace": pod.get("namespace"), "node": pod["node"], "ready": cont["ready"],
                    "phase": pod["phase"], "env": cont["env"], "image": cont["image"], "container_id": cont["id"],
                    "running": cont["running"], "reason": cont["reason"]})
    return out


def parse_kubectl_pods(text):
    """`kubectl get pods -o json` -> calico_pod_facts of its pods."""
    return calico_pod_facts(pods_from_json(text, CONTAINER_NAME))


def container_id_from_cgroup(text):
    match = _HEX64.search(to_text(text))
    return match.group(1) if match else None


def deployment_from_cgroup(text):
    """/proc/PID/cgroup -> 'kubernetes' | 'docker' | 'systemd' | 'process'."""
    text = to_text(text)
    if "kubepods" in text:
        return "kubernetes"
    if "calico-node.service" in text:
        return "systemd"
    if "/docker/" in text or "docker-" in text:
        return "docker"
    return "process"


def empty_info(reason=None):
    return {"deployment": "none", "running": False, "reason": reason, "container_id": None, "image": None,
            "calico_version": None, "env": select_env({}), "autodetection_method": "first-found",
            "log_evidence": [], "detected_address": None, "detected_interface": None, "exit_reason": None,
            "process": None}


def finish_info(info, env, log_text=None, log_lines=None):
    """Fill env, version, method and evidence from ENV and the log."""
    info["env"] = select_env(env)
    info["autodetection_method"] = effective_method(env)
    if not info.get("calico_version"):
        info["calico_version"] = version_from_image(info.get("image")) or (env or {}).get("CALICO_VERSION") or None
    if log_lines is None:
        log_lines = parse_log_lines(log_text) if log_text is not None else []
    info["log_evidence"] = parse_log_evidence(log_lines)
    info["detected_address"], info["detected_interface"] = detected_ipv4(info["log_evidence"])
    info["exit_reason"] = exit_reason(log_lines)
    return info
