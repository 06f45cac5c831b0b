"""BIRD control socket: parsers on real BIRD 1.6.8 replies (recorded by
tests/unit/fixtures/capture_netns.py) and on the formats of Calico's outage write-up and BIRD 2,
and the client against a replaying socket server and, when installed, a real BIRD."""
import os
import shutil
import socket
import subprocess
import time

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._bird import BirdClient, BirdError, bird_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._bird_reply import (
    decode_peer_name,
    parse_protocol_row,
    parse_reply,
    parse_show_protocols,
    parse_show_status,
    reply_complete,
    reply_error,
)

from fake_bird import FakeBird
from fixtures import fixture_bytes, fixture_text, strip_welcome


def by_name(protocols):
    return dict((p["name"], p) for p in protocols)


# ------------------------------------------------------------------ reply framing
def test_parse_reply_codes_and_continuations():
    lines = parse_reply(fixture_bytes("bird", "bird_1.6.8_a_show_status.bin"))
    assert lines[0] == (1000, "BIRD 1.6.8")
    assert lines[1] == (1011, "Router ID is 10.99.0.1")
    # continuation lines carry the code of the line before them
    assert lines[2] == (1011, "Current server time is " + lines[2][1].split("is ", 1)[1])
    assert lines[-1] == (13, "Daemon is up and running")


def test_parse_reply_plain_text_has_no_codes():
    lines = parse_reply(fixture_text("bird", "seed_1.6_ai_outage_birdc.txt"))
    assert all(code is None for code, _text in lines)


def test_parse_reply_accepts_lists():
    assert parse_reply([(1002, "x"), "0000 "]) == [(1002, "x"), (0, "")]


@pytest.mark.parametrize("data,complete", [
    (b"0001 BIRD 1.6.8 ready.\n", True),
    (b"2002-name proto\n1002-kernel1 Kernel\n", False),
    (b"2002-name proto\n1002-kernel1\n 0000 x\n", False),   # a continuation line, not an end
    (b"1002-x\n0000 \n", True),
    (b"0000 ", False),                                      # no newline yet
    (b"", False),
])
def test_reply_complete(data, complete):
    assert reply_complete(data) is complete


@pytest.mark.parametrize("name,expected", [
    ("bird_1.6.8_a_show_protocols_Nope_1.bin", "9002 Nope_1 is not a protocol"),
    ("bird_1.6.8_a_show_protocolz.bin", "9001 syntax error"),
    ("no_protocols_match.txt", "8003 No protocols match"),
    ("bird_1.6.8_a_show_protocols.bin", None),
])
def test_reply_error(name, expected):
    assert reply_error(fixture_bytes("bird", name)) == expected


# ------------------------------------------------------------------ show protocols, real BIRD 1.6.8
def test_real_bird16_show_protocols_mesh_states():
    protos = parse_show_protocols(fixture_bytes("bird", "bird_1.6.8_a_show_protocols.bin"))
    assert [p["name"] for p in protos] == ["kernel1", "device1", "direct1", "static1", "Mesh_10_99_0_2",
                                           "Mesh_10_99_0_3", "Mesh_10_99_0_9"]
    names = by_name(protos)
    assert names["kernel1"] == {"name": "kernel1", "proto": "Kernel", "table": "master", "state": "up",
                                "since": names["kernel1"]["since"], "info": None, "bgp_state": None,
                                "last_error": None, "peer_address": None, "peer_type": None}
    up = names["Mesh_10_99_0_2"]
    assert (up["state"], up["bgp_state"], up["last_error"], up["info"]) == ("up", "Established", None, "Established")
    assert (up["peer_type"], up["peer_address"]) == ("mesh", "10.99.0.2")
    reset = names["Mesh_10_99_0_3"]
    assert (reset["state"], reset["bgp_state"], reset["last_error"]) == ("start", "Active", "Socket: Connection reset by peer")
    assert reset["info"] == "Active        Socket: Connection reset by peer"
    assert names["Mesh_10_99_0_9"]["last_error"] == "Socket: No route to host"
    assert len(up["since"]) == 8 and up["since"].count(":") == 2


def test_real_bird6_show_protocols_decodes_ipv6_names():
    names = by_name(parse_show_protocols(fixture_bytes("bird", "bird6_1.6.8_a_show_protocols.bin")))
    assert names["Mesh_fd99__2"]["peer_address"] == "fd99::2"
    assert names["Mesh_fd99__3"]["last_error"] == "Socket: Connection closed"
    assert names["Mesh_fd99__9"]["bgp_state"] == "Connect"


