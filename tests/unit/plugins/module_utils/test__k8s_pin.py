"""Every patch the collection writes through kubectl, applied by the REAL kubectl offline
(`kubectl patch --local`), on objects shaped as the API server returns them
(tests/unit/fixtures/kubectl/README.md says where each comes from)."""
import copy

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._k8s_pin import (
    current_autodetection,
    daemonset_env_patch,
    installation_patch,
    installation_to_method,
    method_to_installation,
    operator_owner,
)

import real_kubectl
from fixtures import fixture_json

pytestmark = pytest.mark.skipif(real_kubectl.find() is None, reason="no kubectl program: tests/setup.sh installs kubernetes-client")

METHODS = ["first-found", "kubernetes-internal-ip", "can-reach=192.168.1.196", "interface=eno1,eth.*",
           "skip-interface=br-.*", "cidr=192.168.1.0/24,10.0.0.0/8"]
VARIABLE = "IP_AUTODETECTION_METHOD"


def env_of(ds, container="calico-node"):
    return [c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == container][0].get("env")


# ------------------------------------------------------------------ Installation (tigera-operator)
@pytest.mark.parametrize("method", METHODS)
def test_installation_forms_round_trip(method):
    spec = method_to_installation(method)
    assert len(spec) == 1 and installation_to_method(spec) == method


def test_installation_form_of_each_method():
    assert [method_to_installation(m) for m in METHODS] == [
        {"firstFound": True}, {"kubernetes": "NodeInternalIP"}, {"canReach": "192.168.1.196"},
        {"interface": "eno1,eth.*"}, {"skipInterface": "br-.*"}, {"cidrs": ["192.168.1.0/24", "10.0.0.0/8"]}]
    # Calico splits cidr= lists on commas with the spaces around them.
    assert method_to_installation("cidr=10.0.0.0/8 , 192.168.0.0/16") == {"cidrs": ["10.0.0.0/8", "192.168.0.0/16"]}
    assert installation_to_method({}) is None and installation_to_method({"firstFound": False}) is None
    with pytest.raises(ValueError):
        method_to_installation("nonsense")


@pytest.mark.parametrize("method", METHODS)
def test_installation_patch_applied_by_kubectl(method):
    inst = fixture_json("kubectl", "get_installation_default.json")
    changed, before, after, body = installation_patch(inst, method)
    assert before == {"firstFound": True}
    if method == "first-found":
        assert (changed, body) == (False, None)
        return
    assert changed
    patched = real_kubectl.patch_local(inst, "merge", body)
    # Exactly one field is left: the operator refuses more than one.
    assert current_autodetection(patched) == after == method_to_installation(method)
    assert installation_to_method(current_autodetection(patched)) == method
    # Nothing else of the resource moved.
    rest = copy.deepcopy(patched)
    rest["spec"]["calicoNetwork"]["nodeAddressAutodetectionV4"] = {"firstFound": True}
    assert rest == inst
    # Again: nothing to do.
    assert installation_patch(patched, method)[0] is False


def test_installation_patch_when_unset_and_removed():
    inst = fixture_json("kubectl", "get_installation_default.json")
    del inst["spec"]["calicoNetwork"]["nodeAddressAutodetectionV4"]
    changed, before, dummy, body = installation_patch(inst, "interface=eno1")
    assert changed and before is None
    patched = real_kubectl.patch_local(inst, "merge", body)
    assert current_autodetection(patched) == {"interface": "eno1"}
    changed, before, after, body = installation_patch(patched, None)
    assert changed and (before, after) == ({"interface": "eno1"}, None)
    cleared = real_kubectl.patch_local(patched, "merge", body)
    assert "nodeAddressAutodetectionV4" not in cleared["spec"]["calicoNetwork"]
    assert installation_patch(cleared, None)[0] is False


def test_installation_patch_ipv6_field():
    inst = fixture_json("kubectl", "get_installation_default.json")
    dummy, dummy, dummy, body = installation_patch(inst, "interface=eno1", ip_version=6)
    patched = real_kubectl.patch_local(inst, "merge", body)
    assert current_autodetection(patched, 6) == {"interface": "eno1"}
    assert current_autodetection(patched, 4) == {"firstFound": True}


def test_installation_with_two_fields_set_counts_by_what_the_operator_renders():
    inst = fixture_json("kubectl", "get_installation_default.json")
    inst["spec"]["calicoNetwork"]["nodeAddressAutodetectionV4"] = {"firstFound": False, "interface": "ens5"}
    assert installation_patch(inst, "interface=ens5")[0] is False
    changed, dummy, dummy, body = installation_patch(inst, "cidr=10.0.0.0/8")
    assert changed
    patched = real_kubectl.patch_local(inst, "merge", body)
    assert current_autodetection(patched) == {"cidrs": ["10.0.0.0/8"]}


