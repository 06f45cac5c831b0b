# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What Calico's datastore says about each node: BGP address, tunnel addresses, AS number,
block affinities (and, with Kubernetes, InternalIP and the calico-node pods).

etcdv3: etcd's v3 JSON gateway (POST <endpoint>/v3/kv/range) with urllib, at Calico's key
layout. Kubernetes: `kubectl ... -o json` through a module.run_command-like callable.
parse_* functions take text/dicts and never raise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import ssl
import urllib.error

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_facts import (
    CONTAINER_NAME,
    ENV_KEYS,
    calico_pod_facts,
    parse_kubectl_pods,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._common import as_dict, as_list, loads_or_none, to_text
from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import Kubectl, KubectlError, calico_pods
from ansible_collections.meshdoctor.calico.plugins.module_utils._redact import strip_credentials

NODES_PREFIX = "/calico/resources/v3/projectcalico.org/nodes/"
AFFINITY_PREFIX = "/calico/ipam/v2/host/"
GATEWAY_PATHS = ("/v3/kv/range", "/v3beta/kv/range", "/v3alpha/kv/range")
ANNOTATIONS = {
    "ipv4_address": "projectcalico.org/IPv4Address",
    "ipv4_ipip_tunnel_addr": "projectcalico.org/IPv4IPIPTunnelAddr",
    "ipv4_vxlan_tunnel_addr": "projectcalico.org/IPv4VXLANTunnelAddr",
    "vxlan_tunnel_mac": "projectcalico.org/VXLANTunnelMACAddr",
    "ipv6_address": "projectcalico.org/IPv6Address",
    "as_number": "projectcalico.org/ASNumber",
}


class DatastoreError(Exception):
    """The datastore could not be read; str() says what was tried and what came back."""


def empty_node():
    return {"ipv4_address": None, "ipv4_ipip_tunnel_addr": None, "ipv4_vxlan_tunnel_addr": None,
            "vxlan_tunnel_mac": None, "ipv6_address": None, "as_number": None, "internal_ip": None, "internal_ips": [],
            "blocks": []}


def _as_number(value):
    text = to_text(value).strip() if value is not None else ""
    if text.isdigit():
        return int(text)
    return text or None


def _str_or_none(value):
    text = to_text(value).strip() if value is not None else ""
    return text or None


# ------------------------------------------------------------------------- etcd
def _b64(text):
    return base64.b64encode(to_text(text).encode("utf-8")).decode("ascii")


def prefix_range_end(prefix):
    """etcd's range_end for 'every key starting with PREFIX'."""
    data = bytearray(to_text(prefix).encode("utf-8"))
    while data:
        if data[-1] < 0xFF:
            data[-1] += 1
            return bytes(data)
        data.pop()
    return b"\0"


def range_request(prefix):
    """The JSON body for a prefix range request."""
    return {"key": _b64(prefix), "range_end": base64.b64encode(prefix_range_end(prefix)).decode("ascii")}


def parse_range_response(data):
    """etcd gateway range reply (text or dict) -> [(key, value text), ...]; bad input -> []."""
    if not isinstance(data, dict):
        data = loads_or_none(data)
    if not isinstance(data, dict):
        return []
    out = []
    for kv in as_list(data.get("kvs")):
        if not isinstance(kv, dict):
            continue
        try:
            key = to_text(base64.b64decode(kv.get("key") or "", validate=True))
            value = to_text(base64.b64decode(kv.get("value") or "", validate=True))
        except (ValueError, TypeError):
            continue
        if not key:
            continue
        out.append((key, value))
    return out


def parse_etcd_node(value):
    """A Calico v3 Node resource (JSON text or dict) -> the contract's node entry (blocks empty)."""
    res = value if isinstance(value, dict) else loads_or_none(value)
    node = empty_node()
    if not isinstance(res, dict):
        return node
    spec = as_dict(res.get("spec"))
    bgp = as_dict(spec.get("bgp"))
    node["ipv4_address"] = _str_or_none(bgp.get("ipv4Address"))
    node["ipv6_address"] = _str_or_none(bgp.get("ipv6Address"))
    node["ipv4_ipip_tunnel_addr"] = _str_or_none(bgp.get("ipv4IPIPTunnelAddr"))
    node["ipv4_vxlan_tunnel_addr"] = _str_or_none(spec.get("ipv4VXLANTunnelAddr"))
    node["vxlan_tunnel_mac"] = _str_or_none(spec.get("vxlanTunnelMACAddr"))
    node["as_number"] = _as_number(bgp.get("asNumber"))
    _internal_ips(node, spec.get("addresses"))
    return node


def _internal_ips(node, addresses):
    """internal_ips: every InternalIP in order (kubernetes-internal-ip takes the first of its
    family); internal_ip: the first."""
    for addr in as_list(addresses):
        if isinstance(addr, dict) and addr.get("type") == "InternalIP" and _str_or_none(addr.get("address")):
            node["internal_ips"].append(_str_or_none(addr.get("address")))
    node["internal_ip"] = node["internal_ips"][0] if node["internal_ips"] else None


def parse_affinity_key(key):
    """'/calico/ipam/v2/host/ai/ipv4/block/172.16.2.0-24' -> ('ai', '172.16.2.0/24'), else (None, None)."""
    key = to_text(key)
    if not key.startswith(AFFINITY_PREFIX):
        return None, None
    parts = key[len(AFFINITY_PREFIX):].split("/")
    if len(parts) != 4 or parts[1] not in ("ipv4", "ipv6") or parts[2] != "block" or "-" not in parts[3]:
        return None, None
    net, _sep, size = parts[3].rpartition("-")
    if not size.isdigit():
        return None, None
    return parts[0], "%s/%s" % (net, size)


def parse_etcd(node_kvs, affinity_kvs):
    """[(key, value)] of Node resources and of affinities -> {node name: node entry}."""
    nodes = {}
    for key, value in node_kvs or []:
        key = to_text(key)
        if key.startswith(NODES_PREFIX) and key[len(NODES_PREFIX):]:
            nodes[key[len(NODES_PREFIX):]] = parse_etcd_node(value)
    for key, value in affinity_kvs or []:
        name, cidr = parse_affinity_key(key)
        if name is None:
            continue
        meta = loads_or_none(value)
        if isinstance(meta, dict) and (meta.get("deleted") is True or meta.get("state") == "pendingDeletion"):
            continue
        nodes.setdefault(name, empty_node())["blocks"].append(cidr)
    for node in nodes.values():
        node["blocks"] = sorted(set(node["blocks"]))
    return dict(sorted(nodes.items()))


class EtcdGateway(object):
    """POSTs to one etcd endpoint's v3 JSON gateway (the first API prefix that answers, then that one).

    Messages name the endpoint without its credentials and never repeat a reply's body."""

    def __init__(self, endpoint, timeout=5.0, ca_cert=None, cert=None, key=None):
        self.endpoint = endpoint.rstrip("/")
        self.shown = strip_credentials(self.endpoint)
        self.timeout = timeout
        self.tls = dict(ca_path=ca_cert, client_cert=cert, client_key=key)
        self.prefix = None

    def post(self, call, body):
        """POST BODY (a dict) to CALL (e.g. "/kv/range") -> the reply's JSON object. Raises DatastoreError."""
        # Imported here, not at the top: node_facts ships this file to every node, but only the one
        # that reads an etcd datastore should pay for importing urls (about 40 ms of imports).
        from ansible.module_utils.urls import open_url  # pylint: disable=import-outside-toplevel

        prefixes = [self.prefix] if self.prefix else [p[:-len("/kv/range")] for p in GATEWAY_PATHS]
        last = None
        for prefix in prefixes:
            url = self.endpoint + prefix + call
            said = self.shown + prefix + call
            try:
                resp = open_url(url, data=json.dumps(body), headers={"Content-Type": "application/json"},
                                method="POST", use_proxy=False, timeout=self.timeout, follow_redirects="none",
                                use_netrc=False, **self.tls)
                try:
                    raw = resp.read()
                finally:
                    resp.close()
            except urllib.error.HTTPError as exc:
                last = "POST %s: HTTP %s" % (said, exc.code)
                if exc.code == 404 and self.prefix is None:
                    continue
                raise DatastoreError(last)
            except (urllib.error.URLError, ssl.SSLError, OSError, ValueError) as exc:
                raise DatastoreError(strip_credentials("POST %s: %s" % (said, getattr(exc, "reason", None) or exc)))
            except Exception as exc:  # pylint: disable=broad-except
                # open_url raises its own ConnectionError/SSLValidationError types.
                raise DatastoreError(strip_credentials("POST %s: %s" % (said, exc)))
            data = loads_or_none(raw)
            if not isinstance(data, dict):
                # The body itself is never repeated: whatever answered may echo secrets.
                raise DatastoreError("POST %s: the reply is not a JSON object (%d bytes): not an etcd JSON gateway?"
                                     % (said, len(raw or b"")))
            if "header" not in data and "kvs" not in data:
                message = data.get("error") or data.get("message")
                raise DatastoreError("POST %s: %s" % (said, strip_credentials(to_text(message))[:200]
                                                      if isinstance(message, str) else "a JSON reply without header or kvs"))
            self.prefix = prefix
            return data
        raise DatastoreError(last or "no etcd JSON gateway answered")

    def range(self, prefix):
        """Every key under PREFIX -> [(key, value)]."""
        return parse_range_response(self.post("/kv/range", range_request(prefix)))


def etcd_range(endpoint, prefix, timeout=5.0, ca_cert=None, cert=None, key=None):
    """Every key under PREFIX through ENDPOINT's JSON gateway -> [(key, value)]. Raises DatastoreError."""
    return EtcdGateway(endpoint, timeout, ca_cert, cert, key).range(prefix)


def read_etcd(endpoints, timeout=5.0, ca_cert=None, cert=None, key=None):
    """-> (nodes, endpoint that answered, errors of the endpoints tried before). Tries ENDPOINTS in
    order; raises DatastoreError when none answers."""
    errors = []
    for endpoint in endpoints or []:
        try:
            node_kvs = etcd_range(endpoint, NODES_PREFIX, timeout, ca_cert, cert, key)
            affinity_kvs = etcd_range(endpoint, AFFINITY_PREFIX, timeout, ca_cert, cert, key)
            return parse_etcd(node_kvs, affinity_kvs), endpoint, errors
        except DatastoreError as exc:
            errors.append(str(exc))
    raise DatastoreError("no etcd endpoint answered: %s" % ("; ".join(errors) or "no endpoints given"))


# ------------------------------------------------------------------------- Kubernetes
def parse_k8s_nodes(text):
    """`kubectl get nodes -o json` -> {node name: node entry} (blocks empty)."""
    nodes = {}
    for item in as_list(as_dict(loads_or_none(text)).get("items")):
        if not isinstance(item, dict):
            continue
        meta = as_dict(item.get("metadata"))
        name = _str_or_none(meta.get("name"))
        if not name:
            continue
        annotations = as_dict(meta.get("annotations"))
        node = empty_node()
        for field, annotation in ANNOTATIONS.items():
            node[field] = _str_or_none(annotations.get(annotation))
        node["as_number"] = _as_number(node["as_number"])
        _internal_ips(node, as_dict(item.get("status")).get("addresses"))
        nodes[name] = node
    return nodes


def parse_block_affinities(text):
    """`kubectl get blockaffinities.crd.projectcalico.org -o json` -> {node: [cidr, ...]}."""
    out = {}
    for item in as_list(as_dict(loads_or_none(text)).get("items")):
        spec = as_dict(as_dict(item).get("spec"))
        if not spec.get("node") or not spec.get("cidr"):
            continue
        if to_text(spec.get("deleted")).lower() == "true" or spec.get("state") == "pendingDeletion":
            continue
        out.setdefault(to_text(spec["node"]), []).append(to_text(spec["cidr"]))
    return dict((k, sorted(set(v))) for k, v in out.items())


def merge_k8s(nodes, affinities):
    nodes = dict(nodes)
    for name, blocks in (affinities or {}).items():
        nodes.setdefault(name, empty_node())["blocks"] = list(blocks)
    return dict(sorted(nodes.items()))


def pod_env(env):
    """The variables of a pod's env the analysis reads (the node side's allow-list,
    _calico_node_facts.ENV_KEYS), endpoint credentials stripped: never a password or an inline key."""
    env = as_dict(env)
    return dict((key, strip_credentials(env[key]) if key == "ETCD_ENDPOINTS" else env[key])
                for key in ENV_KEYS if key in env)


def _entries(pods):
    return [dict(dict((k, pod[k]) for k in ("name", "namespace", "node", "ready", "phase", "image")),
                 env=pod_env(pod["env"]))
            for pod in pods]


def pod_entries(text):
    """`kubectl get pods -o json` -> calico-node pods as the contract lists them: {name,
    namespace, node, ready, phase, env, image}; env holds only the allow-listed variables."""
    return _entries(parse_kubectl_pods(text))


def read_kubernetes(run_command, kubectl="kubectl", kubeconfig=None):
    """-> (nodes, pods, warnings). Raises DatastoreError when the nodes cannot be listed."""
    client = Kubectl(run_command, kubectl, kubeconfig)
    warnings = []
    try:
        out = client.run(["get", "nodes", "-o", "json"])
    except KubectlError as exc:
        raise DatastoreError(str(exc))
    if not isinstance(loads_or_none(out), dict):
        raise DatastoreError("kubectl get nodes -o json printed no JSON object (%d characters)" % len(to_text(out)))
    nodes = parse_k8s_nodes(out)
    affinities = ""
    try:
        affinities = client.run(["get", "blockaffinities.crd.projectcalico.org", "-o", "json"])
    except KubectlError as exc:
        warnings.append("could not list block affinities: %s" % exc)
    pods = []
    try:
        dummy, pods = calico_pods(client, container=CONTAINER_NAME)
    except KubectlError as exc:
        warnings.append("could not list calico-node pods: %s" % exc)
    return merge_k8s(nodes, parse_block_affinities(affinities)), _entries(calico_pod_facts(pods)), warnings


# The options that say where and how to read the datastore: datastore_info's own options and
# node_facts' `datastore` suboptions (one spec, so the two cannot drift apart).
OPTIONS_SPEC = dict(
    datastore=dict(type="str", choices=["auto", "kubernetes", "etcdv3"], default="auto"),
    etcd_endpoints=dict(type="list", elements="str", default=[]),
    etcd_ca_cert=dict(type="path"),
    etcd_cert=dict(type="path"),
    etcd_key=dict(type="path", no_log=False),
    kubectl=dict(type="str", default="kubectl"),
    kubeconfig=dict(type="path"),
    timeout=dict(type="float", default=5),
)
OPTIONS_REQUIRED_BY = {"etcd_key": "etcd_cert"}


def read_datastore(run_command, get_bin_path, options):
    """-> (result, warnings) for OPTIONS (a dict validated against OPTIONS_SPEC), as
    datastore_info returns it and node_facts sets it as `datastore`.

    RUN_COMMAND and GET_BIN_PATH are the module's. An empty string counts as not given (a
    role can pass its empty-string defaults straight through).
    """
    opts = dict((k, options.get(k) or None) for k in OPTIONS_SPEC)
    datastore = opts["datastore"] or "auto"
    kubectl = opts["kubectl"] or "kubectl"
    kubectl_path = None
    if datastore in ("auto", "kubernetes"):
        kubectl_path = get_bin_path(kubectl)
        if datastore == "kubernetes" and not kubectl_path:
            kubectl_path = kubectl
    return datastore_state(
        run_command,
        datastore=datastore,
        etcd_endpoints=opts["etcd_endpoints"] or [],
        etcd_ca_cert=opts["etcd_ca_cert"],
        etcd_cert=opts["etcd_cert"],
        etcd_key=opts["etcd_key"],
        kubectl=kubectl,
        kubeconfig=opts["kubeconfig"],
        timeout=opts["timeout"] or 5.0,
        kubectl_path=kubectl_path,
    )


def datastore_state(run_command, datastore="auto", etcd_endpoints=None, etcd_ca_cert=None, etcd_cert=None,
                    etcd_key=None, kubectl="kubectl", kubeconfig=None, timeout=5.0, kubectl_path=None):
    """-> (result, warnings). result: {datastore, reachable, reason, nodes, calico_node_pods}.

    KUBECTL_PATH is kubectl resolved on PATH (None when not found) for datastore=auto.
    """
    warnings = []
    result = {"datastore": None, "reachable": False, "reason": None, "nodes": {}, "calico_node_pods": []}
    if datastore == "auto":
        if etcd_endpoints:
            datastore = "etcdv3"
        elif kubectl_path:
            datastore = "kubernetes"
        else:
            result["reason"] = "datastore=auto: no etcd_endpoints given and no kubectl found"
            return result, warnings
    result["datastore"] = datastore
    try:
        if datastore == "etcdv3":
            if not etcd_endpoints:
                raise DatastoreError("datastore=etcdv3 needs etcd_endpoints")
            result["nodes"], _endpoint, errors = read_etcd(etcd_endpoints, timeout, etcd_ca_cert, etcd_cert, etcd_key)
            warnings.extend("etcd endpoint skipped: %s" % e for e in errors)
        else:
            nodes, pods, more = read_kubernetes(run_command, kubectl_path or kubectl, kubeconfig)
            result["nodes"], result["calico_node_pods"] = nodes, pods
            warnings.extend(more)
        result["reachable"] = True
    except DatastoreError as exc:
        result["reason"] = str(exc)
    return result, warnings
