"""_vxlan on iproute2's real JSON (tests/unit/fixtures/vxlan/README.md: recorded here, or
constructed from iproute2's source for what this kernel cannot make)."""
from ansible_collections.meshdoctor.calico.plugins.module_utils._vxlan import (
    collect_vxlan,
    parse_device,
    parse_fdb,
    parse_neighbours,
)

from fake_run import FakeRun
from fixtures import fixture_text


def vx(name):
    return fixture_text("vxlan", name)


def test_vxlan_device_of_a_calico_node():
    dev = parse_device(vx("node_link_vxlan.calico.json"))
    assert dev == {"name": "vxlan.calico", "kind": "vxlan", "up": True, "state": "UNKNOWN", "mtu": 1450,
                   "mac": "66:b2:0a:2e:c1:5f", "vni": 4096, "local": "192.168.1.188", "parent": "eth0", "port": 4789,
                   "learning": False}


def test_lab_device_is_a_bridge_without_vxlan_attributes():
    dev = parse_device(vx("lab_link_vxlan.calico.json"))
    assert (dev["kind"], dev["up"], dev["state"], dev["mtu"], dev["mac"]) == ("bridge", True, "UP", 1450, "66:b2:0a:2e:c1:5f")
    assert (dev["vni"], dev["local"], dev["parent"], dev["port"], dev["learning"]) == (None, None, None, None, None)
    assert parse_device(vx("lab_link_vxlan.calico.json"), "eth0") is None


def test_neighbours_real_and_lab():
    assert parse_neighbours(vx("node_neigh_vxlan.calico.json"))[0] == {
        "address": "172.16.3.192", "mac": "66:1c:5e:47:9a:03", "state": ["PERMANENT"]}
    lab = parse_neighbours(vx("lab_neigh_vxlan.calico.json"))
    assert [(n["address"], n["mac"]) for n in lab] == [("172.16.1.192", "66:7d:02:e1:44:01"), ("172.16.3.192", "66:1c:5e:47:9a:03")]
    assert parse_neighbours('[{"dst":"172.16.9.192","state":["FAILED"]}]') == [
        {"address": "172.16.9.192", "mac": None, "state": ["FAILED"]}]


def test_fdb_with_dst_and_the_older_dev_key():
    fdb = parse_fdb(vx("node_bridge_fdb_vxlan.calico.json"))
    assert [(e["mac"], e["dst"], e["self"], e["state"]) for e in fdb][0] == ("66:1c:5e:47:9a:03", "192.168.1.172", True, "permanent")
    assert len(fdb) == 3
    assert parse_fdb(vx("node_bridge_fdb_all_iproute2_6.1.json")) == [
        {"mac": "66:1c:5e:47:9a:03", "dst": "192.168.1.172", "self": True, "state": "permanent", "vni": None, "port": None}]
    assert parse_fdb(vx("node_bridge_fdb_old_iproute2.json"))[0]["dst"] == "192.168.1.172"
    broken = parse_fdb(vx("node_bridge_fdb_vxlan.calico_peer_broken.json"))
    assert broken[0] == {"mac": "66:b2:0a:2e:c1:5f", "dst": "172.19.0.1", "self": True, "state": "permanent", "vni": None, "port": None}


def test_lab_fdb_has_no_dst_and_skips_multicast():
    fdb = parse_fdb(vx("lab_bridge_fdb_vxlan.calico.json"))
    assert [e["mac"] for e in fdb] == ["66:7d:02:e1:44:01", "66:1c:5e:47:9a:03", "66:b2:0a:2e:c1:5f"]
    assert all(e["dst"] is None and not e["self"] for e in fdb)


def test_garbage_never_raises():
    for text in ("", "null", "{}", "[1, \"x\", null]", "not json", '[{"ifname": "vxlan.calico", "flags": 3}]'):
        parse_device(text)
        assert parse_neighbours(text) == [] or text.startswith("[{")
        assert parse_fdb(text) == []


def test_collect_only_when_the_device_exists():
    run = FakeRun({
        ("ip", "-json", "-details", "link", "show", "dev", "vxlan.calico"): (0, vx("node_link_vxlan.calico.json"), ""),
        ("ip", "-json", "neigh", "show", "dev", "vxlan.calico"): (0, vx("node_neigh_vxlan.calico.json"), ""),
        ("bridge", "-json", "fdb", "show", "dev", "vxlan.calico"): (1, "", "Error: bridge: command not found"),
    })
    assert collect_vxlan(run, [{"name": "eth0"}]) == (None, [])
    assert run.calls == []
    info, warnings = collect_vxlan(run, [{"name": "eth0"}, {"name": "vxlan.calico"}])
    assert info["device"]["vni"] == 4096 and len(info["neighbours"]) == 3 and info["fdb"] == []
    assert warnings == ["could not read vxlan.calico's fdb: bridge -json fdb show dev vxlan.calico exited 1: "
                        "Error: bridge: command not found"]