def test_real_show_protocols_all_gives_same_rows_and_neighbor():
    short = parse_show_protocols(fixture_bytes("bird", "bird_1.6.8_a_show_protocols.bin"))
    full = parse_show_protocols(fixture_bytes("bird", "bird_1.6.8_a_show_protocols_all.bin"))
    assert [p["name"] for p in full] == [p["name"] for p in short]
    one = parse_show_protocols(fixture_bytes("bird", "bird_1.6.8_a_show_protocols_all_Mesh_10_99_0_2.bin"))
    assert len(one) == 1 and one[0]["peer_address"] == "10.99.0.2"


def test_neighbor_address_fills_undecodable_names():
    data = fixture_bytes("bird", "bird_1.6.8_a_show_protocols_all_Mesh_10_99_0_2.bin").replace(b"Mesh_10_99_0_2", b"peer_hp")
    proto = parse_show_protocols(data)[0]
    assert proto["name"] == "peer_hp" and proto["peer_address"] == "10.99.0.2" and proto["peer_type"] is None


@pytest.mark.parametrize("name", ["bird_1.6.8_a_show_protocols_Nope_1.bin", "bird_1.6.8_a_show_protocolz.bin",
                                  "no_protocols_match.txt", "bird_1.6.8_a_show_status.bin"])
def test_show_protocols_errors_and_other_replies_give_no_rows(name):
    assert parse_show_protocols(fixture_bytes("bird", name)) == []


# ------------------------------------------------------------------ the seed's outage (BIRD 1.6 format)
def test_seed_ai_outage():
    names = by_name(parse_show_protocols(fixture_text("bird", "seed_1.6_ai_outage_show_protocols.txt")))
    mesh = [p for p in names.values() if p["proto"] == "BGP"]
    assert [(p["peer_address"], p["state"], p["since"], p["bgp_state"], p["last_error"]) for p in mesh] == [
        ("192.168.1.172", "start", "2018-10-19", "Connect", "Socket: Connection closed"),
        ("192.168.1.196", "start", "2018-10-19", "Active", "Socket: Connection reset by peer"),
        ("192.168.1.121", "start", "2018-10-19", "Active", "Socket: Connection closed"),
    ]
    assert names["static1"]["info"] is None


def test_seed_ml_sees_the_broken_peer_in_connect():
    names = by_name(parse_show_protocols(fixture_text("bird", "seed_1.6_ml_outage_show_protocols.txt")))
    broken = names["Mesh_172_19_0_1"]
    assert (broken["peer_address"], broken["bgp_state"], broken["last_error"], broken["info"]) == (
        "172.19.0.1", "Connect", None, "Connect")
    assert names["Mesh_192_168_1_196"]["bgp_state"] == "Established"


def test_seed_fixed_all_established():
    protos = parse_show_protocols(fixture_text("bird", "seed_1.6_ai_fixed_show_protocols.txt"))
    assert {p["bgp_state"] for p in protos if p["proto"] == "BGP"} == {"Established"}
    assert by_name(protos)["Mesh_192_168_1_196"]["since"] == "07:33:59"


def test_birdc_printed_text_parses_like_the_socket_reply():
    socket_form = parse_show_protocols(fixture_text("bird", "seed_1.6_ai_outage_show_protocols.txt"))
    printed = parse_show_protocols(fixture_text("bird", "seed_1.6_ai_outage_birdc.txt"))
    assert printed == socket_form


# ------------------------------------------------------------------ BIRD 2
def test_bird2_iso_long_since_two_tokens_and_table_dashes():
    names = by_name(parse_show_protocols(fixture_text("bird", "bird2_iso_long_show_protocols.txt")))
    up = names["Mesh_192_168_1_172"]
    assert (up["table"], up["since"], up["bgp_state"], up["state"]) == (None, "2024-03-08 15:13:49", "Established", "up")
    assert names["kernel1"]["table"] == "master4"
    active = names["Mesh_192_168_1_196"]
    assert (active["bgp_state"], active["last_error"]) == ("Active", "Socket: Connection refused")
    node = names["Node_10_0_0_5_port_1790"]
    assert (node["peer_type"], node["peer_address"], node["bgp_state"], node["last_error"]) == (
        "node", "10.0.0.5", "Idle", "Received: Administrative shutdown")
    down = names["Global_10_0_0_9"]
    assert (down["peer_type"], down["peer_address"], down["state"], down["info"], down["bgp_state"]) == (
        "global", "10.0.0.9", "down", None, None)


def test_bird2_default_timeformat():
    names = by_name(parse_show_protocols(fixture_text("bird", "bird2_default_show_protocols.txt")))
    assert names["Mesh_192_168_1_172"]["since"] == "15:13:49.532"
    assert names["device1"]["since"] == "2024-03-07"
    assert names["Mesh_fd00__172"]["peer_address"] == "fd00::172"
    assert names["Mesh_192_168_1_121"]["bgp_state"] == "OpenSent"


