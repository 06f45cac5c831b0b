import json
import os
import stat

import pytest

from ansible_collections.meshdoctor.calico.plugins.modules import autodetection

from fake_kubectl import calls, install
from run_module import run_module

ENV = "# pinned by hand\nETCD_ENDPOINTS=http://192.168.1.196:2379\nNODENAME=ai\n"


def run(monkeypatch, args, check=False, diff=True):
    return run_module(monkeypatch, autodetection.main, args, check_mode=check, diff=diff)


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "calico.env"
    path.write_text(ENV)
    os.chmod(str(path), 0o640)
    return path


def test_file_check_real_again_check_again(monkeypatch, env_file):
    args = {"method": "cidr=192.168.1.0/24", "mode": "file", "env_file": str(env_file)}
    first = run(monkeypatch, args, check=True)
    assert first["changed"] and first["restart_required"]
    assert first["before"] is None and first["after"] == "cidr=192.168.1.0/24"
    assert env_file.read_text() == ENV  # check mode wrote nothing
    assert first["diff"]["before"] == ENV
    assert first["diff"]["after"] == ENV + "IP_AUTODETECTION_METHOD=cidr=192.168.1.0/24\n"

    real = run(monkeypatch, args)
    assert real["changed"] and real["mode"] == "file"
    assert env_file.read_text() == ENV + "IP_AUTODETECTION_METHOD=cidr=192.168.1.0/24\n"
    assert stat.S_IMODE(os.stat(str(env_file)).st_mode) == 0o640

    again = run(monkeypatch, args)
    assert not again["changed"] and not again["restart_required"]
    assert again["before"] == again["after"] == "cidr=192.168.1.0/24"
    assert again["diff"]["before"] == again["diff"]["after"]
    assert not run(monkeypatch, args, check=True)["changed"]


def test_file_replace_preserves_other_lines_and_backup(monkeypatch, tmp_path):
    path = tmp_path / "calico.env"
    path.write_text("A=1\n# comment\nIP_AUTODETECTION_METHOD=first-found\nB=2\n")
    result = run(monkeypatch, {"method": "interface=eno1", "mode": "file", "env_file": str(path), "backup": True})
    assert result["changed"] and result["before"] == "first-found"
    assert path.read_text() == "A=1\n# comment\nIP_AUTODETECTION_METHOD=interface=eno1\nB=2\n"
    with open(result["backup_file"]) as handle:
        assert "IP_AUTODETECTION_METHOD=first-found" in handle.read()


def test_file_absent_removes_pin(monkeypatch, tmp_path):
    path = tmp_path / "calico.env"
    path.write_text("A=1\nIP_AUTODETECTION_METHOD=interface=eno1\n")
    args = {"state": "absent", "mode": "file", "env_file": str(path)}
    assert run(monkeypatch, args, check=True)["changed"]
    assert "IP_AUTODETECTION_METHOD" in path.read_text()
    result = run(monkeypatch, args)
    assert result["changed"] and result["after"] is None and result["before"] == "interface=eno1"
    assert path.read_text() == "A=1\n"
    assert not run(monkeypatch, args)["changed"]


def test_file_created_when_missing_with_warning(monkeypatch, tmp_path):
    path = tmp_path / "etc" / "calico" / "calico.env"
    check = run(monkeypatch, {"method": "kubernetes-internal-ip", "mode": "file", "env_file": str(path)}, check=True)
    assert check["changed"] and check["created"] and not path.exists()
    assert any("--env-file" in w for w in check["warnings"])
    result = run(monkeypatch, {"method": "kubernetes-internal-ip", "mode": "file", "env_file": str(path)})
    assert result["created"] and path.read_text() == "IP_AUTODETECTION_METHOD=kubernetes-internal-ip\n"
    absent = run(monkeypatch, {"state": "absent", "mode": "file", "env_file": str(tmp_path / "none.env")})
    assert not absent["changed"] and not (tmp_path / "none.env").exists()