# ------------------------------------------------------------------ operator vs manifest
def test_operator_owner_detection():
    operator = fixture_json("kubectl", "get_daemonset_calico-node_operator.json")
    manifest = fixture_json("kubectl", "get_daemonset_calico-node.json")
    assert operator_owner(operator)["name"] == "default"
    assert operator_owner(manifest) is None
    # A DaemonSet owned by something else is not the operator's.
    other = copy.deepcopy(manifest)
    other["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Installation", "name": "x", "uid": "1"}]
    assert operator_owner(other) is None


# ------------------------------------------------------------------ DaemonSet env (manifest, kubespray)
def set_env(ds, assignment):
    return real_kubectl.set_env_local(ds, "calico-node", assignment)


def test_daemonset_add_replace_remove_applied_by_kubectl():
    ds = fixture_json("kubectl", "get_daemonset_calico-node.json")
    changed, before, ops = daemonset_env_patch(ds, "calico-node", VARIABLE, "cidr=192.168.1.0/24")
    assert changed and before is None and ops[-1]["op"] == "add"
    added = real_kubectl.patch_local(ds, "json", ops)
    # The same env as kubectl's own `set env` makes.
    assert env_of(added) == env_of(set_env(ds, VARIABLE + "=cidr=192.168.1.0/24"))
    assert daemonset_env_patch(added, "calico-node", VARIABLE, "cidr=192.168.1.0/24")[0] is False

    changed, before, ops = daemonset_env_patch(added, "calico-node", VARIABLE, "interface=eno1")
    assert before == "cidr=192.168.1.0/24" and [op["op"] for op in ops] == ["test", "test", "replace"]
    replaced = real_kubectl.patch_local(added, "json", ops)
    assert env_of(replaced) == env_of(set_env(added, VARIABLE + "=interface=eno1"))

    changed, before, ops = daemonset_env_patch(replaced, "calico-node", VARIABLE, None)
    removed = real_kubectl.patch_local(replaced, "json", ops)
    assert env_of(removed) == env_of(ds) == env_of(set_env(replaced, VARIABLE + "-"))
    assert daemonset_env_patch(removed, "calico-node", VARIABLE, None)[0] is False


def test_daemonset_value_from_and_empty_env():
    ds = fixture_json("kubectl", "get_daemonset_calico-node.json")
    env_of(ds).append({"name": VARIABLE, "valueFrom": {"configMapKeyRef": {"name": "calico-config", "key": "ip_method"}}})
    changed, before, ops = daemonset_env_patch(ds, "calico-node", VARIABLE, "first-found")
    assert changed and before.startswith("valueFrom ")
    patched = real_kubectl.patch_local(ds, "json", ops)
    assert env_of(patched)[-1] == {"name": VARIABLE, "value": "first-found"}

    bare = fixture_json("kubectl", "get_daemonset_calico-node.json")
    del bare["spec"]["template"]["spec"]["containers"][0]["env"]
    dummy, dummy, ops = daemonset_env_patch(bare, "calico-node", VARIABLE, "first-found")
    assert env_of(real_kubectl.patch_local(bare, "json", ops)) == [{"name": VARIABLE, "value": "first-found"}]


def test_daemonset_patch_guards_refuse_a_changed_daemonset():
    """The test ops make kubectl (and the API server) refuse a patch computed on an older object."""
    ds = fixture_json("kubectl", "get_daemonset_calico-node.json")
    env_of(ds).append({"name": VARIABLE, "value": "first-found"})
    dummy, dummy, ops = daemonset_env_patch(ds, "calico-node", VARIABLE, "interface=eno1")
    moved = copy.deepcopy(ds)
    env_of(moved).insert(0, {"name": "EXTRA", "value": "1"})
    with pytest.raises(real_kubectl.KubectlPatchError):
        real_kubectl.patch_local(moved, "json", ops)


def test_daemonset_patch_needs_the_container():
    with pytest.raises(ValueError, match="no container 'node'"):
        daemonset_env_patch(fixture_json("kubectl", "get_daemonset_calico-node.json"), "node", VARIABLE, "first-found")


# ------------------------------------------------------------------ the fixtures themselves
@pytest.mark.parametrize("parts", [
    ("kubectl", "get_daemonset_calico-node.json"), ("kubectl", "get_daemonset_calico-node_operator.json"),
    ("kubectl", "get_installation_default.json"), ("kubectl", "get_pods_ai_before.json"),
    ("kubectl", "get_pods_kubespray_ai.json"), ("datastore", "kubectl_get_nodes.json"),
    ("datastore", "kubectl_get_blockaffinities.json"), ("datastore", "kubectl_get_pods_calico_node.json")])
def test_fixtures_are_objects_kubectl_reads_unchanged(parts):
    """kubectl decodes each fixture and writes it back unchanged: real object shapes."""
    obj = fixture_json(*parts)
    out = real_kubectl.patch_local(obj, "merge", {}, stream=True)
    items = obj["items"] if obj.get("kind", "").endswith("List") else [obj]
    assert out == items
