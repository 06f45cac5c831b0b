# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How calico-node runs on this host, its settings and the evidence lines of its log.

Parsers (parse_*) take text/bytes and return plain data, never raising. calico_node_state()
does the I/O: the Docker Engine API, /proc, log files, journalctl and kubectl (through a
module.run_command-like callable) and returns the contract's CalicoNodeInfo.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import socket

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import (
    as_dict,
    as_list,
    loads_or_none,
    parse_version,
    run_ok,
    to_text,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import (
    DEFAULT_SOCKET,
    DockerAPI,
    DockerAPIError,
    order_timestamped,
)

CONTAINER_NAME = "calico-node"
CALICO_ENV_FILE = "/etc/calico/calico.env"
K8S_LOG_GLOBS = ("/var/log/containers/calico-node-*_kube-system_calico-node-*.log",
                 "/var/log/pods/kube-system_calico-node-*/calico-node/*.log")
ENV_KEYS = ("IP", "IP_AUTODETECTION_METHOD", "IP6", "IP6_AUTODETECTION_METHOD", "CALICO_ROUTER_ID",
            "NODENAME", "CALICO_NETWORKING_BACKEND", "CALICO_IPV4POOL_IPIP", "CALICO_IPV4POOL_VXLAN",
            "CALICO_IPV4POOL_CIDR", "AS", "CLUSTER_TYPE", "DATASTORE_TYPE", "ETCD_ENDPOINTS",
            "CALICO_VERSION", "FELIX_IPV6SUPPORT")

_ADDR = r"([0-9A-Fa-f:.]+(?:/\d+)?)"
_AUTODETECT = (
    ("cidr", re.compile(r"Using autodetected IPv([46]) address %s on interface (\S+) matching cidrs" % _ADDR)),
    ("interface", re.compile(r"Using autodetected IPv([46]) address %s on matching interface (\S+?)\s*$" % _ADDR)),
    ("can-reach", re.compile(r"Using autodetected IPv([46]) address %s, detected by connecting to (\S+?)\s*$" % _ADDR)),
    ("skip-interface", re.compile(r"Using autodetected IPv([46]) address on interface (\S+): %s while skipping" % _ADDR)),
    ("first-found", re.compile(r"Using autodetected IPv([46]) address on interface (\S+): %s\s*$" % _ADDR)),
)
_CHANGED = re.compile(r"IPv([46]) address has changed\.")
_FIELD = re.compile(r'\b(original|updated|node)=("([^"]*)"|(\S+))')
_CONFLICT = re.compile(r"Calico node '([^']*)' is already using the IPv([46]) address ([0-9A-Fa-f:.]+?)\.?(?:\s|$)")
_CRI = re.compile(r"^(\S+)\s+(stdout|stderr)\s+([PF])\s?(.*)$")
_HEX64 = re.compile(r"([0-9a-f]{64})")


# ------------------------------------------------------------------------- parsers
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
    """The variables that matter, None when unset."""
    env = as_dict(env)
    return dict((key, to_text(env[key]) if env.get(key) is not None else None) for key in ENV_KEYS)


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


def parse_log_lines(data):
    """calico-node's log as stored by any runtime -> [message line, ...].

    Understands plain text, CRI files (`<time> stdout F <line>`, partial 'P' lines joined) and
    Docker's json-file lines (`{"log": "...", ...}`).
    """
    out = []
    partial = ""
    for raw in to_text(data).replace("\r\n", "\n").split("\n"):
        if raw.startswith("{") and '"log"' in raw:
            entry = loads_or_none(raw)
            if isinstance(entry, dict) and "log" in entry:
                text = partial + to_text(entry.get("log"))
                partial = ""
                if text.endswith("\n"):
                    out.append(text.rstrip("\n"))
                else:
                    partial = text
                continue
        match = _CRI.match(raw)
        if match and re.match(r"^\d{4}-\d{2}-\d{2}T", match.group(1)):
            if match.group(3) == "P":
                partial += match.group(4)
            else:
                out.append(partial + match.group(4))
                partial = ""
            continue
        if raw.strip():
            out.append(partial + raw.rstrip("\r"))
            partial = ""
    if partial:
        out.append(partial)
    return out


def _evidence(kind, line, version, address=None, interface=None, method=None, original=None, updated=None):
    return {"kind": kind, "line": line, "version": version, "address": address, "interface": interface,
            "method": method, "original": original, "updated": updated}


def parse_log_evidence(data):
    """Log text or a list of lines -> the contract's log_evidence list (oldest first)."""
    lines = data if isinstance(data, (list, tuple)) else parse_log_lines(data)
    out = []
    for line in lines:
        line = to_text(line).rstrip()
        if "Using autodetected IPv" in line:
            for method, pattern in _AUTODETECT:
                match = pattern.search(line)
                if not match:
                    continue
                version = int(match.group(1))
                if method in ("first-found", "skip-interface"):
                    iface, addr = match.group(2), match.group(3)
                elif method == "can-reach":
                    iface, addr = None, match.group(2)
                else:
                    addr, iface = match.group(2), match.group(3)
                out.append(_evidence("autodetected", line, version, addr, iface, method))
                break
            continue
        match = _CHANGED.search(line)
        if match:
            fields = dict((m.group(1), m.group(3) if m.group(3) is not None else m.group(4))
                          for m in _FIELD.finditer(line[match.end():]))
            out.append(_evidence("address_changed", line, int(match.group(1)), fields.get("updated"),
                                 original=fields.get("original"), updated=fields.get("updated")))
            continue
        match = _CONFLICT.search(line)
        if match:
            out.append(_evidence("conflict", line, int(match.group(2)), match.group(3)))
    return out


def _detected(evidence):
    for item in reversed(evidence):
        if item["kind"] == "autodetected" and item["version"] == 4:
            return item["address"], item["interface"]
    return None, None


def parse_kubectl_pods(text):
    """`kubectl get pods -o json` -> [{name, node, ready, phase, env, image, container_id, running,
    reason}] for the calico-node container of each pod."""
    data = as_dict(loads_or_none(text))
    items = as_list(data.get("items"))
    if data.get("kind") == "Pod":
        items = [data]
    out = []
    for pod in items:
        if isinstance(pod, dict):
            out.append(pod_summary(pod))
    return out


def _env_value(var, pod):
    if "value" in var:
        return to_text(var.get("value"))
    ref = as_dict(as_dict(var.get("valueFrom")).get("fieldRef"))
    path = ref.get("fieldPath")
    if path == "spec.nodeName":
        return to_text(as_dict(pod.get("spec")).get("nodeName")) or None
    if path == "metadata.name":
        return to_text(as_dict(pod.get("metadata")).get("name")) or None
    if path == "metadata.namespace":
        return to_text(as_dict(pod.get("metadata")).get("namespace")) or None
    return None


def pod_summary(pod):
    """One Pod object -> the calico-node container's facts."""
    pod = as_dict(pod)
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    containers = [c for c in as_list(spec.get("containers")) if isinstance(c, dict)]
    container = next((c for c in containers if c.get("name") == CONTAINER_NAME), containers[0] if containers else {})
    env = {}
    for var in as_list(container.get("env")):
        if isinstance(var, dict) and var.get("name"):
            env[to_text(var["name"])] = _env_value(var, pod)
    statuses = [s for s in as_list(status.get("containerStatuses")) if isinstance(s, dict)]
    cstatus = next((s for s in statuses if s.get("name") == container.get("name")), {})
    state = as_dict(cstatus.get("state"))
    running = "running" in state
    reason = None
    if not running:
        for key in ("waiting", "terminated"):
            if isinstance(state.get(key), dict):
                reason = "container %s %s: %s" % (container.get("name"), key,
                                                  state[key].get("reason") or state[key].get("message") or "")
    container_id = to_text(cstatus.get("containerID"))
    return {
        "name": to_text(meta.get("name")) or None,
        "node": to_text(spec.get("nodeName")) or None,
        "ready": bool(cstatus.get("ready")),
        "phase": to_text(status.get("phase")) or None,
        "env": env,
        "image": to_text(container.get("image")) or None,
        "container_id": container_id.split("://", 1)[-1] or None,
        "running": running,
        "reason": reason,
    }


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
            "log_evidence": [], "detected_address": None, "detected_interface": None}


