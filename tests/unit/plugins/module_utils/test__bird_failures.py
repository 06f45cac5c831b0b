"""BIRD parsers on the failures of issue 13, recorded from live BIRD 1.6.8 and 2.0.12 by
tests/unit/fixtures/capture_bgp_failures.py (f1 peers with f2: AS mismatch, f3: TCP 179 held by
another listener, f4: TCP 179 rejected by iptables), and on Calico's BIRD fork version string."""
import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._bird_reply import (
    parse_protocol_row,
    parse_show_protocols,
    parse_show_status,
    split_version,
)

from fixtures import fixture_bytes, fixture_text

TAGS = ("bird_1.6.8", "bird2_2.0.12")


def bgp(tag, host, command="show_protocols"):
    data = fixture_bytes("bird", "%s_%s_fail_%s.bin" % (tag, host, command))
    return dict((p["name"], p) for p in parse_show_protocols(data) if p["proto"] == "BGP")


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("command", ["show_protocols", "show_protocols_all"])
def test_down_protocol_with_error_is_down_with_its_error(tag, command):
    proto = bgp(tag, "f3", command)["Mesh_10_98_0_1"]
    assert (proto["state"], proto["bgp_state"], proto["last_error"]) == ("down", "Down", "Error: No listening socket")
    assert proto["peer_address"] == "10.98.0.1"


def test_issue_sample_row():
    row = parse_protocol_row("Mesh_10_0_0_2 BGP master down 13:25:20 Error: No listening socket")
    assert (row["bgp_state"], row["last_error"], row["peer_address"]) == ("Down", "Error: No listening socket", "10.0.0.2")


def test_calico_fork_birdcl_output():
    rows = dict((p["name"], p) for p in parse_show_protocols(fixture_text("bird", "calico_fork_birdcl_show_protocols.txt")))
    assert rows["Mesh_192_168_1_196"]["bgp_state"] == "Down"
    assert rows["Mesh_192_168_1_196"]["last_error"] == "Error: No listening socket"
    assert rows["Mesh_192_168_1_172"]["bgp_state"] == "Established"


def test_a_down_protocol_without_error_or_a_non_state_word_stays_unknown():
    assert parse_protocol_row("Mesh_10_0_0_2 BGP master down 13:25:20")["bgp_state"] is None
    assert parse_protocol_row("Mesh_10_0_0_2 BGP master up 13:25:20 Weird stuff")["bgp_state"] is None


@pytest.mark.parametrize("tag,errors", [
    ("bird_1.6.8", {"Mesh_10_98_0_2": ("Idle", "BGP Error: Bad peer AS"),
                    "Mesh_10_98_0_4": ("Active", "Socket: Connection refused")}),
    ("bird2_2.0.12", {"Mesh_10_98_0_2": ("Idle", "BGP Error: Bad peer AS"),
                      "Mesh_10_98_0_3": ("Active", "Socket: Connection reset by peer"),
                      "Mesh_10_98_0_4": ("Active", "Socket: Connection refused")}),
])
def test_observer_sees_each_failure(tag, errors):
    rows = bgp(tag, "f1")
    for name, (state, error) in errors.items():
        assert (rows[name]["bgp_state"], rows[name]["last_error"]) == (state, error)


def test_bird2_as_mismatch_other_side_and_blocked_side():
    assert bgp("bird2_2.0.12", "f2")["Mesh_10_98_0_1"]["last_error"] == "Received: Bad peer AS"
    assert bgp("bird_1.6.8", "f4")["Mesh_10_98_0_1"]["last_error"] == "Socket: Connection refused"


@pytest.mark.parametrize("text,expected", [
    ("1.6.8", ("1.6.8", None)),
    ("2.0.12", ("2.0.12", None)),
    ("v0.3.3+birdv1.6.8", ("1.6.8", "0.3.3")),
    ("v0.3.2+birdv1.6.3", ("1.6.3", "0.3.2")),
    ("v1.6.8", ("1.6.8", None)),
    ("", (None, None)),
])
def test_split_version(text, expected):
    assert split_version(text) == expected


def test_calico_fork_status():
    status = parse_show_status(fixture_bytes("bird", "calico_fork_show_status.bin"))
    assert (status["version"], status["fork_version"], status["router_id"]) == ("1.6.8", "0.3.3", "192.168.1.188")


def test_vanilla_status_has_no_fork_version():
    status = parse_show_status(fixture_bytes("bird", "bird_1.6.8_a_show_status.bin"))
    assert (status["version"], status["fork_version"]) == ("1.6.8", None)
