"""The lab's calico-node program without a lab: what each Calico release renders into bird.cfg
(every boundary release, each accepted by the real `bird -p`), which releases run the address
monitor, and the monitor's Go-duration parsing. What each boundary follows is written beside
it in tests/lab/calico_node/release.py (Calico's templates at the pinned confd commits)."""
import ipaddress
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from labtools import LAB_DIR

sys.path.insert(0, os.path.join(LAB_DIR, "calico_node"))

import birdcfg  # noqa: E402  pylint: disable=wrong-import-position
import monitor  # noqa: E402  pylint: disable=wrong-import-position
import release  # noqa: E402  pylint: disable=wrong-import-position

PEERS = ["192.168.1.121", "192.168.1.172", "192.168.1.188", "192.168.1.196"]
BOUNDARIES = ["v3.3.9", "v3.4.0", "v3.15.1", "v3.15.2", "v3.15.5", "v3.16.0", "v3.17.0", "v3.18.0", "v3.22.0",
              "v3.24.5", "v3.25.0", "v3.26.0", "v3.27.0", "v3.29.0"]


def render(version, node_ip="192.168.1.188"):
    return birdcfg.render(node_ip, node_ip, 64512, "172.16.0.0/16", ["172.16.2.0/24"], PEERS, version)


def mesh_block(text, peer):
    start = text.index("protocol bgp %s from bgp_template {" % birdcfg.mesh_name(peer))
    return text[start:text.index("}\n", start)]


@pytest.mark.parametrize("version,expected", [("v3.14.2", False), ("v3.15.1", False), ("v3.15.2", True),
                                              ("v3.15.5", True), ("v3.16.0", True), ("v3.24.5", True), ("v3.29.0", True)])
def test_which_releases_run_the_address_monitor(version, expected):
    assert release.has_monitor(version) is expected


def test_shipped_topologies_tell_the_two_stories():
    def version(name):
        with open(os.path.join(LAB_DIR, "topologies", name), encoding="utf-8") as handle:
            return yaml.safe_load(handle)["calico_version"]
    assert not release.has_monitor(version("seed.yml")) and not release.has_monitor(version("seed-in-use.yml"))
    assert release.has_monitor(version("compose-flip.yml"))


