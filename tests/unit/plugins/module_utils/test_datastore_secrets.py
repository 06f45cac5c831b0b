"""Issue 11 item 11: no secret leaves the control-plane host. calico-node pods' env keeps only
the variables the analysis reads (the node side's allow-list), endpoint credentials are
stripped, and a reason never repeats an endpoint's credentials or a non-JSON reply's body."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_facts import ENV_KEYS, select_env
from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import (
    DatastoreError,
    datastore_state,
    etcd_range,
    pod_entries,
)

SECRETS = ("hunter2", "s3cr3t-metrics", "BEGIN PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0B")


def pod_list():
    env = [
        {"name": "DATASTORE_TYPE", "value": "kubernetes"},
        {"name": "IP_AUTODETECTION_METHOD", "value": "first-found"},
        {"name": "NODENAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "ETCD_ENDPOINTS", "value": "https://root:hunter2@10.0.0.1:2379,https://10.0.0.2:2379"},
        {"name": "FELIX_PROMETHEUSMETRICSPASSWORD", "value": "s3cr3t-metrics"},
        {"name": "ETCD_KEY", "value": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----"},
    ]
    pod = {"metadata": {"name": "calico-node-7xkqz", "namespace": "kube-system"},
           "spec": {"nodeName": "ai", "containers": [{"name": "calico-node", "image": "calico/node:v3.24.5", "env": env}]},
           "status": {"phase": "Running", "containerStatuses": [{"name": "calico-node", "ready": True,
                                                                 "state": {"running": {}}}]}}
    return json.dumps({"kind": "List", "items": [pod]})


def test_pod_env_keeps_only_the_allow_list():
    pods = pod_entries(pod_list())
    assert len(pods) == 1
    env = pods[0]["env"]
    assert set(env) <= set(ENV_KEYS)
    assert env == {"DATASTORE_TYPE": "kubernetes", "IP_AUTODETECTION_METHOD": "first-found", "NODENAME": "ai",
                   "ETCD_ENDPOINTS": "https://***@10.0.0.1:2379,https://10.0.0.2:2379"}
    text = json.dumps(pods)
    assert not [s for s in SECRETS if s in text]


def test_node_side_env_strips_endpoint_credentials():
    env = select_env({"ETCD_ENDPOINTS": "http://u:hunter2@etcd:2379", "ETCD_KEY": "BEGIN PRIVATE KEY"})
    assert env["ETCD_ENDPOINTS"] == "http://***@etcd:2379" and "ETCD_KEY" not in env


@pytest.fixture
def etcd_like():
    """An HTTP server that answers every POST with BODY (set by the test)."""
    state = {"body": b"", "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(state["status"])
            self.send_header("Content-Length", str(len(state["body"])))
            self.end_headers()
            self.wfile.write(state["body"])

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state["url"] = "http://root:hunter2@127.0.0.1:%d" % server.server_port
    yield state
    server.shutdown()
    server.server_close()


def test_non_json_reply_body_is_not_repeated(etcd_like):
    etcd_like["body"] = b"<html>debug: ETCD_KEY=MIIEvQIBADANBgkqhkiG9w0B s3cr3t-metrics</html>"
    with pytest.raises(DatastoreError) as err:
        etcd_range(etcd_like["url"], "/calico/", timeout=5)
    message = str(err.value)
    assert "not a JSON object (68 bytes)" in message and "http://***@127.0.0.1" in message
    assert not [s for s in SECRETS if s in message]


def test_reasons_never_carry_endpoint_credentials(etcd_like):
    etcd_like["status"] = 500
    result, warnings = datastore_state(None, datastore="etcdv3", etcd_endpoints=[etcd_like["url"], "http://admin:hunter2@127.0.0.1:1"],
                                       timeout=2)
    assert result["reachable"] is False
    text = json.dumps([result, warnings])
    assert "hunter2" not in text and "***@127.0.0.1" in text
