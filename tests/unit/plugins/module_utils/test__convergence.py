from ansible_collections.meshdoctor.calico.plugins.module_utils._convergence import (
    describe,
    describe_gap,
    invalid_routes,
    judge,
    route_gaps,
    sessions,
    wait_for,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import parse_routes


def proto(name, bgp_state, peer=None, peer_type="mesh", error=None):
    return {"name": name, "proto": "BGP", "state": "up" if bgp_state == "Established" else "start", "since": "14:00:30",
            "info": bgp_state, "bgp_state": bgp_state, "last_error": error, "peer_address": peer, "peer_type": peer_type}


STATIC = {"name": "static1", "proto": "Static", "state": "up", "bgp_state": None, "peer_address": None, "peer_type": None}


def bird(router_id, *protocols):
    return {"socket": "/var/run/calico/bird.ctl", "running": True, "reason": None, "router_id": router_id,
            "protocols": [STATIC] + list(protocols)}


BROKEN = bird("172.19.0.1", proto("Mesh_192_168_1_196", "Active", "192.168.1.196", error="Socket: Connection refused"),
              proto("Mesh_192_168_1_172", "Connect", "192.168.1.172"),
              proto("Mesh_192_168_1_121", "Established", "192.168.1.121"))
HEALTHY = bird("192.168.1.188", proto("Mesh_192_168_1_196", "Established", "192.168.1.196"),
               proto("Mesh_192_168_1_172", "Established", "192.168.1.172"),
               proto("Mesh_192_168_1_121", "Established", "192.168.1.121"))


def test_broken_node_is_not_converged_and_says_why():
    done, found, reason = judge(BROKEN)
    assert not done and len(found) == 3
    assert reason == ("not Established: Mesh_192_168_1_196 (192.168.1.196): Active, Socket: Connection refused; "
                      "Mesh_192_168_1_172 (192.168.1.172): Connect")


def test_healthy_node_converged_with_router_id():
    assert judge(HEALTHY, expected_router_id="192.168.1.188") == (True, sessions(HEALTHY), None)
    done, dummy, reason = judge(HEALTHY, expected_router_id="192.168.1.200/24")
    assert not done and reason == "router id is 192.168.1.188, expected 192.168.1.200/24"


def test_expected_peers_subset_and_missing():
    done, found, dummy = judge(BROKEN, expected_peers=["192.168.1.121"])
    assert done and [s["name"] for s in found] == ["Mesh_192_168_1_121"]
    done, found, reason = judge(HEALTHY, expected_peers=["192.168.1.196", "192.168.1.9"])
    assert not done and found[1]["state"] == "missing"
    assert "192.168.1.9" in reason and "no BGP protocol for this peer" in reason


def test_no_protocols_yet_is_not_converged_unless_no_peers_expected():
    empty = bird("192.168.1.188")
    assert not judge(empty)[0]
    assert "no BGP protocols yet" in judge(empty)[2]
    assert judge(empty, expected_peers=[])[0]


def test_global_peers_used_when_no_mesh():
    rr = bird("192.168.1.188", proto("Global_10_0_0_1", "Established", "10.0.0.1", peer_type="global"))
    done, found, dummy = judge(rr)
    assert done and found[0]["peer_type"] == "global"


def test_bird_down():
    down = {"socket": "/var/run/calico/bird.ctl", "running": False, "reason": "connection refused", "router_id": None, "protocols": []}
    assert judge(down) == (False, [], "BIRD does not answer on /var/run/calico/bird.ctl (connection refused)")


def test_describe():
    assert describe({"name": None, "peer_address": "10.0.0.9", "state": "missing", "bgp_state": None,
                     "info": "no BGP protocol for this peer in BIRD"}) == "peer (10.0.0.9): missing: no BGP protocol for this peer in BIRD"


class Clock(object):
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_succeeds_after_polls():
    clock, answers = Clock(), iter([(False, 1), (False, 2), (True, 3)])
    assert wait_for(lambda: next(answers), 10, 2, clock.time, clock.sleep) == (True, 3, 4.0)
    assert clock.sleeps == [2, 2]


def test_wait_for_times_out_with_last_value():
    clock = Clock()
    done, value, waited = wait_for(lambda: (False, "still Active"), 5, 2, clock.time, clock.sleep)
    assert (done, value, waited) == (False, "still Active", 5.0)
    assert clock.sleeps == [2, 2, 1]


# `ip -json -4 route show table main` on master a moment after ai's sessions came up: ai's block
# is not there yet, hp's is; ml's block is still a leftover blackhole.
MASTER_ROUTES = parse_routes(
    '[{"type":"blackhole","dst":"172.16.0.0/24","protocol":"bird","flags":[]},'
    '{"dst":"172.16.1.0/24","type":"blackhole","protocol":"bird","flags":[]},'
    '{"dst":"172.16.3.0/24","gateway":"192.168.1.172","dev":"eth0","protocol":"bird","flags":[]},'
    '{"dst":"192.168.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.168.1.196","flags":[]}]')
WANTED = [{"dst": "172.16.2.0/24", "via": ["192.168.1.188"]}, {"dst": "172.16.3.0/24", "via": ["192.168.1.172"]},
          {"dst": "172.16.1.0/24", "via": ["192.168.1.121", "172.16.1.7"]}]


def test_route_gaps_name_the_missing_and_the_wrong_routes():
    gaps = route_gaps(MASTER_ROUTES, WANTED)
    assert gaps == [{"dst": "172.16.2.0/24", "via": ["192.168.1.188"], "found": None},
                    {"dst": "172.16.1.0/24", "via": ["192.168.1.121", "172.16.1.7"], "found": "blackhole"}]
    assert describe_gap(gaps[0]) == "172.16.2.0/24 (wanted via 192.168.1.188, the kernel has none)"
    assert describe_gap(gaps[1]) == "172.16.1.0/24 (wanted via 192.168.1.121 or 172.16.1.7, the kernel has blackhole)"


def test_route_gaps_accept_any_gateway_named_and_ignore_other_tables():
    routes = parse_routes('[{"dst":"172.16.1.0/24","gateway":"172.16.1.7","dev":"vxlan.calico","flags":["onlink"]}]')
    assert route_gaps(routes, WANTED[2:]) == []
    elsewhere = parse_routes('[{"dst":"172.16.2.0/24","gateway":"192.168.1.188","dev":"eth0","flags":[]}]', table="local")
    assert route_gaps(elsewhere, WANTED[:1])[0]["found"] is None
    wrong = parse_routes('[{"dst":"172.16.2.0/24","gateway":"172.19.0.1","dev":"br-cddff8a3b81c","flags":[]}]')
    assert route_gaps(wrong, WANTED[:1])[0]["found"] == "via 172.19.0.1 dev br-cddff8a3b81c"
    assert route_gaps(MASTER_ROUTES, []) == route_gaps(MASTER_ROUTES, None) == []


def test_sessions_up_but_routes_missing_is_not_converged():
    gaps = route_gaps(MASTER_ROUTES, WANTED[:1])
    done, found, reason = judge(HEALTHY, gaps=gaps)
    assert not done and len(found) == 3
    assert reason == "routes not in the kernel yet: 172.16.2.0/24 (wanted via 192.168.1.188, the kernel has none)"
    assert judge(HEALTHY, gaps=[]) == (True, sessions(HEALTHY), None)


def test_invalid_routes_name_each_bad_entry():
    assert invalid_routes(WANTED) == [] and invalid_routes(None) == []
    bad = [{"dst": "172.16.2.0/24", "via": ["192.168.1.188/24"]}, {"dst": "ai-block", "via": []}]
    assert invalid_routes(bad) == ["entry 0 (172.16.2.0/24): gateway '192.168.1.188/24' is not an IP address",
                                   "entry 1: dst 'ai-block' is not a CIDR", "entry 1 (ai-block): via names no gateway"]
