"""The active TCP check, against real sockets on the loopback range (no traffic leaves the machine):
a listener (connected), a closed port (refused), listeners whose accept queue is full so the
kernel drops further SYNs (timed out), all at once within one timeout."""
import errno
import socket
import time

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._probe import _classify, probe, probe_facts


def listener(address="127.0.0.1", port=0, backlog=8):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(backlog)
    return sock


def full_listener(address, port):
    """A listener that accepts nothing and whose queue is full: further SYNs go unanswered."""
    sock = listener(address, port, backlog=0)
    fillers = []
    for dummy in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex((address, port))
        fillers.append(client)
    time.sleep(0.05)
    return [sock] + fillers


def closed_port():
    sock = listener()
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_connected():
    sock = listener()
    try:
        got = probe(["127.0.0.1"], port=sock.getsockname()[1], timeout=1)
    finally:
        sock.close()
    assert got["127.0.0.1"]["result"] == "connected" and got["127.0.0.1"]["detail"] is None


def test_refused():
    got = probe(["127.0.0.1"], port=closed_port(), timeout=1)
    assert got["127.0.0.1"]["result"] == "refused" and "refused" in got["127.0.0.1"]["detail"]


def test_all_peers_at_once_within_one_timeout():
    port = closed_port()
    addresses = ["127.0.0.%d" % i for i in range(2, 12)]
    socks = []
    try:
        for address in addresses:
            socks.extend(full_listener(address, port))
        started = time.time()
        got = probe(addresses + ["127.0.0.1"], port=port, timeout=0.5)
        took = time.time() - started
    finally:
        for sock in socks:
            sock.close()
    assert {a: got[a]["result"] for a in addresses} == dict.fromkeys(addresses, "timed_out")
    assert got["127.0.0.1"]["result"] == "refused"
    assert took < 1.0, "10 timing-out peers took %.2fs: not probed at once" % took


def test_invalid_and_duplicate_addresses():
    got = probe(["nope", "", "127.0.0.1", "127.0.0.1"], port=closed_port(), timeout=0.5)
    assert got["nope"] == {"result": "error", "detail": "not an IP address", "seconds": 0.0}
    assert sorted(got) == ["127.0.0.1", "nope"]


@pytest.mark.parametrize("err,result", [
    (0, "connected"), (errno.ECONNREFUSED, "refused"), (errno.EPERM, "refused"),
    (errno.ETIMEDOUT, "timed_out"), (errno.EHOSTUNREACH, "unreachable"), (errno.ENETUNREACH, "unreachable"),
    (errno.EIO, "error"),
])
def test_classify(err, result):
    assert _classify(err) == result


def test_probe_facts_leaves_out_own_addresses():
    port = closed_port()
    facts = probe_facts(["127.0.0.1", "127.0.0.2/24", None, "127.0.0.2"], own_addresses=["127.0.0.2/8"],
                        port=port, timeout=0.5)
    assert sorted(facts["peers"]) == ["127.0.0.1"]
    assert (facts["port"], facts["timeout"]) == (port, 0.5) and facts["duration_s"] < 0.5


def test_established_peers_are_not_probed():
    """BIRD resets an Established session when its peer opens a new connection (graceful
    restart): those peers get `established` and no connection at all."""
    sock = listener()
    port = sock.getsockname()[1]
    try:
        facts = probe_facts(["127.0.0.1", "127.0.0.3"], port=port, timeout=0.5, established=["127.0.0.1"])
        sock.settimeout(0.2)
        with pytest.raises(socket.timeout):
            sock.accept()          # nothing connected to the established peer's port
    finally:
        sock.close()
    assert facts["peers"]["127.0.0.1"] == {"result": "established", "detail": "BGP session Established: not probed",
                                           "seconds": 0.0}
    assert facts["peers"]["127.0.0.3"]["result"] == "refused"


def test_probe_facts_without_peers():
    assert probe_facts([], port=1)["peers"] == {}
