"""Property: no parser raises, whatever it is fed -- random text and bytes, random JSON,
and every recorded fixture cut at a random point (what a timeout or a full pipe leaves)."""
import glob
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.meshdoctor.calico.plugins.module_utils import (
    _autodetect,
    _bird_reply,
    _calico_log,
    _calico_node_facts,
    _common,
    _datastore,
    _docker_api,
    _iproute,
    _kubectl,
)

from fixtures import FIXTURES

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALL_FIXTURES = sorted(p for p in glob.glob(os.path.join(FIXTURES, "*", "*")) if os.path.isfile(p) and not p.endswith(".py"))


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


FIXTURE_DATA = [_read(p) for p in ALL_FIXTURES]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["ifindex", "ifname", "addr_info", "family", "local", "prefixlen", "linkinfo", "info_kind",
                         "dst", "gateway", "dev", "type", "flags", "nexthops", "items", "metadata", "spec", "status",
                         "name", "kvs", "key", "value", "bgp", "ipv4Address", "containers", "env", "Id", "Name",
                         "Driver", "Options", "IPAM", "Config", "Containers", "Labels", "annotations", "addresses",
                         "containerStatuses", "state", "valueFrom", "fieldRef", "cidr", "node", "index", "ipv4",
                         "kind", "mac", "address", "cidr"]) | st.text(max_size=8),
        children, max_size=6),
    max_leaves=20)


@st.composite
def truncated_fixture(draw):
    data = draw(st.sampled_from(FIXTURE_DATA))
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    start = draw(st.integers(min_value=0, max_value=cut))
    return data[start:cut]


inputs = st.one_of(st.text(), st.binary(), truncated_fixture(), json_values.map(json.dumps))


def _text_parsers():
    return [
        _bird_reply.parse_reply, _bird_reply.reply_complete, _bird_reply.reply_error, _bird_reply.parse_show_protocols, _bird_reply.parse_show_status,
        _bird_reply.decode_peer_name, _bird_reply.parse_protocol_row,
        _iproute.parse_interfaces, _iproute.parse_routes, _iproute.parse_routes_text,
        lambda d: _iproute.parse_interfaces("[]", d), lambda d: _iproute.parse_routes_text(d, family="ipv6"),
        _docker_api.demux_stream, _docker_api.order_timestamped,
        _calico_log.parse_log_lines, _calico_log.parse_log_evidence, _calico_node_facts.parse_env_file,
        _calico_node_facts.parse_environ, _calico_node_facts.version_from_image, _calico_node_facts.parse_kubectl_pods,
        _calico_node_facts.deployment_from_cgroup, _calico_node_facts.container_id_from_cgroup, _calico_node_facts.effective_method,
        _datastore.parse_range_response, _datastore.parse_etcd_node, _datastore.parse_affinity_key,
        _datastore.parse_k8s_nodes, _datastore.parse_block_affinities, _datastore.pod_entries,
        _common.parse_version, _common.loads_or_none,
        lambda d: _autodetect.choose(_common.to_text(d), [], None),
        lambda d: _autodetect.default_exclusions(_common.to_text(d)),
    ]


@SETTINGS
@given(data=inputs)
def test_text_parsers_never_raise(data):
    for parser in _text_parsers():
        parser(data)
        if isinstance(data, bytes):
            parser(data.decode("latin-1"))


@SETTINGS
@given(value=json_values)
def test_structure_parsers_never_raise(value):
    for entry in (value, [value], {"items": [value]}):
        _iproute.interface_from_json(entry)
        _iproute.route_from_json(entry)
        _datastore.parse_range_response(entry if isinstance(entry, dict) else {"kvs": entry})
        _datastore.parse_etcd_node(entry)
        _datastore.parse_etcd([(str(value), json.dumps(value))], [("/calico/ipam/v2/host/x/ipv4/block/1.2.3.0-24", json.dumps(value))])
        if isinstance(entry, dict):
            _kubectl.pod_summary(entry, "calico-node")
        _calico_node_facts.parse_env_list(entry if isinstance(entry, list) else [])
        _bird_reply.parse_reply(entry if isinstance(entry, list) else [entry])


ifaces = st.lists(st.fixed_dictionaries({
    "index": st.integers(min_value=0, max_value=100),
    "name": st.sampled_from(["eno1", "br-cddff8a3b81c", "docker0", "lo", "wlo1", "tunl0", "vxlan.calico", "x"]),
    "kind": st.sampled_from(["bridge", "ether", "veth", None]),
    "state": st.sampled_from(["UP", "DOWN", None]),
    "mac": st.sampled_from(["02:42:e4:19:ef:2b", None, "zz"]),
    "ipv4": st.lists(st.one_of(
        st.builds(lambda a, p: {"address": a, "prefixlen": p, "cidr": "%s/%s" % (a, p)},
                  st.sampled_from(["192.168.1.188", "172.19.0.1", "127.0.0.1", "169.254.1.1", "nonsense", ""]),
                  st.integers(min_value=0, max_value=40)),
        json_values), max_size=3),
}), max_size=6)


@SETTINGS
@given(interfaces=ifaces, method=st.one_of(st.none(), st.text(max_size=30), st.sampled_from([
    "first-found", "interface=eno.*", "interface=(", "skip-interface=br-.*", "cidr=192.168.1.0/24", "cidr=x",
    "can-reach=192.168.1.196", "can-reach=", "kubernetes-internal-ip", "cidr=", "interface="])),
    version=st.one_of(st.none(), st.text(max_size=10), st.sampled_from(["v3.24.5", "v3.25.0", "v3.24.0", "3"])),
    networks=st.lists(json_values, max_size=3))
def test_prediction_and_bridges_never_raise(interfaces, method, version, networks):
    prediction, dummy = _autodetect.predict(interfaces, method, version, reach=lambda dest, family=4: "192.168.1.188",
                                            env={"IP6": "autodetect", "IP6_AUTODETECTION_METHOD": method})
    assert set(prediction) == {"calico_version", "method", "exclusions", "configured", "first_found", "candidates", "ipv6"}
    assert set(prediction["ipv6"]) == {"method", "configured", "first_found", "candidates", "detects"}
    _docker_api.build_bridges(interfaces, networks, True)
    _docker_api.build_bridges(interfaces, networks, False)
