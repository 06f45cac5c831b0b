"""calico-node discovery and log evidence: the seed's log lines, the other methods' wordings,
CRI / json-file / journal formats, Docker (recorded engine answers), /proc and kubectl."""
import os

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils import _calico_node_discovery as cn
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_log import (
    detected_ipv4,
    merge_by_time,
    parse_log_evidence,
    parse_log_lines,
)
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_discovery import calico_node_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_facts import (
    deployment_from_cgroup,
    effective_method,
    parse_env_file,
    parse_environ,
    parse_kubectl_pods,
    version_from_image,
)

from fake_docker import FakeDocker, docker_routes_seed_ai
from fake_run import FakeRun
from fixtures import fixture_json, fixture_path, fixture_text

KEYS = {"kind", "line", "version", "address", "interface", "method", "original", "updated", "time", "component",
        "written", "error"}


# ------------------------------------------------------------------ log evidence
def test_seed_outage_log():
    evidence = parse_log_evidence(fixture_text("calico_node", "seed_ai_outage.log"))
    assert [e["kind"] for e in evidence] == ["autodetected", "address_changed"]
    auto, changed = evidence
    assert set(auto) == KEYS
    assert (auto["version"], auto["address"], auto["interface"], auto["method"]) == (4, "172.19.0.1/16", "br-cddff8a3b81c", "first-found")
    assert auto["line"].startswith("2018-10-19 06:41:19.968 [INFO][10] startup.go 564: Using autodetected")
    assert (changed["original"], changed["updated"], changed["address"]) == ("192.168.1.188", "172.19.0.1", "172.19.0.1")


def test_seed_fixed_log():
    evidence = parse_log_evidence(fixture_text("calico_node", "seed_ai_fixed.log"))
    assert (evidence[0]["interface"], evidence[0]["address"]) == ("eno1", "192.168.1.188/24")
    assert (evidence[1]["original"], evidence[1]["updated"]) == ("172.19.0.1", "192.168.1.188")


def test_every_method_wording():
    evidence = parse_log_evidence(fixture_text("calico_node", "methods.log"))
    got = [(e["kind"], e["method"], e["version"], e["address"], e["interface"]) for e in evidence]
    assert got == [
        ("autodetected", "interface", 4, "192.168.1.188/24", "eno1"),
        ("autodetected", "cidr", 4, "192.168.1.188/24", "eno1"),
        ("autodetected", "can-reach", 4, "192.168.1.188/24", None),
        ("autodetected", "skip-interface", 4, "192.168.1.188/24", "eno1"),
        ("autodetected", "interface", 6, "fd00::188/64", "eno1"),
        ("conflict", None, 4, "192.168.1.188", None),
        ("autodetected", "first-found", 4, "172.19.0.1/16", "br-cddff8a3b81c"),
    ]


def test_lab_style_fields_without_quotes():
    line = ('2026-11-24 13:50:00.123 [WARNING][77] startup/startup.go 849: IPv4 address has changed. This could happen '
            'if there are multiple nodes with the same name. node=ai original=192.168.1.188 updated=172.19.0.1')
    assert parse_log_evidence([line])[0]["original"] == "192.168.1.188"


def test_cri_and_json_file_logs_read_like_plain():
    plain = parse_log_lines(fixture_text("calico_node", "seed_ai_outage.log"))
    cri = parse_log_lines(fixture_text("calico_node", "cri_calico-node-26655_kube-system_calico-node-6c1e2a70.log"))
    jsonfile = parse_log_lines(fixture_text("calico_node", "jsonfile_calico-node.log"))
    assert cri == plain and jsonfile == plain


def test_evidence_needs_nothing_else():
    assert parse_log_evidence("") == [] and parse_log_evidence(None) == []
    assert parse_log_evidence("Using autodetected IPv4 address on interface : \n") == []


# ------------------------------------------------------------------ env and versions
def test_env_file():
    env = parse_env_file(fixture_text("calico_node", "calico.env"))
    assert env == {"IP_AUTODETECTION_METHOD": "interface=eno1", "CALICO_ROUTER_ID": "192.168.1.188", "NODENAME": "ai"}