@pytest.mark.skipif(shutil.which("bird") is None, reason="needs BIRD 1.6 (tests/setup.sh installs it)")
@pytest.mark.parametrize("version", BOUNDARIES)
def test_every_boundary_release_renders_a_config_bird_accepts(version, tmp_path):
    for name, text in render(version).items():
        (tmp_path / name).write_text(text)
    proc = subprocess.run(["bird", "-p", "-c", "bird.cfg"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_passive_on_follows_the_string_order_of_addresses_since_v3_4():
    text = render("v3.24.5")["bird.cfg"]
    # "192.168.1.196" sorts above "192.168.1.188"; "192.168.1.121" and ".172" below it
    assert "passive on" in mesh_block(text, "192.168.1.196")
    assert "passive on" not in mesh_block(text, "192.168.1.121") + mesh_block(text, "192.168.1.172")
    # a string comparison, not a numeric one: "172.19.0.1" sorts below every 192.168.* peer
    flipped = render("v3.24.5", node_ip="172.19.0.1")["bird.cfg"]
    assert all("passive on" in mesh_block(flipped, p) for p in PEERS if p != "172.19.0.1")
    assert "passive on" not in render("v3.3.9")["bird.cfg"]


def test_template_features_start_at_their_release():
    def has(version, text):
        return text in render(version)["bird.cfg"] + render(version)["bird_ipam.cfg"]
    assert has("v3.17.0", "merge paths on;") and not has("v3.16.10", "merge paths on;")
    assert has("v3.16.0", "apply_communities();") and not has("v3.15.5", "apply_communities();")
    assert has("v3.22.0", "reject_disabled_pools();") and not has("v3.20.0", "reject_disabled_pools();")
    # source address: in the template up to v3.17, in each mesh peer from v3.18
    old, new = render("v3.17.6")["bird.cfg"], render("v3.18.0")["bird.cfg"]
    assert "source address" not in mesh_block(old, "192.168.1.121") and "source address" in mesh_block(new, "192.168.1.121")
    # multihop: template up to v3.24, mesh peer (with ttl security off) in v3.25, gone in v3.26
    assert "  multihop;\n" in render("v3.24.5")["bird.cfg"].split("# ------------- Node-to-node mesh", maxsplit=1)[0]
    assert "ttl security off;" in mesh_block(render("v3.25.0")["bird.cfg"], "192.168.1.121")
    assert "multihop" not in render("v3.26.0")["bird.cfg"]
    assert "calico_export_to_bgp_peers(true);" in mesh_block(render("v3.27.0")["bird.cfg"], "192.168.1.121")
    assert "calico_export_to_bgp_peers();" in mesh_block(render("v3.26.0")["bird.cfg"], "192.168.1.121")


@pytest.mark.parametrize("text,seconds", [("5s", 5.0), ("60s", 60.0), ("1m30s", 90.0), ("1.5s", 1.5), ("500ms", 0.5),
                                          ("0", 0.0), ("+2m", 120.0)])
def test_poll_interval_is_a_go_duration(text, seconds):
    assert monitor.parse_duration(text) == seconds


@pytest.mark.parametrize("text,error", [("5", 'time: missing unit in duration "5"'), ("", 'time: invalid duration ""'),
                                        ("5 s", 'time: invalid duration "5 s"'), ("5x", 'time: invalid duration "5x"')])
def test_bad_poll_interval_is_refused_like_go(text, error):
    with pytest.raises(ValueError) as err:
        monitor.parse_duration(text)
    assert str(err.value) == error
    assert monitor.poll_interval({"AUTODETECT_POLL_INTERVAL": text}) == 60.0  # Calico falls back to 60 s


# ------------------------------------------------------------------ the monitor's loop, on a fake etcd
class FakeEtcd:
    """etcd's revisions as the lab's etcdv3 client sees them (mod_revision per key)."""

    def __init__(self, nodes):
        self.rev, self.kv = 1, {}
        for name, cidr in nodes.items():
            self.put(monitor.NODES + name, json.dumps({"spec": {"bgp": {"ipv4Address": cidr}}}))

    def put(self, key, value):
        self.rev += 1
        self.kv[key] = (value, self.rev)

    def get_with_revision(self, key):
        return self.kv.get(key, (None, 0))

    def get_prefix(self, prefix):
        return {k: v for k, (v, _rev) in self.kv.items() if k.startswith(prefix)}

    def put_if_revision(self, key, value, revision):
        if self.kv.get(key, (None, 0))[1] != revision:
            return None
        self.put(key, value)
        return self.rev

    def put_if_absent(self, key, value):
        if key in self.kv:
            return False
        self.put(key, value)
        return True

    def address(self, name):
        return json.loads(self.kv[monitor.NODES + name][0])["spec"]["bgp"]["ipv4Address"]


def _monitor(monkeypatch, version, picks, env=None, nodes=None):
    """A Monitor of node ai whose detections are PICKS in turn (IPv4Interface strings)."""
    seq = iter(picks)

    def detect(_method, _version):
        cidr = next(seq)
        return "br-x", ipaddress.IPv4Interface(cidr), "Using autodetected IPv4 address on interface br-x: %s" % cidr
    monkeypatch.setattr(monitor.autodetect, "detect", detect)
    monkeypatch.setattr(monitor.autodetect, "interfaces", lambda: [])
    etcd = FakeEtcd(nodes or {"ai": "192.168.1.188/24", "hp": "192.168.1.172/24"})
    mon = monitor.Monitor(dict({"IP": "autodetect"}, **(env or {})), "ai", etcd, version)
    mon.get_node()
    return mon, etcd


def _poll(mon):
    if mon.rereads:
        mon.get_node()
    if mon.check():
        mon.write()


def test_before_v3_29_the_monitor_writes_once_per_start(monkeypatch, capsys):
    mon, etcd = _monitor(monkeypatch, "v3.24.5", ["172.19.0.1/16", "192.168.1.188/24", "192.168.1.188/24"])
    _poll(mon)
    assert etcd.address("ai") == "172.19.0.1/16"
    _poll(mon)
    assert etcd.address("ai") == "172.19.0.1/16"   # the move back is not written
    out = capsys.readouterr().out
    assert out.count("monitor-addresses/startup.go 356: Updated node IP addresses") == 1
    assert out.count('Unable to set node resource configuration, retrying... error="resource already exists: '
                     'Node(ai)"') == 3
    _poll(mon)   # the in-memory Node already has the NIC's address: nothing changes, nothing is tried
    assert "Node IPv4 changed" not in capsys.readouterr().out


def test_from_v3_29_the_monitor_moves_back_by_itself(monkeypatch, capsys):
    mon, etcd = _monitor(monkeypatch, "v3.29.0", ["172.19.0.1/16", "192.168.1.188/24"])
    _poll(mon)
    _poll(mon)
    assert etcd.address("ai") == "192.168.1.188/24"
    assert capsys.readouterr().out.count("Updated node IP addresses") == 2


def test_a_conflict_clears_the_address_and_exits(monkeypatch, capsys):
    mon, etcd = _monitor(monkeypatch, "v3.24.5", ["192.168.1.172/24"])
    with pytest.raises(SystemExit) as done:
        _poll(mon)
    assert done.value.code == 1
    assert etcd.address("ai") == ""   # clearNodeIPs: the conflicting address is not kept
    out = capsys.readouterr().out
    assert "monitor-addresses/startup.go 990: Calico node 'hp' is already using the IPv4 address 192.168.1.172." in out
    assert "[WARNING]" in out and "monitor-addresses/utils.go 49: Terminating" in out


def test_without_ip_autodetect_nothing_is_redetected(monkeypatch, capsys):
    mon, etcd = _monitor(monkeypatch, "v3.24.5", [], env={"IP": ""})
    _poll(mon)   # IP unset and the Node has an address: no detection (the iterator is empty)
    assert etcd.address("ai") == "192.168.1.188/24"
    assert "Using autodetected" not in capsys.readouterr().out