def finish_info(info, env, log_text=None, log_lines=None):
    """Fill env, version, method and evidence from ENV and the log."""
    info["env"] = select_env(env)
    info["autodetection_method"] = effective_method(env)
    if not info.get("calico_version"):
        info["calico_version"] = version_from_image(info.get("image")) or (env or {}).get("CALICO_VERSION") or None
    if log_lines is None:
        log_lines = parse_log_lines(log_text) if log_text is not None else []
    info["log_evidence"] = parse_log_evidence(log_lines)
    info["detected_address"], info["detected_interface"] = _detected(info["log_evidence"])
    return info


# ------------------------------------------------------------------------- I/O
def _read(path, mode="rb", limit=None):
    with open(path, mode) as handle:
        return handle.read(limit) if limit else handle.read()


def tail_file(path, lines=2000, max_bytes=4 * 1024 * 1024):
    """The last LINES lines of PATH (reads at most MAX_BYTES from the end)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        start = max(0, size - max_bytes)
        block = 64 * 1024
        pos = size
        data = b""
        while pos > start and data.count(b"\n") <= lines:
            step = min(block, pos - start)
            pos -= step
            handle.seek(pos)
            data = handle.read(step) + data
    text = to_text(data)
    parts = text.splitlines()
    return "\n".join(parts[-lines:]) + ("\n" if parts else "")


def _env_file_overrides(env, warnings, path=None):
    path = path or CALICO_ENV_FILE
    if not os.path.isfile(path):
        return env
    try:
        overrides = parse_env_file(_read(path))
    except (OSError, IOError) as exc:
        warnings.append("could not read %s: %s" % (path, exc))
        return env
    merged = dict(env)
    merged.update(overrides)
    return merged


def _netns(proc_root, pid):
    try:
        return os.readlink(os.path.join(proc_root, str(pid), "ns", "net"))
    except (OSError, IOError):
        return None


def find_calico_process(proc_root="/proc"):
    """The lowest PID whose program is calico-node -> (pid, argv) or (None, None).

    Only processes in this process's network namespace count (calico-node runs with the host's
    network); when namespaces cannot be read, every process counts."""
    own = set([os.getpid(), os.getppid()])
    own_netns = _netns(proc_root, "self")
    best = None
    try:
        entries = os.listdir(proc_root)
    except OSError:
        return None, None
    for entry in entries:
        if not entry.isdigit() or int(entry) in own:
            continue
        try:
            argv = [to_text(a) for a in _read(os.path.join(proc_root, entry, "cmdline")).split(b"\0") if a]
            comm = to_text(_read(os.path.join(proc_root, entry, "comm"))).strip()
        except (OSError, IOError):
            continue
        if not argv:
            continue
        prog = os.path.basename(argv[0])
        script = os.path.basename(argv[1]) if len(argv) > 1 else ""
        if not (prog == "calico-node" or comm == "calico-node" or (prog.startswith("python") and script == "calico-node")):
            continue
        netns = _netns(proc_root, entry)
        if own_netns and netns and netns != own_netns:
            continue
        pid = int(entry)
        if best is None or pid < best[0]:
            best = (pid, argv)
    return best if best else (None, None)


def _from_docker(api, log_lines, warnings):
    """calico-node as a Docker container (calicoctl node run) or a dockershim Kubernetes pod."""
    try:
        container = api.inspect_container(CONTAINER_NAME)
        deployment = "docker"
    except DockerAPIError as exc:
        if exc.status != 404:
            raise
        found = [c for c in api.list_containers(label="io.kubernetes.container.name=calico-node") if isinstance(c, dict)]
        if not found:
            return None
        found.sort(key=lambda c: (c.get("State") == "running", c.get("Created") or 0), reverse=True)
        container = api.inspect_container(found[0].get("Id"))
        deployment = "kubernetes"
    container = as_dict(container)
    config = as_dict(container.get("Config"))
    state = as_dict(container.get("State"))
    info = empty_info()
    info.update({"deployment": deployment, "running": bool(state.get("Running")),
                 "container_id": to_text(container.get("Id")) or None,
                 "image": to_text(config.get("Image")) or None})
    if not info["running"]:
        info["reason"] = "container %s is %s (exit code %s)" % (to_text(container.get("Name")).lstrip("/") or CONTAINER_NAME,
                                                                state.get("Status"), state.get("ExitCode"))
    env = parse_env_list(config.get("Env"))
    if deployment == "docker":
        env = _env_file_overrides(env, warnings)
    log_text = None
    try:
        log_text = order_timestamped(api.container_logs(container.get("Id") or CONTAINER_NAME, tail=log_lines,
                                                        tty=bool(config.get("Tty")), timestamps=True))
    except DockerAPIError as exc:
        warnings.append("could not read calico-node's log from Docker: %s" % exc)
    return finish_info(info, env, log_text)


def _k8s_log(log_lines, warnings, pod_name=None):
    paths = []
    for pattern in K8S_LOG_GLOBS:
        paths.extend(glob.glob(pattern))
    if pod_name:
        preferred = [p for p in paths if os.path.basename(p).startswith(pod_name + "_")]
        paths = preferred or paths
    if not paths:
        warnings.append("no calico-node log under /var/log/containers or /var/log/pods")
        return None
    try:
        path = max(paths, key=os.path.getmtime)
        return tail_file(path, log_lines)
    except (OSError, IOError) as exc:
        warnings.append("could not read calico-node's log: %s" % exc)
        return None


def _from_proc(run_command, log_lines, warnings, proc_root="/proc"):
    pid, argv = find_calico_process(proc_root)
    if pid is None:
        return None
    base = os.path.join(proc_root, str(pid))
    env = {}
    cgroup = ""
    try:
        env = parse_environ(_read(os.path.join(base, "environ")))
    except (OSError, IOError) as exc:
        warnings.append("could not read the environment of calico-node (pid %s): %s" % (pid, exc))
    try:
        cgroup = to_text(_read(os.path.join(base, "cgroup")))
    except (OSError, IOError):
        pass
    info = empty_info()
    info["deployment"] = deployment_from_cgroup(cgroup)
    info["running"] = True
    info["container_id"] = container_id_from_cgroup(cgroup) if info["deployment"] in ("kubernetes", "docker") else None
    log_text = None
    if info["deployment"] == "kubernetes":
        pod = env.get("HOSTNAME") if env.get("HOSTNAME", "").startswith("calico-node-") else None
        log_text = _k8s_log(log_lines, warnings, pod)
    else:
        env = _env_file_overrides(env, warnings)
        if info["deployment"] == "systemd":
            out, err = run_ok(run_command, ["journalctl", "-u", "calico-node", "-n", str(int(log_lines)),
                                            "-o", "cat", "--no-pager"])
            if out is None:
                warnings.append("could not read calico-node's journal: %s" % err)
            log_text = out
        if log_text is None:
            # A plain process whose output goes to a file: read that file.
            try:
                target = os.readlink(os.path.join(base, "fd", "1"))
                if target.startswith("/") and os.path.isfile(target):
                    log_text = tail_file(target, log_lines)
            except (OSError, IOError):
                pass
            if log_text is None and info["deployment"] != "systemd":
                warnings.append("calico-node (pid %s, %s) logs nowhere this module can read" % (pid, " ".join(argv)[:120]))
    return finish_info(info, env, log_text)


def _from_kubectl(run_command, kubectl, kubeconfig, node_name, log_lines, warnings):
    base = [kubectl] + (["--kubeconfig", kubeconfig] if kubeconfig else [])
    out, err = run_ok(run_command, base + ["get", "pods", "-n", "kube-system", "-l", "k8s-app=calico-node",
                                           "--field-selector", "spec.nodeName=%s" % node_name, "-o", "json"])
    if out is None:
        warnings.append("kubectl could not list calico-node pods: %s" % err)
        return None
    pods = parse_kubectl_pods(out)
    if not pods:
        info = empty_info("no calico-node pod on node %s" % node_name)
        info["deployment"] = "kubernetes"
        return info
    pod = sorted(pods, key=lambda p: (p["running"], p["ready"]), reverse=True)[0]
    info = empty_info(pod["reason"])
    info.update({"deployment": "kubernetes", "running": pod["running"], "container_id": pod["container_id"],
                 "image": pod["image"]})
    log_text, err = run_ok(run_command, base + ["logs", "-n", "kube-system", pod["name"], "-c", CONTAINER_NAME,
                                                "--tail", str(int(log_lines))])
    if log_text is None:
        warnings.append("kubectl could not read the log of %s: %s" % (pod["name"], err))
    return finish_info(info, pod["env"], log_text)


def calico_node_state(run_command, docker_socket=DEFAULT_SOCKET, log_lines=2000, kubectl=None, kubeconfig=None,
                      node_name=None, docker_api=None, timeout=5.0, proc_root="/proc"):
    """-> (CalicoNodeInfo, warnings). Order: kubectl (when given), Docker, /proc, none."""
    warnings = []
    if kubectl:
        info = _from_kubectl(run_command, kubectl, kubeconfig, node_name or socket.gethostname(), log_lines, warnings)
        if info is not None:
            return info, warnings
    api = docker_api or DockerAPI(docker_socket, timeout)
    if os.path.exists(api.socket_path):
        try:
            info = _from_docker(api, log_lines, warnings)
            if info is not None:
                return info, warnings
        except DockerAPIError as exc:
            warnings.append("could not ask Docker about calico-node: %s" % exc)
    info = _from_proc(run_command, log_lines, warnings, proc_root)
    if info is not None:
        return info, warnings
    return empty_info("no calico-node container, pod or process found on this host"), warnings