def test_environ_and_method():
    env = parse_environ(b"PATH=/usr/bin\0IP=autodetect\0IP_AUTODETECTION_METHOD=\0NODENAME=ai\0junk\0")
    assert env["IP"] == "autodetect" and env["IP_AUTODETECTION_METHOD"] == ""
    assert effective_method(env) == "first-found"
    assert effective_method({"IP_AUTODETECTION_METHOD": " can-reach=8.8.8.8 "}) == "can-reach=8.8.8.8"


@pytest.mark.parametrize("image,version", [
    ("docker.io/calico/node:v3.24.5", "v3.24.5"), ("calico/node:v3.25.0@sha256:abc", "v3.25.0"),
    ("quay.io/calico/node:3.26.1", "3.26.1"), ("registry:5000/calico/node", None), ("calico/node:latest", None),
    ("", None), (None, None)])
def test_version_from_image(image, version):
    assert version_from_image(image) == version


@pytest.mark.parametrize("cgroup,deployment", [
    ("12:pids:/kubepods/burstable/pod6c1e2a70-d35d-11e8-b1a4-7085c24b1a9e/9f0e1111\n", "kubernetes"),
    ("0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-" + "a" * 64 + ".scope\n", "kubernetes"),
    ("0::/system.slice/calico-node.service\n", "systemd"),
    ("0::/system.slice/docker-" + "b" * 64 + ".scope\n", "docker"),
    ("0::/user.slice/user-0.slice/session-3.scope\n", "process"),
    ("", "process")])
def test_deployment_from_cgroup(cgroup, deployment):
    assert deployment_from_cgroup(cgroup) == deployment


def test_kubectl_pods():
    pods = parse_kubectl_pods(fixture_text("datastore", "kubectl_get_pods_calico_node.json"))
    assert [p["name"] for p in pods] == ["calico-node-26655", "calico-node-4zsxl", "calico-node-69gdw", "calico-node-xrpjw"]
    ai = pods[0]
    assert ai["env"]["NODENAME"] == "ai"                       # fieldRef spec.nodeName resolved
    assert ai["env"]["CALICO_NETWORKING_BACKEND"] is None      # configMapKeyRef: not known here
    assert ai["env"]["IP_AUTODETECTION_METHOD"] == "first-found" and ai["env"]["IP"] == "autodetect"
    assert (ai["image"], ai["ready"], ai["running"], ai["phase"]) == ("docker.io/calico/node:v3.24.5", True, True, "Running")
    assert ai["container_id"].startswith("9f0e")
    ml = pods[3]
    assert ml["running"] is False and "CrashLoopBackOff" in ml["reason"]
    assert parse_kubectl_pods("nonsense") == [] and parse_kubectl_pods('{"items": [3]}') == []


# ------------------------------------------------------------------ discovery
@pytest.fixture
def no_calico_env(monkeypatch, tmp_path):
    monkeypatch.setattr(cn, "CALICO_ENV_FILE", str(tmp_path / "absent.env"))
    monkeypatch.setattr(cn, "K8S_LOG_GLOBS", (str(tmp_path / "containers" / "calico-node-*_kube-system_calico-node-*.log"),))
    return tmp_path


