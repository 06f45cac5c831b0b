# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding calico-node on this host and reading its facts (standard library only): through
kubectl (when asked), the Docker Engine API, /proc, its log files and journalctl.
calico_node_state() returns the contract's CalicoNodeInfo; the parsing is in
_calico_node_facts.py and _calico_log.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import socket

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_log import merge_by_time, parse_log_lines
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_facts import (
    CONTAINER_NAME,
    calico_pod_facts,
    container_id_from_cgroup,
    deployment_from_cgroup,
    empty_info,
    finish_info,
    parse_env_file,
    parse_env_list,
    parse_environ,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, run_ok, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import (
    DEFAULT_SOCKET,
    DockerAPI,
    DockerAPIError,
    order_timestamped,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import (
    CALICO_NAMESPACES,
    Kubectl,
    KubectlError,
    calico_pods,
    pod_log,
)

CALICO_ENV_FILE = "/etc/calico/calico.env"
# calico-node's log directory in the container (calicoctl node run mounts its --log-dir there).
# The monitor-addresses service logs only there (its runit log/run has no `tee`), unless
# CALICO_DISABLE_FILE_LOGGING=true sends it to the container's log.
CONTAINER_LOG_DIR = "/var/log/calico"
MONITOR_LOG = "monitor-addresses/current"


def k8s_log_globs(namespaces=CALICO_NAMESPACES):
    """The kubelet's CRI log paths of calico-node containers in NAMESPACES:
    /var/log/containers/<pod>_<namespace>_<container>-<id>.log (links) and
    /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log."""
    out = []
    for namespace in namespaces:
        out.append("/var/log/containers/calico-node-*_%s_calico-node-*.log" % namespace)
        out.append("/var/log/pods/%s_calico-node-*/calico-node/*.log" % namespace)
    return tuple(out)


K8S_LOG_GLOBS = k8s_log_globs()


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


def process_uids(proc_root, pid):
    """The (real, effective, saved, filesystem) uids of PID from /proc/PID/status, else the
    owner of /proc/PID (the effective uid) four times; None when neither can be read."""
    base = os.path.join(proc_root, str(pid))
    try:
        for line in to_text(_read(os.path.join(base, "status"))).splitlines():
            if line.startswith("Uid:"):
                return tuple(int(field) for field in line.split()[1:5])
    except (OSError, IOError, ValueError):
        pass
    try:
        return (os.stat(base).st_uid,) * 4
    except OSError:
        return None


def find_calico_process(proc_root="/proc", ignored=None):
    """The lowest PID whose program is calico-node -> (pid, argv) or (None, None).

    Only processes run by root (every uid 0) count: anyone can name a program calico-node,
    and its environment and the file its output goes to are read as calico-node's. Only
    processes in this process's network namespace count (calico-node runs with the host's
    network); when namespaces cannot be read, every process counts. IGNORED (a list), when
    given, gets one sentence per calico-node-named process that was not trusted."""
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
        uids = process_uids(proc_root, entry)
        if uids is None or any(uids):
            if ignored is not None:
                ignored.append("process %s (%s) is named calico-node but runs as uid %s, not root: not trusted"
                               % (entry, " ".join(argv)[:120], "unknown" if uids is None else uids[0]))
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
    monitor = _monitor_log(container, log_lines, warnings)
    if monitor is None:
        return finish_info(info, env, log_text)
    lines = merge_by_time(parse_log_lines(log_text) if log_text is not None else [], parse_log_lines(monitor))
    return finish_info(info, env, log_lines=lines)


def _monitor_log(container, log_lines, warnings):
    """The address monitor's log file through the container's /var/log/calico mount, or None."""
    for mount in container.get("Mounts") or ():
        mount = as_dict(mount)
        if to_text(mount.get("Destination")).rstrip("/") != CONTAINER_LOG_DIR or not mount.get("Source"):
            continue
        path = os.path.join(to_text(mount["Source"]), MONITOR_LOG)
        if not os.path.exists(path):
            return None
        try:
            return tail_file(path, log_lines)
        except (OSError, IOError) as exc:
            warnings.append("could not read the address monitor's log %s: %s" % (path, exc))
    return None


def _k8s_log(log_lines, warnings, pod_name=None, globs=None):
    paths = []
    for pattern in globs or K8S_LOG_GLOBS:
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
    ignored = []
    pid, argv = find_calico_process(proc_root, ignored)
    warnings.extend(ignored)
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
    info["process"] = {"pid": pid, "uid": 0, "argv": argv[:20]}
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


def _from_kubectl(kubectl, node_name, log_lines, warnings, namespace=None):
    try:
        namespace, found = calico_pods(kubectl, namespace, node_name, CONTAINER_NAME)
    except KubectlError as exc:
        warnings.append("kubectl could not list calico-node pods: %s" % exc)
        return None
    pods = calico_pod_facts(found)
    if not pods:
        info = empty_info("no calico-node pod on node %s (namespaces %s)" % (node_name, ", ".join([namespace] if namespace else CALICO_NAMESPACES)))
        info["deployment"] = "kubernetes"
        return info
    pod = sorted(pods, key=lambda p: (p["running"], p["ready"]), reverse=True)[0]
    info = empty_info(pod["reason"])
    info.update({"deployment": "kubernetes", "running": pod["running"], "container_id": pod["container_id"],
                 "image": pod["image"]})
    log_text = None
    try:
        log_text = pod_log(kubectl, namespace, pod["name"], CONTAINER_NAME, log_lines)
    except KubectlError as exc:
        warnings.append("kubectl could not read the log of %s: %s" % (pod["name"], exc))
    return finish_info(info, pod["env"], log_text)


def calico_node_state(run_command, docker_socket=DEFAULT_SOCKET, log_lines=2000, kubectl=None, kubeconfig=None,
                      node_name=None, docker_api=None, timeout=5.0, proc_root="/proc", namespace=None):
    """-> (CalicoNodeInfo, warnings). Order: kubectl (when given; pods in NAMESPACE, else in
    calico-system or kube-system), Docker, /proc, none."""
    warnings = []
    if kubectl:
        client = Kubectl(run_command, kubectl, kubeconfig)
        info = _from_kubectl(client, node_name or socket.gethostname(), log_lines, warnings, namespace)
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
