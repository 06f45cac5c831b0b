"""Who holds a TCP port: /proc/net/tcp as recorded in the namespace of
tests/unit/fixtures/capture_bgp_failures.py (a python3 listener on 0.0.0.0:179), a /proc tree
made from it, and this machine's real /proc with a listener this test opens."""
import os
import socket

from ansible_collections.meshdoctor.calico.plugins.module_utils._port_owner import listeners, parse_proc_net_tcp

from fixtures import fixture_text

TCP6 = ("  sl  local_address                         remote_address                        st tx_queue rx_queue tr "
        "tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000001000000:00B3 00000000000000000000000000000000:0000 0A 00000000:00000000 "
        "00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n")


def test_parse_recorded_proc_net_tcp():
    rows = parse_proc_net_tcp(fixture_text("proc", "f3_net_tcp.txt"))
    assert rows == [{"address": "0.0.0.0", "port": 179, "state": "0A", "uid": 0, "inode": 35128}]


def test_parse_ipv6_and_junk():
    assert parse_proc_net_tcp(TCP6)[0]["address"] == "::1"
    assert parse_proc_net_tcp("header\nshort line\n  0: zz:00B3 x 0A a b c 0 0 1\n") == []


def make_proc(tmp_path, tcp, pid=20424, inode=35128, comm="python3\n", cmdline=b"python3\0-c\0listen\0"):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(tcp)
    proc = tmp_path / str(pid)
    (proc / "fd").mkdir(parents=True)
    os.symlink("socket:[%d]" % inode, str(proc / "fd" / "3"))
    os.symlink("/dev/null", str(proc / "fd" / "0"))
    (proc / "comm").write_text(comm)
    (proc / "cmdline").write_bytes(cmdline)
    (tmp_path / "self").mkdir()
    return str(tmp_path)


def test_owner_from_a_proc_tree(tmp_path):
    proc = make_proc(tmp_path, fixture_text("proc", "f3_net_tcp.txt"))
    found, warnings = listeners(179, proc)
    assert warnings == []
    assert found == [{"address": "0.0.0.0", "port": 179, "inode": 35128, "pid": 20424,
                      "program": "python3", "cmdline": "python3 -c listen"}]


def test_owner_not_visible(tmp_path):
    proc = make_proc(tmp_path, fixture_text("proc", "f3_net_tcp.txt"), inode=1)
    found, _warnings = listeners(179, proc)
    assert found[0]["pid"] is None and found[0]["program"] is None


def test_nothing_listens_and_no_proc(tmp_path):
    proc = make_proc(tmp_path, fixture_text("proc", "f3_net_tcp.txt"))
    assert listeners(180, proc) == ([], [])
    found, warnings = listeners(179, str(tmp_path / "missing"))
    assert found == [] and "cannot read" in warnings[0]


def test_live_listener_of_this_process():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        port = sock.getsockname()[1]
        found, _warnings = listeners(port)
    finally:
        sock.close()
    assert [(f["address"], f["pid"]) for f in found] == [("127.0.0.1", os.getpid())]
    assert found[0]["program"]