def test_kubectl_mode(no_calico_env):
    run = FakeRun({
        ("kubectl", "--kubeconfig", "/k.conf", "get", "pods", "-n", "calico-system"): (
            0, fixture_text("calico_node", "kubectl_get_pods_none.json"), ""),
        ("kubectl", "--kubeconfig", "/k.conf", "get", "pods", "-n", "kube-system"): (
            0, fixture_text("calico_node", "kubectl_get_pods_ai.json"), ""),
        ("kubectl", "--kubeconfig", "/k.conf", "logs"): (0, fixture_text("calico_node", "seed_ai_outage.log"), ""),
    })
    info, warnings = calico_node_state(run, docker_socket=str(no_calico_env / "no.sock"), log_lines=500,
                                       kubectl="kubectl", kubeconfig="/k.conf", node_name="ai")
    assert warnings == []
    assert run.calls == [
        ["kubectl", "--kubeconfig", "/k.conf", "get", "pods", "-n", "calico-system", "-l", "k8s-app=calico-node",
         "--field-selector", "spec.nodeName=ai", "-o", "json"],
        ["kubectl", "--kubeconfig", "/k.conf", "get", "pods", "-n", "kube-system", "-l", "k8s-app=calico-node",
         "--field-selector", "spec.nodeName=ai", "-o", "json"],
        ["kubectl", "--kubeconfig", "/k.conf", "logs", "-n", "kube-system", "calico-node-26655", "-c", "calico-node",
         "--tail", "500"]]
    assert (info["deployment"], info["running"], info["calico_version"], info["autodetection_method"]) == (
        "kubernetes", True, "v3.24.5", "first-found")
    assert (info["detected_address"], info["detected_interface"]) == ("172.19.0.1/16", "br-cddff8a3b81c")
    assert info["env"]["NODENAME"] == "ai" and info["env"]["CALICO_ROUTER_ID"] is None


def test_kubectl_mode_no_pod(no_calico_env):
    run = FakeRun({("kubectl", "get"): (0, fixture_text("calico_node", "kubectl_get_pods_none.json"), "")})
    info, dummy = calico_node_state(run, docker_socket=str(no_calico_env / "no.sock"), kubectl="kubectl", node_name="zz")
    assert (info["deployment"], info["running"], info["reason"]) == (
        "kubernetes", False, "no calico-node pod on node zz (namespaces calico-system, kube-system)")


def test_docker_container(no_calico_env, short_tmp, monkeypatch):
    server = FakeDocker(os.path.join(short_tmp, "docker.sock"), docker_routes_seed_ai())
    env_file = no_calico_env / "calico.env"
    env_file.write_text(fixture_text("calico_node", "calico.env"))
    monkeypatch.setattr(cn, "CALICO_ENV_FILE", str(env_file))
    try:
        info, warnings = calico_node_state(FakeRun(), docker_socket=server.path, log_lines=100)
    finally:
        server.close()
    assert warnings == []
    assert (info["deployment"], info["running"], info["image"], info["calico_version"]) == (
        "docker", True, "calico/node:v3.24.5", "v3.24.5")
    assert info["container_id"].startswith("8c13dba5cae6")
    # /etc/calico/calico.env wins over the container's environment
    assert info["env"]["IP_AUTODETECTION_METHOD"] == "interface=eno1" and info["autodetection_method"] == "interface=eno1"
    assert info["env"]["ETCD_ENDPOINTS"] == "http://192.168.1.196:2379"
    assert [e["kind"] for e in info["log_evidence"]] == ["address_changed", "autodetected"]
    assert info["detected_interface"] == "br-cddff8a3b81c"


def test_dockershim_kubernetes_container(no_calico_env, short_tmp):
    routes = docker_routes_seed_ai(with_calico=False)
    container = fixture_json("docker", "container_calico-node.json")
    container["Name"] = "/k8s_calico-node_calico-node-26655_kube-system_6c1e2a70_0"
    routes[("GET", "/containers/json")] = (200, [{"Id": container["Id"], "State": "running", "Created": 1}])
    routes[("GET", "/containers/%s/json" % container["Id"])] = (200, container)
    routes[("GET", "/containers/%s/logs" % container["Id"])] = (200, b"")
    server = FakeDocker(os.path.join(short_tmp, "docker.sock"), routes)
    try:
        info, dummy = calico_node_state(FakeRun(), docker_socket=server.path)
    finally:
        server.close()
    assert info["deployment"] == "kubernetes" and info["env"]["IP_AUTODETECTION_METHOD"] == "first-found"


