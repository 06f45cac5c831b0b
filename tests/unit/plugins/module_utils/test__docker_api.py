"""Docker Engine API client and bridge join, on answers recorded from a real dockerd 20.10
(a throwaway engine in a network namespace: networks gerrit_default and wiki_default made the
way docker-compose makes them) replayed by a unix-socket HTTP server."""
import json
import os
import struct

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import (
    DockerAPI,
    DockerAPIError,
    bridge_name_of,
    build_bridges,
    demux_stream,
    docker_info,
    order_timestamped,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import parse_interfaces

from fake_docker import FakeDocker, docker_routes_seed_ai
from fixtures import fixture_bytes, fixture_json, fixture_text

NETWORKS = ["network_bridge.json", "network_gerrit_default.json", "network_wiki_default.json"]


def recorded_networks():
    return [fixture_json("docker", name) for name in NETWORKS]


def by_name(items):
    return dict((i["name"], i) for i in items)


@pytest.fixture
def engine(short_tmp):
    servers = []

    def start(routes):
        server = FakeDocker(os.path.join(short_tmp, "docker.sock"), routes)
        servers.append(server)
        return DockerAPI(server.path, 2), server

    yield start
    for server in servers:
        server.close()


# ------------------------------------------------------------------ stream format
def test_demux_real_logs():
    text, demuxed = demux_stream(fixture_bytes("docker", "logs_calico-node.bin"))
    assert demuxed
    lines = text.splitlines()
    assert len(lines) == 4 and "\x00" not in text and "\x01" not in text
    assert any("Using autodetected IPv4 address on interface br-cddff8a3b81c: 172.19.0.1/16" in line for line in lines)


def test_tty_logs_are_not_demuxed():
    text, demuxed = demux_stream(fixture_bytes("docker", "logs_tty.bin"))
    assert not demuxed and text == "hello from a tty\r\n"


def test_demux_truncated_frame_keeps_what_arrived():
    frame = struct.pack(">BxxxI", 1, 20) + b"only ten b"
    assert demux_stream(frame) == ("only ten b", True)


def test_order_timestamped_merges_streams_in_time_order():
    text, dummy = demux_stream(fixture_bytes("docker", "logs_calico-node_timestamps.bin"))
    ordered = order_timestamped(text).splitlines()
    assert ordered[-1] == "Calico node started successfully"
    assert not ordered[0].startswith("2026-")      # Docker's timestamps are stripped
    shuffled = "2024-01-01T00:00:02.5Z second\n2024-01-01T00:00:02.25Z first\ncontinued\n"
    assert order_timestamped(shuffled) == "first\ncontinued\nsecond\n"


# ------------------------------------------------------------------ bridge names and the join
def test_bridge_name_of():
    bridge, gerrit, _wiki = recorded_networks()
    assert bridge_name_of(bridge) == "docker0"
    assert bridge_name_of(gerrit) == "br-" + gerrit["Id"][:12]
    assert bridge_name_of({"Id": "abc", "Name": "x", "Options": {"com.docker.network.bridge.name": "mybr"}}) == "mybr"


def test_build_bridges_real_engine():
    ifaces = parse_interfaces(fixture_text("iproute", "addr_docker_host.json"))
    bridges = by_name(build_bridges(ifaces, recorded_networks(), True))
    assert set(bridges) == {"docker0", "br-fdbe22744031", "br-98cb8f2439af"}
    gerrit = bridges["br-fdbe22744031"]
    assert gerrit == {
        "name": "br-fdbe22744031", "index": 3, "state": "DOWN", "mac": "02:42:c7:9d:0b:c2", "ipv4": ["172.19.0.1/16"],
        "network_id": "fdbe22744031e18a559edd10c67a04bd5a74ead94e0b962788eff3a4bf4439f7", "network_name": "gerrit_default",
        "compose_project": "gerrit", "created": "2026-11-24T14:05:16.163267383Z", "subnets": ["172.19.0.0/16"],
        "containers": [], "container_count": 0, "default_bridge": False, "orphaned": False, "reason": "name br-<12 hex>"}
    wiki = bridges["br-98cb8f2439af"]
    assert wiki["containers"] == [{"id": "a7a703b723915b6611f3b96fdd400d7fd4821ede99452510471488ce451efa96",
                                   "name": "wiki-db-1", "ipv4": "172.20.0.2/16"}]
    assert wiki["container_count"] == 1
    assert bridges["docker0"]["default_bridge"] is True and bridges["docker0"]["network_name"] == "bridge"


def test_seed_bridge_with_no_docker_network_is_orphaned():
    ifaces = parse_interfaces(fixture_text("iproute", "addr_seed_ai.json"))
    bridges = by_name(build_bridges(ifaces, [fixture_json("docker", "network_bridge.json")], True))
    orphan = bridges["br-cddff8a3b81c"]
    assert orphan["orphaned"] is True and orphan["network_id"] is None and orphan["container_count"] == 0
    assert bridges["docker0"]["orphaned"] is False


def test_without_docker_nobody_can_tell():
    ifaces = parse_interfaces(fixture_text("iproute", "addr_seed_ai.json"))
    bridges = by_name(build_bridges(ifaces, [], False))
    assert set(bridges) == {"docker0", "br-cddff8a3b81c"}
    seed = bridges["br-cddff8a3b81c"]
    assert (seed["orphaned"], seed["container_count"], seed["subnets"], seed["default_bridge"]) == (None, None, [], False)
    assert bridges["docker0"]["default_bridge"] is True


def test_other_bridges_are_not_docker():
    ifaces = parse_interfaces(fixture_text("iproute", "addr_wireguard_node.json"))
    assert build_bridges(ifaces, [], False) == []   # podman0 is a bridge, but not Docker's


def test_custom_bridge_name_and_mac_reason():
    ifaces = [{"index": 5, "name": "mybr", "kind": "bridge", "state": "UP", "mac": "aa:bb:cc:dd:ee:ff", "ipv4": []},
              {"index": 6, "name": "lxdbr0", "kind": "bridge", "state": "UP", "mac": "02:42:00:00:00:01", "ipv4": []}]
    net = {"Id": "f" * 64, "Name": "custom", "Driver": "bridge", "Options": {"com.docker.network.bridge.name": "mybr"}}
    bridges = by_name(build_bridges(ifaces, [net], True))
    assert bridges["mybr"]["reason"] == "named by Docker network custom" and bridges["mybr"]["orphaned"] is False
    assert bridges["lxdbr0"]["reason"] == "MAC 02:42:…" and bridges["lxdbr0"]["orphaned"] is True


# ------------------------------------------------------------------ the client over a socket
def test_client_get_and_helpers(engine):
    routes = docker_routes_seed_ai()
    api, server = engine(routes)
    status, data = api.get("/version")
    assert status == 200 and data["Version"] == "20.10.24+dfsg1"
    assert api.version()["ApiVersion"] == "1.41"
    assert [n["Name"] for n in api.list_networks(driver="bridge")] == ["bridge", "gerrit_default"]
    assert server.requests[-1][1] == "/networks?filters=%7B%22driver%22%3A%20%5B%22bridge%22%5D%7D"
    container = api.inspect_container("calico-node")
    assert container["Name"] == "/calico-node"
    text = api.container_logs(container["Id"], tail=50, timestamps=True)
    assert "tail=50" in server.requests[-1][1] and "timestamps=1" in server.requests[-1][1]
    assert text.splitlines()[0].startswith("2026-11-24T14:05:25")


def test_client_error_answers(engine):
    api, _server = engine({
        ("GET", "/containers/nope/json"): (404, fixture_json("docker", "container_404.json")),
        ("DELETE", "/networks/nonexistent"): (404, {"message": "network nonexistent not found"}),
        ("DELETE", "/networks/wiki_default"): (403, json.loads(fixture_text("docker", "delete_active_endpoints.txt").split("\n")[0])),
        ("DELETE", "/networks/gone"): (204, b""),
        ("POST", "/containers/calico-node/restart"): (204, b""),
        ("GET", "/containers/nope/logs"): (404, {"message": "No such container: nope"}),
    })
    with pytest.raises(DockerAPIError) as err:
        api.inspect_container("nope")
    assert err.value.status == 404 and str(err.value) == "GET /containers/nope/json: HTTP 404: No such container: nope"
    with pytest.raises(DockerAPIError) as err:
        api.remove_network("nonexistent")
    assert err.value.status == 404
    with pytest.raises(DockerAPIError) as err:
        api.remove_network("wiki_default")
    assert err.value.status == 403 and "has active endpoints" in str(err.value)
    assert api.remove_network("gone") is True
    assert api.delete("/networks/gone") == (204, None)
    assert api.restart_container("calico-node", timeout=3) is True
    with pytest.raises(DockerAPIError):
        api.container_logs("nope")


def test_restart_sends_timeout_and_post_sends_json(engine):
    api, server = engine({("POST", "/containers/calico-node/restart"): (204, b""),
                          ("POST", "/networks/create"): (201, lambda body: {"Id": "x" * 64, "Echo": json.loads(body)})})
    api.restart_container("calico-node", timeout=7)
    assert server.requests[-1][1] == "/containers/calico-node/restart?t=7"
    status, data = api.post("/networks/create", {"Name": "tmp"})
    assert status == 201 and data["Echo"] == {"Name": "tmp"}


def test_client_transport_errors(short_tmp):
    missing = DockerAPI(os.path.join(short_tmp, "none.sock"), 1)
    with pytest.raises(DockerAPIError) as err:
        missing.get("/version")
    assert err.value.status is None and err.value.reason == "no socket at %s" % missing.socket_path
    import socket
    stale = os.path.join(short_tmp, "stale.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(stale)
    sock.close()
    with pytest.raises(DockerAPIError) as err:
        DockerAPI(stale, 1).get("/version")
    assert err.value.reason == "connection refused"


def test_client_timeout(short_tmp):
    import socket
    path = os.path.join(short_tmp, "slow.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(1)   # accepts (backlog) but never answers
    try:
        with pytest.raises(DockerAPIError) as err:
            DockerAPI(path, 0.3).get("/version")
    finally:
        sock.close()
    assert err.value.reason == "timed out"


# ------------------------------------------------------------------ docker_info
def test_docker_info_seed_ai(engine):
    api, _server = engine(docker_routes_seed_ai())
    ifaces = parse_interfaces(fixture_text("iproute", "addr_seed_ai.json"))
    info, warnings = docker_info(ifaces, api.socket_path, 2)
    assert warnings == []
    assert (info["docker_available"], info["docker_reason"], info["docker_version"]) == (True, None, "20.10.24+dfsg1")
    seed = by_name(info["bridges"])["br-cddff8a3b81c"]
    assert (seed["network_name"], seed["compose_project"], seed["subnets"], seed["container_count"], seed["orphaned"]) == (
        "gerrit_default", "gerrit", ["172.19.0.0/16"], 0, False)
    assert seed["network_id"].startswith("cddff8a3b81c")


def test_docker_info_without_engine(short_tmp):
    ifaces = parse_interfaces(fixture_text("iproute", "addr_seed_ai.json"))
    path = os.path.join(short_tmp, "docker.sock")
    info, warnings = docker_info(ifaces, path, 1)
    assert info["docker_available"] is False and info["docker_reason"] == "no socket at " + path
    assert info["docker_socket"] == path and info["docker_version"] is None and warnings == []
    assert [b["name"] for b in info["bridges"]] == ["docker0", "br-cddff8a3b81c"]


def test_docker_info_inspect_failure_warns(engine):
    routes = docker_routes_seed_ai()
    gerrit_id = [k for k in routes if k[1].startswith("/networks/cdd")][0]
    routes[gerrit_id] = (500, {"message": "boom"})
    api, _server = engine(routes)
    info, warnings = docker_info(parse_interfaces(fixture_text("iproute", "addr_seed_ai.json")), api.socket_path, 2)
    assert "boom" in warnings[0]
    assert by_name(info["bridges"])["br-cddff8a3b81c"]["network_name"] == "gerrit_default"
