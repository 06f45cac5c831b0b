"""Where the lab keeps its state: `<repo>/.lab/` (git-ignored), plus small helpers to run
commands, in threads too, and to print progress.

Everything the lab creates on disk lives here, so `down` can remove it all; state.json
records what was created so `down` works after a failed `up` too.
"""
import concurrent.futures
import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(REPO, ".lab")
STATE_FILE = os.path.join(STATE, "state.json")
SSH_DIR = os.path.join(STATE, "ssh")
SSH_KEY = os.path.join(SSH_DIR, "id_ed25519")
INVENTORY = os.path.join(STATE, "inventory.yml")
ETCD_DIR = os.path.join(STATE, "etcd")
PREFIX = "md-"  # every namespace, bridge and holder process the lab makes starts with it
SWITCH_NS = PREFIX + "switch"
CONTROLLER_NS = PREFIX + "ctl"
SWITCH_BRIDGE = PREFIX + "br0"


class LabError(RuntimeError):
    """A failure the CLI reports as one message (exit 1)."""


def host_dir(name, *parts):
    return os.path.join(STATE, "hosts", name, *parts)


def netns_of(name):
    return PREFIX + name


def run(cmd, check=True, **kwargs):
    """Run CMD (a list), capture text output; raise LabError naming the command on failure."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise LabError("command failed (%d): %s: %s" % (proc.returncode, " ".join(cmd),
                                                        (proc.stderr or proc.stdout).strip()[-500:]))
    return proc


def say(msg):
    print(msg, flush=True)


def parallel(func, items):
    """Run FUNC over ITEMS in threads -> their results in ITEMS' order; re-raise the first error."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(8, len(items)))) as pool:
        return [future.result() for future in [pool.submit(func, item) for item in items]]


def load():
    try:
        with open(STATE_FILE, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def loaded():
    """The state of the lab that is up; LabError when none is."""
    current = load()
    if not current:
        raise LabError("no lab is up (no %s); run `lab up TOPOLOGY.yml`" % STATE_FILE)
    return current


def save(state):
    os.makedirs(STATE, exist_ok=True)
    tmp = STATE_FILE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(tmp, STATE_FILE)


def read_pid(path):
    try:
        with open(path, encoding="utf-8") as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return pid if os.path.exists("/proc/%d" % pid) else None


def write_pid(path, pid):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("%d\n" % pid)