def make_proc(root, pid, argv, env, cgroup, comm="calico-node", stdout=None):
    base = root / str(pid)
    (base / "fd").mkdir(parents=True)
    (base / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (base / "comm").write_text(comm + "\n")
    (base / "environ").write_bytes(b"\0".join(("%s=%s" % kv).encode() for kv in env.items()) + b"\0")
    (base / "cgroup").write_text(cgroup)
    (base / "status").write_text("Name:\t%s\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n" % comm)
    if stdout:
        os.symlink(stdout, str(base / "fd" / "1"))


def test_plain_process_reads_its_log_file(no_calico_env):
    proc = no_calico_env / "proc"
    log = no_calico_env / "calico-node.log"
    log.write_text(fixture_text("calico_node", "seed_ai_outage.log"))
    make_proc(proc, 4242, ["/usr/bin/python3", "-u", "/calico-node-lab/calico-node"],
              {"IP": "autodetect", "NODENAME": "ai", "CALICO_VERSION": "v3.24.5"}, "0::/\n", stdout=str(log))
    make_proc(proc, 4300, ["/usr/bin/python3", "-u", "/calico-node-lab/calico-node"], {}, "0::/\n")
    make_proc(proc, 99, ["journalctl", "-u", "calico-node"], {}, "0::/\n", comm="journalctl")
    (proc / "self").mkdir()
    info, warnings = calico_node_state(FakeRun(), docker_socket=str(no_calico_env / "none.sock"), proc_root=str(proc))
    assert warnings == []
    assert (info["deployment"], info["running"], info["calico_version"], info["container_id"]) == ("process", True, "v3.24.5", None)
    assert info["detected_interface"] == "br-cddff8a3b81c"


def test_systemd_unit_uses_journal(no_calico_env):
    proc = no_calico_env / "proc"
    make_proc(proc, 800, ["/usr/local/bin/calico-node", "-felix"], {"IP": "", "NODENAME": "ai"},
              "0::/system.slice/calico-node.service\n", comm="calico-node")
    run = FakeRun({("journalctl", "-u", "calico-node", "-n", "50", "-o", "cat", "--no-pager"):
                   (0, fixture_text("calico_node", "seed_ai_fixed.log"), "")})
    info, warnings = calico_node_state(run, docker_socket=str(no_calico_env / "none.sock"), log_lines=50, proc_root=str(proc))
    assert info["deployment"] == "systemd" and info["detected_interface"] == "eno1" and warnings == []


def test_kubernetes_pod_process_reads_cri_log(no_calico_env):
    proc = no_calico_env / "proc"
    logs = no_calico_env / "containers"
    logs.mkdir()
    (logs / "calico-node-26655_kube-system_calico-node-6c1e2a70.log").write_text(
        fixture_text("calico_node", "cri_calico-node-26655_kube-system_calico-node-6c1e2a70.log"))
    make_proc(proc, 77, ["calico-node", "-felix"], {"HOSTNAME": "calico-node-26655", "IP": "autodetect"},
              "0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-" + "c" * 64 + ".scope\n")
    info, warnings = calico_node_state(FakeRun(), docker_socket=str(no_calico_env / "none.sock"), proc_root=str(proc))
    assert (info["deployment"], info["container_id"]) == ("kubernetes", "c" * 64)
    assert info["detected_address"] == "172.19.0.1/16" and warnings == []


def test_nothing_found(no_calico_env):
    (no_calico_env / "proc").mkdir()
    info, warnings = calico_node_state(FakeRun(), docker_socket=str(no_calico_env / "none.sock"),
                                       proc_root=str(no_calico_env / "proc"))
    assert info["deployment"] == "none" and info["running"] is False and info["reason"]
    assert set(info) == {"deployment", "running", "reason", "container_id", "image", "calico_version", "env",
                         "autodetection_method", "log_evidence", "detected_address", "detected_interface", "exit_reason",
                         "process"}


def test_tail_file(tmp_path):
    path = tmp_path / "big.log"
    path.write_text("".join("line %d\n" % i for i in range(100000)))
    assert cn.tail_file(str(path), 3) == "line 99997\nline 99998\nline 99999\n"
    assert cn.tail_file(fixture_path("calico_node", "seed_ai_fixed.log"), 1) == "Calico node started successfully\n"


def test_processes_of_other_network_namespaces_are_ignored(tmp_path):
    proc = tmp_path / "proc"
    make_proc(proc, 10, ["calico-node", "-felix"], {}, "0::/\n")
    make_proc(proc, 20, ["calico-node", "-felix"], {}, "0::/\n")
    (proc / "self" / "ns").mkdir(parents=True)
    for pid, netns in ((10, "net:[4026532999]"), (20, "net:[4026531840]"), ("self", "net:[4026531840]")):
        (proc / str(pid) / "ns").mkdir(exist_ok=True)
        os.symlink(netns, str(proc / str(pid) / "ns" / "net"))
    assert cn.find_calico_process(str(proc)) == (20, ["calico-node", "-felix"])


# ------------------------------------------------------------------ the address monitor
def test_monitor_log_tells_the_written_move_from_the_failed_one():
    evidence = parse_log_evidence(fixture_text("calico_node", "monitor-addresses_current.log"))
    got = [(e["kind"], e["time"][11:], e["address"], e["written"]) for e in evidence]
    assert got == [
        ("autodetected", "14:34:27.975", "192.168.1.188/24", None),
        ("autodetected", "14:34:32.978", "172.19.0.1/16", True),
        ("address_changed", "14:34:32.982", "172.19.0.1", None),
        ("node_updated", "14:34:32.986", None, None),
        ("autodetected", "14:34:37.989", "192.168.1.188/24", False),
        ("address_changed", "14:34:37.991", "192.168.1.188", None),
        ("update_failed", "14:34:37.993", None, None),
        ("update_failed", "14:34:37.995", None, None),
        ("update_failed", "14:34:37.996", None, None),
    ]  # the two later eno1 polls repeat an unwritten detection: dropped
    assert {e["component"] for e in evidence} == {"monitor-addresses"}
    assert evidence[-1]["error"] == "resource already exists: Node(ai)"
    # the node's address is the last one Calico kept: the bridge's, not the failed move back
    assert detected_ipv4(evidence) == ("172.19.0.1/16", "br-cde44ead9f36")


def test_a_start_up_detection_ends_an_unwritten_monitor_move():
    lines = fixture_text("calico_node", "monitor-addresses_current.log").splitlines() + [
        "2026-11-25 14:35:00.100 [INFO][9] startup/startup.go 564: Using autodetected IPv4 address on interface eno1: "
        "192.168.1.188/24",
        "2026-11-25 14:35:05.200 [INFO][31] monitor-addresses/autodetection_methods.go 103: Using autodetected IPv4 "
        "address on interface eno1: 192.168.1.188/24"]
    evidence = parse_log_evidence(lines)
    assert (evidence[-2]["component"], evidence[-1]["written"]) == ("startup", None)
    assert detected_ipv4(evidence) == ("192.168.1.188/24", "eno1")


def test_monitor_file_merges_into_the_container_log_by_time(tmp_path):
    (tmp_path / "monitor-addresses").mkdir()
    (tmp_path / "monitor-addresses" / "current").write_text(fixture_text("calico_node", "monitor-addresses_current.log"))
    container = {"Mounts": [{"Source": "/var/run/calico", "Destination": "/var/run/calico"},
                            {"Source": str(tmp_path), "Destination": "/var/log/calico"}]}
    warnings = []
    text = cn._monitor_log(container, 2000, warnings)
    assert warnings == [] and text.count("monitor-addresses/") == 13
    startup = ["2026-11-25 14:34:20.500 [INFO][9] startup/startup.go 564: Using autodetected IPv4 address on interface "
               "eno1: 192.168.1.188/24", "bird: Mesh_192_168_1_121: State changed to up",
               "2026-11-25 14:34:35.000 [INFO][9] startup/startup.go 1: later"]
    merged = merge_by_time(startup, parse_log_lines(text))
    assert merged[:3] == startup[:2] + [parse_log_lines(text)[0]]
    assert merged.index(startup[2]) == 7  # after the monitor's 14:34:32 lines, before its 14:34:37 ones
    assert cn._monitor_log({"Mounts": [{"Source": str(tmp_path / "none"), "Destination": "/var/log/calico"}]},
                           10, warnings) is None
    assert cn._monitor_log({}, 10, warnings) is None and warnings == []