def test_invalid_method_refused_before_writing(monkeypatch, env_file):
    result = run(monkeypatch, {"method": "cidr=192.168.1.0/33", "mode": "file", "env_file": str(env_file)})
    assert result["failed"]
    assert 'Invalid CIDR "192.168.1.0/33"' in result["msg"] and "Valid forms" in result["msg"]


def test_re2_rejections_and_releases_are_refused_before_writing(monkeypatch, env_file):
    before = env_file.read_text()
    result = run(monkeypatch, {"method": "interface=(?!docker).*", "mode": "file", "env_file": str(env_file)})
    assert result["failed"] and "invalid or unsupported Perl syntax: `(?!`" in result["msg"]
    result = run(monkeypatch, {"method": "cidr=10.0.0.0/8", "calico_version": "v3.15.1", "mode": "file",
                               "env_file": str(env_file)})
    assert result["failed"] and "Invalid IP autodetection method: cidr=10.0.0.0/8" in result["msg"]
    assert env_file.read_text() == before
    assert env_file.read_text() == ENV


def test_ip6_variable(monkeypatch, env_file):
    result = run(monkeypatch, {"method": "interface=eno1", "ip_version": 6, "mode": "file", "env_file": str(env_file)})
    assert result["variable"] == "IP6_AUTODETECTION_METHOD"
    assert env_file.read_text().endswith("IP6_AUTODETECTION_METHOD=interface=eno1\n")


def test_auto_prefers_existing_file(monkeypatch, env_file):
    result = run(monkeypatch, {"method": "first-found", "env_file": str(env_file), "kubectl": "/nonexistent/kubectl"})
    assert result["mode"] == "file"


# ------------------------------------------------------------------ kubectl mode
def ds_env(tmp_path):
    with open(str(tmp_path / "daemonset-state.json")) as handle:
        ds = json.load(handle)
    cont = [c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == "calico-node"][0]
    return cont["env"]


def test_kubectl_check_real_again_check_again(monkeypatch, tmp_path):
    prog = install(tmp_path, [], daemonset="get_daemonset_calico-node.json")
    args = {"method": "can-reach=192.168.1.196", "mode": "kubectl", "kubectl": prog, "kubeconfig": "/etc/kubernetes/admin.conf"}
    first = run(monkeypatch, args, check=True)
    assert first["changed"] and first["before"] is None and first["after"] == "can-reach=192.168.1.196"
    assert first["diff"] == {"before": "", "after": "IP_AUTODETECTION_METHOD=can-reach=192.168.1.196\n",
                             "before_header": "daemonset/calico-node calico-node env",
                             "after_header": "daemonset/calico-node calico-node env"}
    # calico-system first (NotFound here), then kube-system; then is there an operator Installation? (no CRD)
    assert [c[4:8] for c in calls(tmp_path)] == [["get", "daemonset", "calico-node", "-n"]] * 2 + [
        ["get", "installations.operator.tigera.io", "default", "-o"]]
    assert [c[8] for c in calls(tmp_path)[:2]] == ["calico-system", "kube-system"]
    assert calls(tmp_path)[0][:4] == ["--kubeconfig", "/etc/kubernetes/admin.conf", "--request-timeout", "30s"]
    assert first["target"] == "daemonset" and first["patch"]["type"] == "json"

    real = run(monkeypatch, args)
    assert real["changed"] and not real["restart_required"]
    assert real["daemonset"] == {"name": "calico-node", "namespace": "kube-system", "update_strategy": "RollingUpdate",
                                 "operator_managed": False}
    assert real["patch"]["body"] == first["patch"]["body"]
    patch = calls(tmp_path)[-1]
    assert patch[4:10] == ["patch", "daemonset", "calico-node", "-n", "kube-system", "--type"]
    ops = json.loads(patch[-1])
    assert ops[0] == {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "calico-node"}
    assert ops[1] == {"op": "add", "path": "/spec/template/spec/containers/0/env/-",
                      "value": {"name": "IP_AUTODETECTION_METHOD", "value": "can-reach=192.168.1.196"}}
    assert {"name": "IP_AUTODETECTION_METHOD", "value": "can-reach=192.168.1.196"} in ds_env(tmp_path)

    again = run(monkeypatch, args)
    assert not again["changed"] and again["before"] == "can-reach=192.168.1.196"
    assert not run(monkeypatch, args, check=True)["changed"]
    assert sum(1 for c in calls(tmp_path) if "patch" in c) == 1

    # Change the pin: replace in place, guarded by a test op.
    changed = run(monkeypatch, dict(args, method="interface=eno1"))
    assert changed["changed"] and changed["before"] == "can-reach=192.168.1.196"
    ops = json.loads(calls(tmp_path)[-1][-1])
    assert ops[1]["op"] == "test" and ops[2]["op"] == "replace"
    assert {"name": "IP_AUTODETECTION_METHOD", "value": "interface=eno1"} in ds_env(tmp_path)

    removed = run(monkeypatch, dict(args, state="absent"))
    assert removed["changed"] and removed["after"] is None
    assert all(e["name"] != "IP_AUTODETECTION_METHOD" for e in ds_env(tmp_path))
    assert not run(monkeypatch, dict(args, state="absent"))["changed"]


