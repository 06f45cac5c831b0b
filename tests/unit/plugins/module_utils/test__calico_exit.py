"""Why calico-node stopped, from its last log lines: calico-node lines quoted in public
troubleshooting write-ups (tests/unit/fixtures/calico_node/exit_*.log, sources in
COLLECTORS-SOURCES.md) and the lab's calico-node, which prints Calico's wording."""
import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_exit import exit_reason

from fixtures import fixture_text

CONFLICT = [
    "2026-11-25 14:40:01.100 [INFO][1] startup/startup.go 275: Using hostname as node name",
    "2026-11-25 14:40:01.100 [INFO][1] startup/startup.go 279: Determined node name: hp.cluster.internal",
    "2026-11-25 14:40:01.300 [WARNING][1] startup/startup.go 833: Calico node 'hp' is already using the IPv4 address 192.168.1.172.",
    "2026-11-25 14:40:01.300 [FATAL][1] startup/startup.go 490: Failed to configure node: conflicting node detected",
]


def test_datastore_unreachable():
    got = exit_reason(fixture_text("calico_node", "exit_datastore_timeout.log").splitlines())
    assert got["kind"] == "datastore_unreachable" and got["node_name"] == "ibmcloud-node-jkb9p"
    assert got["detail"] == "Get https://10.96.0.1:443/api/v1/nodes/foo: dial tcp 10.96.0.1:443: i/o timeout"


def test_x509_wins_over_datastore_unreachable():
    got = exit_reason(fixture_text("calico_node", "exit_x509.log").splitlines())
    assert got["kind"] == "x509" and got["summary"] == "a TLS certificate error reaching the datastore"
    assert got["detail"].endswith("x509: certificate is valid for 127.0.0.1, 172.171.19.210, not 10.0.0.1")


def test_address_conflict():
    got = exit_reason(CONFLICT)
    assert got["kind"] == "address_conflict" and got["node_name"] == "hp.cluster.internal"
    assert got["conflict"] == {"node": "hp", "address": "192.168.1.172"}
    assert got["detail"] == "Calico node 'hp' is already using the IPv4 address 192.168.1.172."


@pytest.mark.parametrize("lines,kind", [
    (["2026-11-25 14:40:01.100 [INFO][1] startup.go 1: calico-node stopped"], "stopped"),
    (["x [INFO][1] a.go 1: fine", "x [ERROR][1] b.go 2: something broke"], "error"),
    (["x [FATAL][1] autodetection/autodetection_methods.go 45: Invalid IP autodetection method: bogus"],
     "invalid_autodetection"),
    (["x [WARNING][1] startup.go 1: Connection to the datastore is unauthorized"], "unauthorized"),
])
def test_other_kinds(lines, kind):
    assert exit_reason(lines)["kind"] == kind


@pytest.mark.parametrize("lines", [None, [], ["", "  "], ["x [INFO][1] a.go 1: all good"]])
def test_nothing_to_say(lines):
    assert exit_reason(lines) is None


def test_only_the_tail_counts():
    lines = ["x [FATAL][1] a.go 1: Hit error connecting to datastore"] + ["x [INFO][1] a.go 1: ok"] * 60
    assert exit_reason(lines) is None


def test_only_the_newest_run_counts():
    restarted = CONFLICT + [
        "2026-11-25 14:41:00.000 [INFO][1] startup/startup.go 251: Early log level set to info",
        "2026-11-25 14:41:00.100 [INFO][1] startup/startup.go 279: Determined node name: hp",
        "Calico node started successfully"]
    assert exit_reason(restarted) is None
    assert exit_reason(restarted[:-2] + CONFLICT)["kind"] == "address_conflict"
