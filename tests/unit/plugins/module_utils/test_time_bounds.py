"""Issue 11 item 13: the BIRD and Docker clients are bounded in time and size as a whole, not
per read, and BIRD reply scanning is linear.

The hostile peers here are real unix-socket servers (threads) that trickle bytes just inside
the per-read timeout, stream without end, or answer slowly to every detail query."""
import os
import socket
import threading
import time

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._bird import BirdClient, BirdError, bird_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import DockerAPI, DockerAPIError, docker_info


class HostileServer:
    """A unix socket server: HANDLER(conn) runs in a thread per connection."""

    def __init__(self, path, handler):
        self.path = path
        self.handler = handler
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            self.handler(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()
        self.thread.join(2)


@pytest.fixture
def server(short_tmp):
    made = []

    def make(handler, name="sock"):
        srv = HostileServer(os.path.join(short_tmp, name), handler)
        made.append(srv)
        return srv.path
    yield make
    for srv in made:
        srv.close()


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def slow_details_bird(conn, stop):
    """Answers status and protocols at once; every `show protocols all` trickles for ever."""
    conn.sendall(b"0001 BIRD 1.6.8 ready.\n")
    while not stop.is_set():
        cmd = read_line(conn)
        if cmd is None:
            return
        if cmd.startswith("show status"):
            conn.sendall(b"1000-BIRD 1.6.8\n1011-Router ID is 10.0.0.1\n0013 Daemon is up and running\n")
        elif cmd.startswith("show protocols all"):
            while not stop.is_set():          # one byte every 0.1 s: each read is in time, the reply never ends
                conn.sendall(b"x")
                time.sleep(0.1)
        elif cmd.startswith("show protocols"):
            rows = b"".join(b"1002-peer%d BGP master up 10:00:00 Established\n" % i for i in range(20))
            conn.sendall(b"2002-name proto table state since info\n" + rows + b"0000 \n")


def test_bird_details_share_one_deadline(server):
    path = server(slow_details_bird)
    start = time.monotonic()
    state = bird_state(path, timeout=0.3)
    took = time.monotonic() - start
    # Before: each of the 20 detail queries waited its own 0.3 s (6 s); now 5 x 0.3 s in all.
    assert took < 3.0, took
    assert state["running"] is True and len(state["protocols"]) == 20
    assert "timed out" in state["reason"] or "within" in state["reason"], state["reason"]


def trickle_forever(conn, stop):
    conn.sendall(b"0001 BIRD 1.6.8 ready.\n")
    read_line(conn)
    while not stop.is_set():
        conn.sendall(b"1")
        time.sleep(0.05)


def test_bird_one_reply_is_bounded_by_the_timeout_not_per_read(server):
    path = server(trickle_forever)
    with BirdClient(path, 0.5) as bird:
        start = time.monotonic()
        with pytest.raises(BirdError) as err:
            bird.command("show protocols")
    assert time.monotonic() - start < 2.0
    assert err.value.reason == "timed out"


def endless_rows(conn, stop):
    conn.sendall(b"0001 BIRD 1.6.8 ready.\n")
    read_line(conn)
    row = b"1002-Mesh_10_0_0_2 BGP master up 10:00:00 Established\n" * 100
    while not stop.is_set():
        conn.sendall(row)


def test_bird_reply_size_is_capped(server):
    path = server(endless_rows)
    with BirdClient(path, 5.0, max_reply=64 * 1024) as bird:
        with pytest.raises(BirdError) as err:
            bird.command("show protocols")
    assert err.value.reason == "reply too large"
    assert "65536 bytes" in str(err.value)


class ChunkedSocket:
    """A socket stand-in that hands out a reply a few bytes per recv()."""

    def __init__(self, data, size):
        self.data, self.size, self.pos = data, size, 0

    def recv(self, _bufsize):
        chunk = self.data[self.pos:self.pos + self.size]
        self.pos += self.size
        return chunk

    def close(self):
        pass


def test_bird_reply_scanning_is_linear():
    # 6000 rows arriving 40 bytes at a time: rescanning the whole buffer at every chunk (the old
    # way) is ~20 million line checks; scanning only what arrived is ~6000.
    rows = b"".join(b"1002-Mesh_10_0_%d_%d BGP master up 10:00:00 Established\n" % (i // 250, i % 250)
                    for i in range(6000))
    client = BirdClient("/nonexistent", 5.0)
    client.sock = ChunkedSocket(rows + b"0000 \n", 40)
    start = time.monotonic()
    lines = client._read_reply()  # pylint: disable=protected-access
    assert time.monotonic() - start < 1.0
    assert len(lines) == 6001 and lines[-1] == (0, "")


# ------------------------------------------------------------------ Docker
def read_request(conn):
    """The request's head (up to its blank line), or None when the client hangs up first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def trickle_http(conn, stop):
    data = read_request(conn)
    if data is None:
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b" ")
        time.sleep(0.1)


def test_docker_request_is_bounded_as_a_whole(server):
    path = server(trickle_http)
    start = time.monotonic()
    with pytest.raises(DockerAPIError) as err:
        DockerAPI(path, timeout=0.5).get("/version")
    assert time.monotonic() - start < 2.0
    assert err.value.reason == "timed out"


def huge_http(conn, stop):
    data = read_request(conn)
    if data is None:
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
    block = b" " * 65536
    while not stop.is_set():
        conn.sendall(block)


def test_docker_reply_size_is_capped(server):
    path = server(huge_http)
    with pytest.raises(DockerAPIError) as err:
        DockerAPI(path, timeout=10, max_bytes=256 * 1024).get("/version")
    assert err.value.reason == "reply too large"


def slow_engine(conn, stop):
    """Answers every request correctly, each after 0.25 s: many networks add up."""
    data = read_request(conn)
    if data is None:
        return
    path = data.split(b" ", 2)[1].decode()
    time.sleep(0.25)
    if path.startswith("/version"):
        body = b'{"Version": "20.10.24"}'
    elif path.startswith("/networks?"):
        body = ("[%s]" % ",".join('{"Id": "%064x", "Name": "n%d", "Driver": "bridge"}' % (i + 1, i)
                                  for i in range(40))).encode()
    else:
        body = b'{"Id": "x", "Name": "n", "Driver": "bridge"}'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    stop.wait(0)


def test_docker_collection_shares_one_deadline(server):
    path = server(slow_engine)
    start = time.monotonic()
    info, warnings = docker_info([], path, timeout=0.3)
    took = time.monotonic() - start
    # Before: 42 requests x 0.25 s = 10.5 s; now the whole collection gets 5 x 0.3 s.
    assert took < 3.0, took
    assert info["docker_available"] is True
    assert any("used up" in w or "timed out" in w for w in warnings), warnings