def test_heading_is_never_a_row():
    for heading in ("name     proto    table    state  since       info",
                    "Name       Proto      Table      State  Since         Info"):
        assert parse_protocol_row(heading) is None
        assert parse_show_protocols(heading + "\n") == []


# ------------------------------------------------------------------ show status
def test_show_status_real_bird16():
    status = parse_show_status(fixture_bytes("bird", "bird_1.6.8_a_show_status.bin"))
    assert status["version"] == "1.6.8" and status["router_id"] == "10.99.0.1"
    assert status["status"] == "Daemon is up and running"
    assert status["last_reboot"] and status["server_time"]


def test_show_status_welcome_and_seed_and_bird2():
    assert parse_show_status(fixture_bytes("bird", "bird_1.6.8_a_welcome.bin"))["version"] == "1.6.8"
    seed = parse_show_status(fixture_text("bird", "seed_1.6_ai_outage_show_status.txt"))
    assert (seed["version"], seed["router_id"]) == ("1.6.8", "172.19.0.1")
    two = parse_show_status(fixture_text("bird", "bird2_show_status.txt"))
    assert (two["version"], two["router_id"], two["server_time"]) == ("2.0.12", "192.168.1.188", "2024-03-08 15:20:01.412")


# ------------------------------------------------------------------ peer names
@pytest.mark.parametrize("name,expected", [
    ("Mesh_192_168_1_172", ("mesh", "192.168.1.172")),
    ("Node_10_0_0_1", ("node", "10.0.0.1")),
    ("Global_172_16_0_1", ("global", "172.16.0.1")),
    ("Mesh_fd00__1", ("mesh", "fd00::1")),
    ("Mesh_2001_db8_0_0_0_0_0_1", ("mesh", "2001:db8::1")),
    ("Node_10_0_0_5_port_1790", ("node", "10.0.0.5")),
    ("Mesh_300_1_1_1", (None, None)),
    ("Mesh_", (None, None)),
    ("bgp1", (None, None)),
    ("Local_Workload_10_0_0_1", (None, None)),
    ("", (None, None)),
])
def test_decode_peer_name(name, expected):
    assert decode_peer_name(name) == expected


# ------------------------------------------------------------------ client over a socket
def replay_server(path, prefix="bird_1.6.8_a_", **kwargs):
    replies = {
        "show status": fixture_bytes("bird", prefix + "show_status.bin"),
        "show protocols": fixture_bytes("bird", prefix + "show_protocols.bin"),
    }
    return FakeBird(path, welcome=fixture_bytes("bird", prefix + "welcome.bin"), replies=replies, **kwargs)


