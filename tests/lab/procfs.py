"""Reading /proc: one parser of /proc/PID/stat (state, parent) and the other per-process
files the lab looks at (cmdline, comm, children). A process that is gone reads as empty."""
import os


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (which may hold spaces and
    parentheses): [state, ppid, ...]; [] when the process is gone."""
    try:
        with open("/proc/%s/stat" % pid, encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def ppid(pid):
    """PID's parent, or None when PID is gone."""
    fields = _stat_fields(pid)
    try:
        return int(fields[1])
    except (IndexError, ValueError):
        return None


def alive(pid):
    """PID exists and is not a zombie."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] != "Z"


def pids():
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def parents():
    """{pid: ppid} of every process on the machine."""
    out = {}
    for pid in pids():
        parent = ppid(pid)
        if parent is not None:
            out[pid] = parent
    return out


def ancestors(pid=None):
    """PID (default: this process) and every ancestor up to, not including, init."""
    out, pid = set(), os.getpid() if pid is None else pid
    while pid is not None and pid > 1:
        out.add(pid)
        pid = ppid(pid)
    return out


def cmdline(pid):
    """The command line with its NUL separators kept; "" when PID is gone."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid), encoding="utf-8") as handle:
            return [int(x) for x in handle.read().split()]
    except (OSError, ValueError):
        return []
