"""Issue 11 item 6: a process merely named calico-node is not trusted. Without a Docker
container, only a calico-node process run by root is read (its environment, its log file), and
the facts say which process was used; one run by another user is ignored with a warning."""
import os

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_discovery import calico_node_state, find_calico_process

from fake_run import FakeRun


def make_proc(root, pid, uid, env, stdout=None):
    base = root / str(pid)
    (base / "fd").mkdir(parents=True)
    argv = [b"/usr/bin/python3", b"-u", b"/home/mallory/calico-node"]
    (base / "cmdline").write_bytes(b"\0".join(argv) + b"\0")
    (base / "comm").write_text("calico-node\n")
    (base / "environ").write_bytes(b"\0".join(("%s=%s" % kv).encode() for kv in env.items()) + b"\0")
    (base / "cgroup").write_text("0::/user.slice\n")
    (base / "status").write_text("Name:\tcalico-node\nUid:\t%d\t%d\t%d\t%d\n" % (uid, uid, uid, uid))
    if stdout:
        os.symlink(stdout, str(base / "fd" / "1"))


def test_process_of_nobody_is_ignored(tmp_path):
    proc = tmp_path / "proc"
    secret = tmp_path / "shadow"
    secret.write_text("Using autodetected IPv4 address on interface evil0: 6.6.6.6/32\n")
    make_proc(proc, 31337, 65534, {"IP": "6.6.6.6", "NODENAME": "master"}, stdout=str(secret))
    (proc / "self").mkdir()
    info, warnings = calico_node_state(FakeRun(), docker_socket=str(tmp_path / "none.sock"), proc_root=str(proc))
    assert info["deployment"] == "none" and info["running"] is False
    assert info["env"]["IP"] is None and info["detected_address"] is None and info["process"] is None
    assert warnings == ["process 31337 (/usr/bin/python3 -u /home/mallory/calico-node) is named calico-node but runs as "
                        "uid 65534, not root: not trusted"]


def test_setuid_root_started_by_nobody_is_ignored(tmp_path):
    proc = tmp_path / "proc"
    make_proc(proc, 40, 0, {})
    (proc / "40" / "status").write_text("Name:\tcalico-node\nUid:\t65534\t0\t0\t0\n")
    (proc / "self").mkdir()
    assert find_calico_process(str(proc)) == (None, None)


def test_root_process_is_used_and_named(tmp_path):
    proc = tmp_path / "proc"
    make_proc(proc, 31337, 65534, {"IP": "6.6.6.6"})
    make_proc(proc, 4242, 0, {"IP": "autodetect", "NODENAME": "ai"})
    (proc / "self").mkdir()
    info, warnings = calico_node_state(FakeRun(), docker_socket=str(tmp_path / "none.sock"), proc_root=str(proc))
    assert info["running"] and info["env"]["NODENAME"] == "ai"
    assert info["process"] == {"pid": 4242, "uid": 0, "argv": ["/usr/bin/python3", "-u", "/home/mallory/calico-node"]}
    assert len(warnings) == 2 and "31337" in warnings[0]