def test_client_reassembles_chunked_replies(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    server = replay_server(path, chunk=3)
    try:
        with BirdClient(path, 2) as bird:
            assert bird.welcome == [(1, "BIRD 1.6.8 ready.")]
            first = bird.command("show protocols")
            second = bird.command("show status")
        assert first == parse_reply(fixture_bytes("bird", "bird_1.6.8_a_show_protocols.bin"))
        assert parse_show_status(second)["router_id"] == "10.99.0.1"
    finally:
        server.close()


def test_bird_state_seed_outage(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    server = FakeBird(path, replies={
        "show status": strip_welcome(fixture_bytes("bird", "seed_1.6_ai_outage_show_status.txt")),
        "show protocols": strip_welcome(fixture_bytes("bird", "seed_1.6_ai_outage_show_protocols.txt")),
    })
    try:
        state = bird_state(path, 2)
    finally:
        server.close()
    assert (state["running"], state["reason"], state["version"], state["router_id"]) == (True, None, "1.6.8", "172.19.0.1")
    assert state["socket"] == path
    assert [p["bgp_state"] for p in state["protocols"] if p["proto"] == "BGP"] == ["Connect", "Active", "Active"]
    assert server.commands == ["show status", "show protocols"]   # names decode: no `show protocols all`


def test_bird_state_asks_details_for_undecodable_names(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    renamed = fixture_bytes("bird", "bird_1.6.8_a_show_protocols_all_Mesh_10_99_0_2.bin").replace(b"Mesh_10_99_0_2", b"hp")
    server = FakeBird(path, replies={
        "show status": fixture_bytes("bird", "bird_1.6.8_a_show_status.bin"),
        "show protocols": fixture_bytes("bird", "bird_1.6.8_a_show_protocols.bin").replace(b"Mesh_10_99_0_2", b"hp"),
        'show protocols all "hp"': renamed,
    })
    try:
        state = bird_state(path, 2)
        quick = bird_state(path, 2, details=False)
    finally:
        server.close()
    assert by_name(state["protocols"])["hp"]["peer_address"] == "10.99.0.2"
    assert by_name(quick["protocols"])["hp"]["peer_address"] is None


def test_bird_state_no_socket(short_tmp):
    path = os.path.join(short_tmp, "missing.ctl")
    state = bird_state(path, 1)
    assert state == {"socket": path, "running": False, "reason": "no socket at %s" % path, "version": None, "fork_version": None,
                     "router_id": None, "protocols": []}


def test_bird_state_stale_socket_is_refused(short_tmp):
    path = os.path.join(short_tmp, "stale.ctl")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()   # the file stays, nobody listens: what a crashed BIRD leaves behind
    state = bird_state(path, 1)
    assert state["running"] is False and state["reason"] == "connection refused"


def test_bird_state_silent_server_times_out(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    server = FakeBird(path, mode="silent")
    try:
        started = time.time()
        state = bird_state(path, 0.3)
    finally:
        server.close()
    assert time.time() - started < 2
    assert state["running"] is True and "no complete reply" in state["reason"]


def test_bird_state_no_welcome_is_not_running(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    server = FakeBird(path, mode="no-welcome")
    try:
        state = bird_state(path, 0.3)
    finally:
        server.close()
    assert state["running"] is False and state["reason"] == "timed out"


def test_bird_state_connection_closed_mid_reply(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    server = replay_server(path, mode="close")
    try:
        state = bird_state(path, 1)
    finally:
        server.close()
    assert state["running"] is True and "closed" in state["reason"]


def test_bird_state_reports_bird_errors(short_tmp):
    path = os.path.join(short_tmp, "bird.ctl")
    server = FakeBird(path, replies={"show status": b"9001 syntax error\n",
                                     "show protocols": fixture_bytes("bird", "bird_1.6.8_a_show_protocols.bin")})
    try:
        state = bird_state(path, 1)
    finally:
        server.close()
    assert state["reason"] == "BIRD answered with an error: 9001 syntax error"
    assert len(state["protocols"]) == 7 and state["version"] == "1.6.8"


def test_client_errors_are_birderror(short_tmp):
    with pytest.raises(BirdError) as err:
        BirdClient(os.path.join(short_tmp, "nope.ctl"), 1).command("show status")
    assert "no socket at" in str(err.value)


# ------------------------------------------------------------------ a real BIRD, when installed
@pytest.mark.skipif(not shutil.which("bird") or os.geteuid() != 0, reason="needs BIRD and root")
def test_real_bird_daemon(short_tmp):
    """bird -c cfg -s sock with device + static protocols only (no kernel protocol: the host's
    routing table is not touched)."""
    cfg = os.path.join(short_tmp, "bird.cfg")
    ctl = os.path.join(short_tmp, "bird.ctl")
    with open(cfg, "w") as handle:
        handle.write("router id 10.255.0.1;\nprotocol device { scan time 10; }\n"
                     "protocol static { route 172.16.2.0/24 blackhole; }\n"
                     "protocol bgp Mesh_10_255_0_2 { local as 64512; neighbor 10.255.0.2 as 64512; passive on; }\n")
    proc = subprocess.Popen(["bird", "-f", "-c", cfg, "-s", ctl, "-P", os.path.join(short_tmp, "bird.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while not os.path.exists(ctl) and time.time() < deadline:
            time.sleep(0.05)
        state = bird_state(ctl, 2)
    finally:
        proc.terminate()
        proc.wait(5)
    assert state["running"] is True and state["reason"] is None
    assert state["router_id"] == "10.255.0.1" and state["version"].startswith("1.")
    names = by_name(state["protocols"])
    assert names["static1"]["state"] == "up"
    assert names["Mesh_10_255_0_2"]["peer_address"] == "10.255.0.2"
    assert names["Mesh_10_255_0_2"]["bgp_state"] in ("Passive", "Active", "Idle", "Connect")


def test_lab_full_mesh_replies():
    """Replies recorded from the lab's four BIRDs (tests/lab, healthy seed mesh)."""
    hosts = {"master": "192.168.1.196", "ai": "192.168.1.188", "hp": "192.168.1.172", "ml": "192.168.1.121"}
    for host, ip in hosts.items():
        status = parse_show_status(fixture_bytes("bird", "lab_%s_show_status.bin" % host))
        assert status["router_id"] == ip and status["version"] == "1.6.8"
        mesh = [p for p in parse_show_protocols(fixture_bytes("bird", "lab_%s_show_protocols.bin" % host)) if p["peer_type"] == "mesh"]
        assert sorted(p["peer_address"] for p in mesh) == sorted(v for k, v in hosts.items() if k != host)
        assert {(p["state"], p["bgp_state"], p["last_error"]) for p in mesh} == {("up", "Established", None)}
