import json
import os

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._kubectl import (
    Kubectl,
    KubectlError,
    container_names,
    describe_pod,
    env_value,
    expand_refs,
    find_container,
    pod_summary,
    replacement,
    resolve_env,
)

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "kubectl")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def pods(name):
    return [pod_summary(item) for item in load(name)["items"]]


def test_pod_summary_ready_pod():
    (pod,) = pods("get_pods_ai_before.json")
    assert pod["name"] == "calico-node-7xkqz" and pod["node"] == "ai"
    assert pod["uid"] == "3d1c0b9e-5f1a-4c7e-9a52-1f0c8b7d6e21"
    assert pod["ready"] and pod["phase"] == "Running" and not pod["terminating"]
    assert pod["containers"][0]["restart_count"] == 1
    assert describe_pod(pod) == "calico-node-7xkqz (Running, ready)"


def test_pod_summary_terminating_and_not_ready():
    (old,) = pods("get_pods_ai_terminating.json")
    assert old["terminating"] and not old["ready"]
    (new,) = pods("get_pods_ai_new_notready.json")
    assert not new["ready"] and new["containers"][0]["state"] == "running"
    assert describe_pod(new) == "calico-node-m4p9d (Running, not ready, container calico-node running)"


def test_crashloop_is_described():
    (pod,) = pods("get_pods_ai_new_crashloop.json")
    text = describe_pod(pod)
    assert "container calico-node waiting CrashLoopBackOff" in text and "back-off 1m20s" in text


def test_replacement_skips_old_and_terminating():
    old_uids = {p["uid"] for p in pods("get_pods_ai_before.json")}
    assert replacement(pods("get_pods_ai_before.json"), old_uids) is None
    assert replacement(pods("get_pods_ai_terminating.json"), old_uids) is None
    assert replacement(pods("get_pods_ai_new_ready.json"), old_uids)["name"] == "calico-node-m4p9d"
    both = pods("get_pods_ai_terminating.json") + pods("get_pods_ai_new_notready.json")
    assert replacement(both, old_uids)["name"] == "calico-node-m4p9d"


def test_daemonset_env():
    ds = load("get_daemonset_calico-node.json")
    assert container_names(ds) == ["calico-node"]
    cont = find_container(ds, "calico-node")
    assert env_value(cont, "IP") == (True, "autodetect", None)
    assert env_value(cont, "IP_AUTODETECTION_METHOD") == (False, None, None)
    present, value, value_from = env_value(cont, "NODENAME")
    assert present and value is None and value_from == {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}
    assert find_container(ds, "nope") is None


def test_kubectl_argv_and_errors():
    seen = []

    def run_command(cmd):
        seen.append(cmd)
        if cmd[-1] == "json":
            return 0, '{"items": []}', ""
        return 1, "", 'Error from server (Forbidden): pods is forbidden: User "x" cannot list resource "pods"\n'

    kube = Kubectl(run_command, "/usr/bin/kubectl", "/etc/kubernetes/admin.conf", request_timeout=20)
    assert kube.json(["get", "pods"]) == {"items": []}
    assert seen[0] == ["/usr/bin/kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "--request-timeout", "20s",
                       "get", "pods", "-o", "json"]
    with pytest.raises(KubectlError) as err:
        kube.run(["delete", "pod", "x"])
    assert "delete pod x exited 1: Error from server (Forbidden)" in str(err.value)


def test_kubectl_bad_json():
    kube = Kubectl(lambda cmd: (0, "not json", ""), "kubectl")
    with pytest.raises(KubectlError) as err:
        kube.json(["get", "pods"])
    assert "did not print JSON" in str(err.value)


# ------------------------------------------------------------------ env as the kubelet resolves it
@pytest.mark.parametrize("value, expected", [
    ("can-reach=$(NODEIP)", "can-reach=192.168.1.188"),
    ("$(NODEIP)$(NODEIP)", "192.168.1.188192.168.1.188"),
    ("can-reach=$(UNDEFINED)", "can-reach=$(UNDEFINED)"),      # undefined: left as written
    ("$$(NODEIP)", "$(NODEIP)"),                               # $$ escapes the reference
    ("a$$$(NODEIP)", "a$192.168.1.188"),
    ("a$$b", "a$b"),
    ("$(NODEIP", "$(NODEIP"),                                  # unclosed: left as is
    ("cost $5", "cost $5"), ("end$", "end$"), ("$", "$"), ("", ""),
    ("$()", "$()"),                                            # the empty name is not defined
    ("interface=eth$(N)", "interface=eth0"),
])
def test_expand_refs_like_the_kubelet(value, expected):
    assert expand_refs(value, {"NODEIP": "192.168.1.188", "N": "0"}) == expected


def test_kubespray_can_reach_nodeip_is_expanded_from_the_pod():
    """kubespray: NODEIP from status.hostIP, IP_AUTODETECTION_METHOD=can-reach=$(NODEIP)."""
    (pod,) = [pod_summary(p, "calico-node") for p in load("get_pods_kubespray_ai.json")["items"]]
    env = pod["container"]["env"]
    assert env["NODEIP"] == "192.168.1.188"
    assert env["IP_AUTODETECTION_METHOD"] == "can-reach=192.168.1.188"
    assert env["NODENAME"] == env["CALICO_K8S_NODE_REF"] == "ai"
    # A ConfigMap value only the API server knows: None, not a guess.
    assert env["CALICO_NETWORKING_BACKEND"] is None


def test_references_resolve_only_to_earlier_entries():
    container = {"env": [{"name": "M", "value": "can-reach=$(NODEIP)"},
                         {"name": "NODEIP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
                         {"name": "N", "value": "$(NODEIP) $(CM)"},
                         {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
                         {"name": "O", "value": "$(CM)"}]}
    env = resolve_env(container, {"status": {"hostIP": "10.0.0.5"}})
    assert env == {"M": "can-reach=$(NODEIP)", "NODEIP": "10.0.0.5", "N": "10.0.0.5 $(CM)", "CM": None, "O": "$(CM)"}
    # A DaemonSet template has no pod status: the reference stays.
    assert resolve_env(container, {})["N"] == "$(NODEIP) $(CM)"
