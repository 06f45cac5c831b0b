"""calico-node as a service of a lab host: its environment, start and stop, and its log.

A Docker host runs it as the `calico-node` container (docker_engine.py); a light host
(`docker: false`) as a plain process of that name, logging to a file under the host's /run.
"""
import os
import signal
import time

import docker_engine
import host
import netns
from state import host_dir
from topology import DEFAULT_POLL_INTERVAL, control_plane

PROGRAM = os.path.join(docker_engine.PROGRAM_DIR, "calico-node")


def calico_env(node, topo):
    """calico-node's settings, as a plain manifest gives them (the container's env, or the
    light process's env beside a PATH): only non-default settings are set, i.e.
    IP_AUTODETECTION_METHOD when not first-found and AUTODETECT_POLL_INTERVAL (a Go
    duration) when not 60 s; the node's `ip_env` gives IP (autodetect, unset, an address)."""
    # No NODENAME: calico-node names itself after the host name, as `calicoctl node run` does.
    env = {"CALICO_NETWORKING_BACKEND": topo.get("backend", "bird"),
           "ETCD_ENDPOINTS": "http://%s:2379" % control_plane(topo)["ip"], "CALICO_VERSION": topo["calico_version"],
           "AS_NUMBER": str(topo["as_number"]), "CALICO_IPV4POOL_CIDR": topo["pool"],
           "CALICO_LAB_BLOCK": node["block"]}
    ip_env = node.get("ip_env", "autodetect")
    if ip_env != "unset":
        env["IP"] = ip_env
    if node["autodetection"] != "first-found":
        env["IP_AUTODETECTION_METHOD"] = node["autodetection"]
    poll = topo.get("autodetect_poll_interval", DEFAULT_POLL_INTERVAL)
    if poll != DEFAULT_POLL_INTERVAL:
        env["AUTODETECT_POLL_INTERVAL"] = "%ds" % poll
    if not node["docker"]:
        # A light host keeps one log file: the monitor writes into it, as with the manifest's
        # CALICO_DISABLE_FILE_LOGGING=true.
        env["CALICO_DISABLE_FILE_LOGGING"] = "true"
    return env


def light_log(name):
    # Seen inside the host as /var/run/calico/calico-node.log.
    return host_dir(name, "run", "calico", "calico-node.log")


def start(node, topo):
    if node["docker"]:
        if docker_engine.docker(node["name"], "inspect", "calico-node", check=False).returncode == 0:
            docker_engine.docker(node["name"], "start", "calico-node")
        else:
            docker_engine.run_calico_node(node, topo, calico_env(node, topo))
    else:
        env = dict(PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", **calico_env(node, topo))
        host.spawn(node["name"], "calico-node", ["/usr/bin/python3", "-u", PROGRAM],
                   env=env, log_path=light_log(node["name"]))


def stop(node):
    if node["docker"]:
        docker_engine.docker(node["name"], "stop", "-t", "5", "calico-node", check=False)
    else:
        pid = host.service_pid(node["name"], "calico-node")
        if pid:
            netns.kill([pid], signal.SIGTERM)
            if netns.wait_gone([pid], 5):
                netns.kill([pid] + list(netns.descendants({pid})))


def log_mark(node):
    """A point in calico-node's log to read from later: a time (docker) or an offset (file)."""
    if node["docker"]:
        return time.time()
    try:
        return os.path.getsize(light_log(node["name"]))
    except OSError:
        return 0


def log(node, mark=None):
    """calico-node's log: `docker logs` (docker hosts) or the log file (light hosts),
    from MARK (see log_mark) on."""
    if node["docker"]:
        return docker_engine.logs(node["name"], since="%.3f" % mark if mark else None)
    try:
        with open(light_log(node["name"]), encoding="utf-8", errors="replace") as handle:
            handle.seek(mark or 0)
            return handle.read()
    except OSError:
        return ""
