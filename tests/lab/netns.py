"""Network namespaces, the switch bridge, veth cables, and finding/killing the processes
that live in a namespace.

The root namespace never gets a lab address or a veth end: cables are created with both
ends directly inside lab namespaces.
"""
import os
import signal
import time

import procfs
from state import CONTROLLER_NS, PREFIX, SWITCH_BRIDGE, SWITCH_NS, LabError, run

NETNS_DIR = "/run/netns"


def exists(ns):
    return os.path.exists(os.path.join(NETNS_DIR, ns))


def lab_namespaces():
    """md-* namespaces that are this lab's: the switch, the controller, and those holding a
    host holder process (md-init-*). Other md-* namespaces (e.g. unit tests') are left alone."""
    try:
        names = sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(PREFIX))
    except OSError:
        return []
    ours = []
    for name in names:
        if name in (SWITCH_NS, CONTROLLER_NS) or any(procfs.cmdline(p).startswith(PREFIX + "init-") for p in pids_in(name, False)):
            ours.append(name)
    return ours


def add(ns):
    if exists(ns):
        raise LabError("network namespace %s already exists (run `lab down` first)" % ns)
    run(["ip", "netns", "add", ns])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])


def make_switch():
    add(SWITCH_NS)
    run(["ip", "-n", SWITCH_NS, "link", "add", SWITCH_BRIDGE, "type", "bridge"])
    # No STP and no forwarding delay: ports forward at once.
    run(["ip", "-n", SWITCH_NS, "link", "set", SWITCH_BRIDGE, "type", "bridge", "forward_delay", "0", "stp_state", "0"])
    run(["ip", "-n", SWITCH_NS, "link", "set", SWITCH_BRIDGE, "up"])


def cable(ns, nic, port, cidr):
    """A veth from NS (named NIC, address CIDR) to PORT on the switch bridge."""
    run(["ip", "link", "add", nic, "netns", ns, "type", "veth", "peer", "name", port, "netns", SWITCH_NS])
    run(["ip", "-n", SWITCH_NS, "link", "set", port, "master", SWITCH_BRIDGE, "up"])
    run(["ip", "-n", ns, "addr", "add", cidr, "dev", nic])
    run(["ip", "-n", ns, "link", "set", nic, "up"])


def inode(ns):
    try:
        return os.stat(os.path.join(NETNS_DIR, ns)).st_ino
    except OSError:
        return None


def pids_in(ns, with_descendants=True):
    """PIDs whose network namespace is NS, plus (optionally) all their descendants:
    containers on Docker bridges live in their own netns but descend from the host's shims."""
    ino = inode(ns)
    if ino is None:
        return set()
    parents = procfs.parents()
    found = set()
    for pid in parents:
        try:
            if os.stat("/proc/%d/ns/net" % pid).st_ino == ino:
                found.add(pid)
        except OSError:
            pass
    if with_descendants:
        return found | descendants(found, parents)
    return found


def descendants(roots, parents=None):
    parents = parents if parents is not None else procfs.parents()
    out, grew = set(), True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if (ppid in roots or ppid in out) and pid not in out and pid not in roots:
                out.add(pid)
                grew = True
    return out


def kill(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def wait_gone(pids, timeout=10.0):
    deadline = time.time() + timeout
    alive = set(pids)
    while alive and time.time() < deadline:
        alive = {p for p in alive if procfs.alive(p)}
        if alive:
            time.sleep(0.05)
    return alive


def delete(ns):
    if exists(ns):
        run(["ip", "netns", "del", ns], check=False)
