"""Issue 11 item 3: calico_node refuses option-like names, an empty node name, times that
make no sense and a router id that is not an address - before it runs any program - and puts
`--` before the unit name."""
import json
import os
import sys

import pytest

from ansible_collections.meshdoctor.calico.plugins.modules import calico_node

from run_module import run_module


@pytest.fixture
def systemctl(monkeypatch, tmp_path):
    """A systemctl that records its arguments and, like the real one, exits 0 on --help."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "systemctl.jsonl"
    prog = bindir / "systemctl"
    prog.write_text("#!%s\nimport json, sys\nopen(%r, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                    "if sys.argv[1] == 'show':\n    print('loaded')\nsys.exit(0)\n" % (sys.executable, str(log)))
    os.chmod(str(prog), 0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "")))
    return log


def calls(log):
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def run(monkeypatch, args):
    base = {"bird_socket": "/nonexistent/bird.ctl", "docker_socket": "/nonexistent/docker.sock", "wait": False}
    return run_module(monkeypatch, calico_node.main, dict(base, **args))


@pytest.mark.parametrize("args,message", [
    ({"method": "systemd", "unit": "--help"}, "unit='--help' starts with '-'"),
    ({"method": "systemd", "unit": "-H evil"}, "unit='-H evil' starts with '-'"),
    ({"method": "systemd", "unit": ""}, "unit must not be empty"),
    ({"method": "systemd", "unit": "calico-node\nx"}, "holds control character U+000A"),
    ({"method": "kubectl", "node_name": ""}, "node_name must not be empty"),
    ({"method": "kubectl", "node_name": "--all-namespaces"}, "node_name='--all-namespaces' starts with '-'"),
    ({"method": "systemd", "timeout": -5}, "timeout must be a number of seconds, 0 or more, got -5"),
    ({"method": "systemd", "poll_interval": 0}, "poll_interval must be a number of seconds more than 0"),
    ({"method": "systemd", "poll_interval": -1.5}, "poll_interval must be a number of seconds more than 0"),
    ({"method": "systemd", "poll_interval": "nan"}, "poll_interval must be a number of seconds more than 0, got nan"),
    ({"method": "systemd", "poll_interval": "inf"}, "poll_interval must be a number of seconds more than 0, got inf"),
    ({"method": "systemd", "expected_router_id": "not-an-ip"}, "expected_router_id='not-an-ip' is not an IPv4 address"),
    ({"method": "systemd", "expected_router_id": "fd00::1"}, "is not an IPv4 address"),
    ({"method": "systemd", "expected_peers": ["10.0.0.1", "x"]}, "expected_peers: 'x' is not an IP address"),
])
def test_bad_options_are_refused_before_anything_runs(monkeypatch, systemctl, args, message):
    result = run(monkeypatch, args)
    assert result.get("failed"), result
    assert message in result["msg"]
    assert not result.get("restarted")
    assert calls(systemctl) == []


def test_unit_name_follows_double_dash(monkeypatch, systemctl):
    result = run(monkeypatch, {"method": "systemd", "unit": "calico-node"})
    assert not result.get("failed"), result.get("msg")
    assert result["restarted"]
    assert calls(systemctl) == [["restart", "--", "calico-node"]]


def test_auto_asks_systemd_with_double_dash(monkeypatch, systemctl):
    run(monkeypatch, {"unit": "calico-node"})
    assert calls(systemctl)[0] == ["show", "--property=LoadState", "--value", "--", "calico-node"]
