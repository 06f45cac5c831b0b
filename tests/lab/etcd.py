"""The control-plane host's etcd (v3 API) holding Calico's etcdv3 datastore.

It listens on the host's LAN address and 127.0.0.1; the lab reads it with etcdctl run
inside that host's namespaces (the root namespace has no route into the lab).
"""
import base64
import json
import time

import host
from state import ETCD_DIR, LabError, host_dir


def start(node):
    ip = node["ip"]
    host.spawn(node["name"], "etcd", [
        "etcd", "--name", "md-etcd", "--data-dir", ETCD_DIR,
        "--listen-client-urls", "http://%s:2379,http://127.0.0.1:2379" % ip,
        "--advertise-client-urls", "http://%s:2379" % ip,
        "--listen-peer-urls", "http://127.0.0.1:2380",
        "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
        "--initial-cluster", "md-etcd=http://127.0.0.1:2380",
        "--log-level", "warn", "--logger", "zap",
    ])


def ctl(cp_name, *args, check=True):
    return host.in_host(cp_name, ["etcdctl", "--endpoints", "http://127.0.0.1:2379",
                                  "--dial-timeout", "2s", "--command-timeout", "3s"] + list(args), check=check)


def wait_ready(cp_name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ctl(cp_name, "endpoint", "health", check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise LabError("etcd on %s did not become healthy, see %s" % (cp_name, host_dir(cp_name, "logs", "etcd.log")))


def get_prefix(cp_name, prefix):
    """{key: value} under PREFIX (values as text)."""
    out = ctl(cp_name, "get", "--prefix", prefix, "-w", "json").stdout
    data = json.loads(out or "{}")
    return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
            for kv in data.get("kvs", [])}


def node_addresses(cp_name):
    """{node name: spec.bgp.ipv4Address} from the Node resources."""
    prefix = "/calico/resources/v3/projectcalico.org/nodes/"
    out = {}
    for key, value in get_prefix(cp_name, prefix).items():
        try:
            out[key[len(prefix):]] = json.loads(value)["spec"]["bgp"]["ipv4Address"]
        except (ValueError, KeyError, TypeError):
            out[key[len(prefix):]] = None
    return out
