"""One lab host: its holder process (own mount + UTS namespace inside the host's netns),
its bind-mounted /run, /etc/calico and /var/log (so /var/log/calico is per host), and its sshd.

The holder (`md-init-<name>`) only keeps the namespaces alive; sshd, dockerd, etcd and the
light calico-node are started into them with nsenter, so each can be stopped and started
on its own (faults, outages) without losing the host's view of the file system.
"""
import os
import subprocess
import time

import procfs
from state import SSH_DIR, SSH_KEY, LabError, host_dir, netns_of, read_pid, run, write_pid

ETC_CALICO = "/etc/calico"


SSH_CONFIG = os.path.join(SSH_DIR, "config")
SSH_BIN = os.path.join(SSH_DIR, "bin")


def ensure_user_key():
    """The lab's ed25519 key, the hosts' authorized_keys, and the controller's ssh config
    (used through the ssh/scp/sftp wrappers that `lab shell` puts on PATH)."""
    os.makedirs(SSH_BIN, exist_ok=True)
    if not os.path.exists(SSH_KEY):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "meshdoctor-lab", "-f", SSH_KEY])
    with open(SSH_KEY + ".pub", encoding="utf-8") as src, \
            open(os.path.join(SSH_DIR, "authorized_keys"), "w", encoding="utf-8") as dst:
        dst.write(src.read())
    with open(SSH_CONFIG, "w", encoding="utf-8") as handle:
        handle.write("# lab hosts: root with the lab key; host keys change at every `lab up`\n"
                     "Host *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n"
                     "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n" % SSH_KEY)
    for tool in ("ssh", "scp", "sftp"):
        path = os.path.join(SSH_BIN, tool)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write('#!/bin/sh\nexec /usr/bin/%s -F %s "$@"\n' % (tool, SSH_CONFIG))
        os.chmod(path, 0o755)


def prepare(node):
    """Create the host's directories, host key and sshd config."""
    name = node["name"]
    for sub in ("run/sshd", "run/calico", "etc-calico", "var-log/calico", "pids", "logs"):
        os.makedirs(host_dir(name, sub), exist_ok=True)
    os.chmod(host_dir(name, "run"), 0o755)
    key = host_dir(name, "ssh_host_ed25519_key")
    if not os.path.exists(key):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key])
    with open(host_dir(name, "sshd_config"), "w", encoding="utf-8") as handle:
        handle.write("\n".join([
            "# sshd of lab host %s (its own host key and pid file)" % name,
            "ListenAddress %s" % node["ip"],
            "HostKey %s" % key,
            "PidFile /run/sshd.pid",
            "AuthorizedKeysFile %s" % os.path.join(SSH_DIR, "authorized_keys"),
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",   # the repo's directories need not be root-only
            "PrintMotd no",
            "MaxStartups 100:30:200",
            "MaxSessions 50",
            "Subsystem sftp /usr/lib/openssh/sftp-server",
            "",
        ]))


def ensure_etc_calico_mountpoint():
    """/etc/calico must exist as a mount point; return True when the lab created it."""
    if os.path.isdir(ETC_CALICO):
        return False
    os.makedirs(ETC_CALICO)
    return True


def start_holder(node):
    """Start md-init-<name>: new mount, UTS and PID namespaces inside the host's netns, with
    the host's own hostname, /proc, /run (so /var/run/docker.sock and /var/run/calico are
    per host), /etc/calico, /var/log and a cgroup2 mount (dockerd needs one). tini is PID 1 there so
    orphans get reaped; `ps`/`pgrep` on a host see only that host's processes."""
    name = node["name"]
    script = "; ".join([
        "set -e",
        "hostname %s" % name,
        "mount --bind %s /run" % host_dir(name, "run"),
        "mount --bind %s %s" % (host_dir(name, "etc-calico"), ETC_CALICO),
        "mount --bind %s /var/log" % host_dir(name, "var-log"),
        "mount -t cgroup2 none /sys/fs/cgroup",
        "exec -a md-init-%s /usr/bin/tini -s -- sleep infinity" % name,
    ])
    with open(host_dir(name, "logs", "init.log"), "ab") as log:
        # `ip netns exec` execs in place; `unshare --fork` stays as the parent of PID 1.
        proc = subprocess.Popen(["ip", "netns", "exec", netns_of(name), "unshare", "--mount", "--uts",
                                 "--pid", "--fork", "--mount-proc", "--propagation", "private",
                                 "bash", "-c", script],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    write_pid(host_dir(name, "pids", "unshare.pid"), proc.pid)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise LabError("host %s: namespace holder exited (%s), see %s" % (name, proc.returncode, host_dir(name, "logs", "init.log")))
        for child in procfs.children(proc.pid):
            if procfs.comm(child) == "tini" and any(procfs.comm(c) == "sleep" for c in procfs.children(child)):
                write_pid(host_dir(name, "pids", "init.pid"), child)
                return child
        time.sleep(0.02)
    raise LabError("host %s: namespace holder did not start" % name)


def holder_pid(name):
    return read_pid(host_dir(name, "pids", "init.pid"))


def holder_family(name):
    """The pids that keep host NAME's namespaces alive (unshare, tini, sleep)."""
    out = set()
    for pid in (read_pid(host_dir(name, "pids", "unshare.pid")), holder_pid(name)):
        if pid:
            out.add(pid)
            out.update(procfs.children(pid))
    return out


def _enter(name):
    init = holder_pid(name)
    if not init:
        raise LabError("host %s is not running (no namespace holder)" % name)
    return ["nsenter", "-t", str(init), "-m", "-u", "-n", "-p", "--"]


def spawn(name, service, argv, env=None, log_path=None):
    """Start ARGV inside host NAME's namespaces as a new session. nsenter forks to enter the
    PID namespace; the service's own pid (its child) is recorded in pids/SERVICE.pid."""
    log_path = log_path or host_dir(name, "logs", service + ".log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(_enter(name) + argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=env, start_new_session=True, cwd="/")
    deadline = time.time() + 5
    while time.time() < deadline:
        kids = procfs.children(proc.pid)
        if kids:
            write_pid(host_dir(name, "pids", service + ".pid"), kids[0])
            return kids[0]
        if proc.poll() is not None:
            raise LabError("host %s: %s exited at once (%s), see %s" % (name, service, proc.returncode, log_path))
        time.sleep(0.01)
    raise LabError("host %s: %s did not start" % (name, service))


def in_host(name, argv, check=True, **kwargs):
    """Run a short command inside host NAME's namespaces and return CompletedProcess."""
    return run(_enter(name) + argv, check=check, **kwargs)


def start_sshd(node):
    return spawn(node["name"], "sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", host_dir(node["name"], "sshd_config")])


def service_pid(name, service):
    return read_pid(host_dir(name, "pids", service + ".pid"))