def test_kubectl_daemonset_missing(monkeypatch, tmp_path):
    prog = install(tmp_path, [{"match": ["get", "daemonset"], "replies": [{"rc": 1, "stderr": "get_daemonset_notfound.txt"}]}])
    result = run(monkeypatch, {"method": "first-found", "mode": "kubectl", "kubectl": prog})
    assert result["failed"]
    assert "reading DaemonSet calico-node in namespace calico-system or kube-system failed" in result["msg"]
    assert 'daemonsets.apps "calico-node" not found' in result["msg"]


def test_kubectl_wrong_container(monkeypatch, tmp_path):
    prog = install(tmp_path, [], daemonset="get_daemonset_calico-node.json")
    result = run(monkeypatch, {"method": "first-found", "mode": "kubectl", "kubectl": prog, "container": "node"})
    assert result["failed"] and "has no container 'node' (containers: calico-node)" in result["msg"]


def test_kubectl_value_from_is_replaced(monkeypatch, tmp_path):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "kubectl", "get_daemonset_calico-node.json")) as handle:
        ds = json.load(handle)
    ds["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "IP_AUTODETECTION_METHOD", "valueFrom": {"configMapKeyRef": {"name": "calico-config", "key": "ip_autodetection"}}})
    custom = tmp_path / "ds.json"
    custom.write_text(json.dumps(ds))
    prog = install(tmp_path, [], daemonset=str(custom))
    result = run(monkeypatch, {"method": "first-found", "mode": "kubectl", "kubectl": prog})
    assert result["changed"] and result["before"].startswith("valueFrom ")
    assert ds_env(tmp_path)[-1] == {"name": "IP_AUTODETECTION_METHOD", "value": "first-found"}


def test_kubectl_not_found(monkeypatch, tmp_path):
    result = run(monkeypatch, {"method": "first-found", "mode": "kubectl", "kubectl": str(tmp_path / "kubectl")})
    assert result["failed"] and "kubectl program" in result["msg"] and "not found" in result["msg"]


# ------------------------------------------------------------------ tigera-operator installs
def installation_state(tmp_path):
    with open(str(tmp_path / "installation-state.json")) as handle:
        return json.load(handle)


def test_operator_pin_goes_into_the_installation(monkeypatch, tmp_path):
    prog = install(tmp_path, [], daemonset="get_daemonset_calico-node_operator.json", namespace="calico-system",
                   installation="get_installation_default.json")
    args = {"method": "cidr=192.168.1.0/24", "mode": "kubectl", "kubectl": prog}
    first = run(monkeypatch, args, check=True)
    assert first["changed"] and first["target"] == "installation"
    assert first["daemonset"] == {"name": "calico-node", "namespace": "calico-system", "update_strategy": "RollingUpdate",
                                  "operator_managed": True}
    # Check mode shows the patch, and sends none.
    assert first["patch"] == {"type": "merge", "body": {"spec": {"calicoNetwork": {"nodeAddressAutodetectionV4": {
        "cidrs": ["192.168.1.0/24"], "firstFound": None, "kubernetes": None, "interface": None, "skipInterface": None,
        "canReach": None}}}}}
    assert (first["before"], first["after"]) == ("first-found", "cidr=192.168.1.0/24")
    assert first["installation"]["before"] == {"firstFound": True} and first["installation"]["after"] == {"cidrs": ["192.168.1.0/24"]}
    assert first["diff"]["before"] == 'nodeAddressAutodetectionV4={"firstFound": true}\n'
    assert not any("patch" in c for c in calls(tmp_path))
    # The DaemonSet was found in calico-system at once; ownerReferences name the Installation.
    assert [c[2:4] for c in calls(tmp_path)] == [["get", "daemonset"], ["get", "installations.operator.tigera.io"]]

    real = run(monkeypatch, args)
    assert real["changed"]
    patch = [c for c in calls(tmp_path) if "patch" in c][-1]
    assert patch[2:7] == ["patch", "installations.operator.tigera.io", "default", "--type", "merge"]
    state = installation_state(tmp_path)
    assert state["spec"]["calicoNetwork"]["nodeAddressAutodetectionV4"] == {"cidrs": ["192.168.1.0/24"]}
    # The operator owns the DaemonSet: it is left alone.
    assert not any("daemonset" in c for c in calls(tmp_path) if "patch" in c)

    again = run(monkeypatch, args)
    assert not again["changed"] and again["patch"] is None and again["before"] == "cidr=192.168.1.0/24"
    assert not run(monkeypatch, args, check=True)["changed"]
    assert sum(1 for c in calls(tmp_path) if "patch" in c) == 1

    removed = run(monkeypatch, dict(args, state="absent"))
    assert removed["changed"] and removed["after"] is None
    assert "nodeAddressAutodetectionV4" not in installation_state(tmp_path)["spec"]["calicoNetwork"]


def test_manifest_daemonset_with_an_installation_counts_as_operator(monkeypatch, tmp_path):
    """No ownerReferences (e.g. a DaemonSet the operator migrated), but the Installation exists."""
    prog = install(tmp_path, [], daemonset="get_daemonset_calico-node.json", installation="get_installation_default.json")
    result = run(monkeypatch, {"method": "interface=eno1", "mode": "kubectl", "kubectl": prog}, check=True)
    assert result["target"] == "installation" and result["daemonset"]["operator_managed"]
    forced = run(monkeypatch, {"method": "interface=eno1", "mode": "kubectl", "kubectl": prog, "target": "daemonset"}, check=True)
    assert forced["target"] == "daemonset" and forced["patch"]["type"] == "json"


def test_operator_owned_daemonset_without_readable_installation_fails(monkeypatch, tmp_path):
    prog = install(tmp_path, [], daemonset="get_daemonset_calico-node_operator.json", namespace="calico-system")
    result = run(monkeypatch, {"method": "interface=eno1", "mode": "kubectl", "kubectl": prog})
    assert result["failed"] and "managed by tigera-operator (ownerReferences)" in result["msg"]
    assert "doesn't have a resource type" in result["msg"]


def test_installation_target_forced_on_a_manifest_cluster_fails(monkeypatch, tmp_path):
    prog = install(tmp_path, [], daemonset="get_daemonset_calico-node.json")
    result = run(monkeypatch, {"method": "interface=eno1", "mode": "kubectl", "kubectl": prog, "target": "installation"})
    assert result["failed"] and "reading its Installation failed" in result["msg"]
