"""Read a lab host's BIRD through its control socket (a file under the lab's state dir,
reachable from any network namespace) with birdc."""
import os
import subprocess

from state import host_dir


def socket_path(name):
    return host_dir(name, "run", "calico", "bird.ctl")


def birdc(name, *command):
    path = socket_path(name)
    if not os.path.exists(path):
        return None
    try:
        proc = subprocess.run(["birdc", "-s", path] + list(command), capture_output=True, text=True, timeout=5, check=False)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0 or "Unable to connect" in proc.stdout:
        return None
    return proc.stdout


def peer_of(proto_name):
    for prefix in ("Mesh_", "Node_", "Global_"):
        if proto_name.startswith(prefix):
            return proto_name[len(prefix):].replace("_", ".")
    return None


def protocols(name):
    """[{name, proto, state, since, info, peer}] for BGP protocols, or None if BIRD is down."""
    out = birdc(name, "show", "protocols")
    if out is None:
        return None
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 5)
        if len(parts) >= 5 and parts[1] == "BGP":
            rows.append({"name": parts[0], "proto": parts[1], "state": parts[3], "since": parts[4],
                         "info": parts[5].strip() if len(parts) > 5 else "",
                         "peer": peer_of(parts[0])})
    return rows


def router_id(name):
    out = birdc(name, "show", "status")
    if out is None:
        return None
    for line in out.splitlines():
        if line.startswith("Router ID is"):
            return line.split()[-1]
    return None
