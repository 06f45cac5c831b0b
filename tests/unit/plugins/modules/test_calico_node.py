import json
import os
import shutil
import sys
import tempfile

import pytest

from ansible_collections.meshdoctor.calico.plugins.modules import calico_node

from fake_bird import FakeBird
from fake_docker import FakeDocker, container
from fake_kubectl import calls, install
from run_module import run_module

FAST = {"poll_interval": 0.02}


def run(monkeypatch, args, check=False, diff=False):
    return run_module(monkeypatch, calico_node.main, dict(FAST, **args), check_mode=check, diff=diff)


# ------------------------------------------------------------------ kubectl
POD_RULES = {
    "lookup": ["get", "pods", "-l", "k8s-app=calico-node", "--field-selector", "spec.nodeName=ai"],
    "delete": ["delete", "pod", "calico-node-7xkqz"],
}


def kubectl_scenario(tmp_path, lookups, delete_rc=0):
    return install(tmp_path, [
        {"match": POD_RULES["delete"], "replies": [{"file": "delete_pod_calico-node-7xkqz.txt", "rc": delete_rc}]},
        {"match": POD_RULES["lookup"], "replies": [{"file": f} for f in lookups]},
    ])


def kube_args(prog, **extra):
    args = {"method": "kubectl", "kubectl": prog, "node_name": "ai", "kubeconfig": "/etc/kubernetes/admin.conf", "timeout": 5}
    args.update(extra)
    return args


def test_kubectl_restart_waits_for_new_ready_pod(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_before.json", "get_pods_ai_terminating.json", "get_pods_ai_empty.json",
                                       "get_pods_ai_new_notready.json", "get_pods_ai_new_notready.json", "get_pods_ai_new_ready.json"])
    result = run(monkeypatch, kube_args(prog), diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["restarted"] and result["method"] == "kubectl" and result["converged"]
    assert result["pod"] == {"node": "ai", "namespace": "kube-system", "deleted": "calico-node-7xkqz", "deleted_uid": "3d1c0b9e-5f1a-4c7e-9a52-1f0c8b7d6e21",
                             "new": "calico-node-m4p9d", "ready": True}
    assert result["restart_s"] >= 0 and result["elapsed_s"] == result["restart_s"]
    assert result["diff"] == {"before": {"pod": "calico-node-7xkqz"}, "after": {"pod": "calico-node-m4p9d"}}
    seen = [c[4:] for c in calls(tmp_path)]  # without --kubeconfig X --request-timeout Y
    assert calls(tmp_path)[0][:4] == ["--kubeconfig", "/etc/kubernetes/admin.conf", "--request-timeout", "30s"]
    # Not told the namespace: calico-system (tigera-operator) is looked at first, then kube-system.
    assert seen[0] == ["get", "pods", "-n", "calico-system", "-l", "k8s-app=calico-node", "--field-selector", "spec.nodeName=ai",
                       "-o", "json"]
    assert seen[1] == ["get", "pods", "-n", "kube-system", "-l", "k8s-app=calico-node", "--field-selector", "spec.nodeName=ai",
                       "-o", "json"]
    assert seen[2] == ["delete", "pod", "-n", "kube-system", "calico-node-7xkqz", "--wait=false"]
    assert len(seen) == 8 and all(c[0] == "get" and "kube-system" in c for c in seen[3:])


def test_kubectl_check_mode_deletes_nothing(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_before.json"])
    result = run(monkeypatch, kube_args(prog), check=True)
    assert result["changed"] and not result["restarted"] and result["pod"]["deleted"] == "calico-node-7xkqz"
    assert [c[4] for c in calls(tmp_path)] == ["get", "get"]


def test_kubectl_timeout_reports_crashloop(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_before.json", "get_pods_ai_new_crashloop.json"])
    result = run(monkeypatch, kube_args(prog, timeout=1))
    assert result["failed"] and result["changed"] and result["restarted"]
    assert result["msg"].startswith("deleted pod kube-system/calico-node-7xkqz, but after 1s no new calico-node pod on ai is Ready")
    assert "calico-node-m4p9d (Running, not ready, container calico-node waiting CrashLoopBackOff" in result["msg"]
    assert result["pod"]["new"] == "calico-node-m4p9d" and result["pod"]["ready"] is False


def test_kubectl_timeout_without_replacement(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_before.json", "get_pods_ai_terminating.json", "get_pods_ai_empty.json"])
    result = run(monkeypatch, kube_args(prog, timeout=1))
    assert result["failed"] and "no new pod was created" in result["msg"]


def test_kubectl_no_wait(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_before.json"])
    result = run(monkeypatch, kube_args(prog, wait=False))
    assert result["changed"] and result["restarted"] and result["pod"]["new"] is None
    assert [c[4] for c in calls(tmp_path)] == ["get", "get", "delete"]


def test_kubectl_no_pod_on_node(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_empty.json"])
    result = run(monkeypatch, kube_args(prog))
    assert result["failed"] and not result["changed"]
    assert result["msg"] == ("no calico-node pod on node ai (`kubectl get pods -n calico-system and -n kube-system "
                             "-l k8s-app=calico-node --field-selector spec.nodeName=ai` found none)")
    named = run(monkeypatch, kube_args(prog, namespace="kube-system"))
    assert "`kubectl get pods -n kube-system -l" in named["msg"]


def test_kubectl_operator_namespace(monkeypatch, tmp_path):
    """tigera-operator: the pods are in calico-system; the one lookup there finds them."""
    prog = install(tmp_path, [
        {"match": POD_RULES["delete"], "replies": [{"file": "delete_pod_calico-node-7xkqz.txt"}]},
        {"match": POD_RULES["lookup"], "replies": [{"file": "get_pods_ai_before.json"}]},
    ], namespace="calico-system")
    result = run(monkeypatch, kube_args(prog), check=True)
    assert result["pod"]["namespace"] == "calico-system"
    assert [c[4:7] for c in calls(tmp_path)] == [["get", "pods", "-n"]]
    assert calls(tmp_path)[0][7] == "calico-system"


def test_kubectl_refuses_two_pods(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_two.json"])
    result = run(monkeypatch, kube_args(prog))
    assert result["failed"] and "refusing to guess: 2 calico-node pods on node ai" in result["msg"]
    assert [c[4] for c in calls(tmp_path)] == ["get", "get"]


def test_kubectl_lookup_error(monkeypatch, tmp_path):
    prog = install(tmp_path, [{"match": ["get", "pods"], "replies": [{"rc": 1, "stderr": "get_pods_forbidden.txt"}]}])
    result = run(monkeypatch, kube_args(prog))
    assert result["failed"] and "looking up the calico-node pod of node ai failed" in result["msg"]
    assert "cannot list resource \"pods\"" in result["msg"]


def test_kubectl_delete_error(monkeypatch, tmp_path):
    prog = kubectl_scenario(tmp_path, ["get_pods_ai_before.json"], delete_rc=1)
    result = run(monkeypatch, kube_args(prog))
    assert result["failed"] and result["msg"].startswith("deleting pod kube-system/calico-node-7xkqz failed")


def test_kubectl_needs_node_name(monkeypatch, tmp_path):
    result = run(monkeypatch, {"method": "kubectl"})
    assert result["failed"] and "node_name" in result["msg"]


# ------------------------------------------------------------------ docker / systemd / converged
@pytest.fixture
def sockets(monkeypatch, tmp_path):
    d = tempfile.mkdtemp(prefix="mdc", dir="/tmp")
    state = {"dir": d, "docker": os.path.join(d, "docker.sock"), "bird": os.path.join(d, "bird.ctl"), "servers": [],
             "bin": str(tmp_path / "bin")}
    os.makedirs(state["bin"])
    monkeypatch.setenv("PATH", "%s:%s" % (state["bin"], os.environ.get("PATH", "")))
    yield state
    for server in state["servers"]:
        server.close()
    shutil.rmtree(d, ignore_errors=True)


def fake_systemctl(state, load_state="loaded", restart_rc=0):
    prog = os.path.join(state["bin"], "systemctl")
    with open(prog, "w") as handle:
        handle.write("#!%s\nimport json, os, sys\n" % sys.executable)
        handle.write("open(os.path.join(os.path.dirname(__file__), 'systemctl.jsonl'), 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
        handle.write("if sys.argv[1] == 'show':\n    print(%r)\n    sys.exit(0)\n" % load_state)
        handle.write("if sys.argv[1] == 'restart':\n    sys.stderr.write('Job for calico-node.service failed.\\n') if %d else None\n"
                     "    sys.exit(%d)\n" % (restart_rc, restart_rc))
    os.chmod(prog, 0o755)
    return os.path.join(state["bin"], "systemctl.jsonl")


def serve(state, docker=True, bird_nodes=("a", "b"), switch_after=2):
    if docker:
        fake = FakeDocker(state["docker"], containers=[container("calico-node")])
        state["servers"].append(fake)
        state["fake_docker"] = fake
    if bird_nodes:
        state["servers"].append(FakeBird.recorded(state["bird"], bird_nodes, switch_after))


def local_args(socks, **extra):
    args = {"docker_socket": socks["docker"], "bird_socket": socks["bird"], "timeout": 5}
    args.update(extra)
    return args


def test_docker_restart_waits_for_established(monkeypatch, sockets):
    serve(sockets)  # BIRD of node a (one peer Established, two Active) for 2 connections, then node b
    result = run(monkeypatch, local_args(sockets, method="docker", expected_router_id="10.99.0.2"), diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["restarted"] and result["method"] == "docker" and result["converged"]
    assert result["router_id_before"] == "10.99.0.1" and result["router_id"] == "10.99.0.2"
    assert [(s["name"], s["bgp_state"]) for s in result["sessions"]] == [("Mesh_10_99_0_1", "Established"),
                                                                         ("Mesh_10_99_0_3", "Established")]
    assert result["elapsed_s"] >= result["restart_s"] >= 0
    assert result["container"]["started_before"] != result["container"]["started_after"]
    assert result["diff"]["before"]["router_id"] == "10.99.0.1" and result["diff"]["after"]["router_id"] == "10.99.0.2"
    restarts = [r for r in sockets["fake_docker"].requests if r[0] == "POST"]
    assert restarts == [("POST", "/containers/calico-node/restart?t=10", None)]


def test_docker_check_mode_restarts_nothing(monkeypatch, sockets):
    serve(sockets)
    result = run(monkeypatch, local_args(sockets), check=True)
    assert result["changed"] and not result["restarted"] and result["method"] == "docker"
    assert not [r for r in sockets["fake_docker"].requests if r[0] == "POST"]


def test_docker_timeout_lists_sessions_not_established(monkeypatch, sockets):
    serve(sockets, bird_nodes=("a",))
    result = run(monkeypatch, local_args(sockets, method="docker", timeout=1))
    assert result["failed"] and result["changed"] and result["restarted"]
    assert result["msg"].startswith("restarted calico-node (docker), but after 1s the mesh is not converged: not Established: ")
    assert "Mesh_10_99_0_3 (10.99.0.3): Active, Socket: Connection reset by peer" in result["msg"]
    assert "Mesh_10_99_0_9 (10.99.0.9): Active, Socket: No route to host" in result["msg"]
    assert "(router id 10.99.0.1)" in result["msg"]
    assert [s["bgp_state"] for s in result["sessions"]] == ["Established", "Active", "Active"]


def test_docker_missing_container(monkeypatch, sockets):
    serve(sockets, docker=False, bird_nodes=None)
    result = run(monkeypatch, local_args(sockets, method="docker"))
    assert result["failed"] and result["msg"] == "method=docker: cannot restart container 'calico-node': no socket at %s" % sockets["docker"]


def test_auto_finds_nothing_and_says_what_it_looked_for(monkeypatch, sockets):
    fake_systemctl(sockets, load_state="not-found")
    result = run(monkeypatch, local_args(sockets))
    assert result["failed"]
    assert "method=auto found no calico-node to restart: Docker container 'calico-node' (no socket at" in result["msg"]
    assert "systemd unit 'calico-node' (`systemctl show --property=LoadState calico-node` said not-found)" in result["msg"]
    assert "method=kubectl" in result["msg"]


def test_auto_takes_systemd_and_restarts(monkeypatch, sockets):
    log = fake_systemctl(sockets)
    serve(sockets, docker=False, bird_nodes=("b",))
    result = run(monkeypatch, local_args(sockets, expected_peers=["10.99.0.1", "10.99.0.3"]))
    assert not result.get("failed"), result.get("msg")
    assert result["method"] == "systemd" and result["unit"] == "calico-node" and result["restarted"] and result["converged"]
    with open(log) as handle:
        assert [json.loads(l)[0] for l in handle] == ["show", "restart"]


def test_systemd_restart_failure(monkeypatch, sockets):
    fake_systemctl(sockets, restart_rc=1)
    result = run(monkeypatch, local_args(sockets, method="systemd"))
    assert result["failed"] and "restart -- calico-node` failed (exit 1): Job for calico-node.service failed." in result["msg"]


def test_converged_only_reads(monkeypatch, sockets):
    serve(sockets, docker=False, bird_nodes=("a", "b"), switch_after=1)
    result = run(monkeypatch, local_args(sockets, state="converged"))
    assert not result.get("failed") and not result["changed"] and result["converged"] and result["method"] is None
    assert result["router_id"] == "10.99.0.2" and result["elapsed_s"] >= 0


def test_converged_check_mode_reports_without_failing(monkeypatch, sockets):
    serve(sockets, docker=False, bird_nodes=("a",))
    result = run(monkeypatch, local_args(sockets, state="converged"), check=True)
    assert not result.get("failed") and not result["converged"] and "Mesh_10_99_0_3" in result["reason"]


def test_converged_without_bird_times_out(monkeypatch, sockets):
    result = run(monkeypatch, local_args(sockets, state="converged", timeout=1))
    assert result["failed"] and not result["changed"]
    assert "BIRD does not answer on %s" % sockets["bird"] in result["msg"]


# ------------------------------------------------------------------ converged: routes too
NO_BLOCK = '[{"dst":"10.98.3.0/24","gateway":"10.99.0.3","dev":"eth0","protocol":"bird","flags":[]}]'
BOTH_BLOCKS = ('[{"dst":"10.98.1.0/24","gateway":"10.99.0.1","dev":"eth0","protocol":"bird","flags":[]},'
               '{"dst":"10.98.3.0/24","gateway":"10.99.0.3","dev":"eth0","protocol":"bird","flags":[]}]')
ROUTES = [{"dst": "10.98.1.0/24", "via": ["10.99.0.1"]}, {"dst": "10.98.3.0/24", "via": ["10.99.0.3"]}]


def fake_ip(state, *answers):
    """An `ip` program that prints ANSWERS[k] on its k-th run (the last one from then on)."""
    prog = os.path.join(state["bin"], "ip")
    with open(prog, "w") as handle:
        handle.write("#!%s\nimport os, sys\n" % sys.executable)
        handle.write("count = os.path.join(os.path.dirname(__file__), 'ip.count')\n")
        handle.write("n = int(open(count).read()) if os.path.exists(count) else 0\n")
        handle.write("open(count, 'w').write(str(n + 1))\n")
        handle.write("answers = %r\nprint(answers[min(n, len(answers) - 1)])\n" % (list(answers),))
    os.chmod(prog, 0o755)
    return os.path.join(state["bin"], "ip.count")


def test_converged_waits_for_the_routes_after_the_sessions(monkeypatch, sockets):
    """Sessions Established on the first look, the route to 10.98.1.0/24 only on the third."""
    serve(sockets, docker=False, bird_nodes=("b",))
    count = fake_ip(sockets, NO_BLOCK, NO_BLOCK, BOTH_BLOCKS)
    result = run(monkeypatch, local_args(sockets, state="converged", expected_routes=ROUTES))
    assert not result.get("failed"), result.get("msg")
    assert result["converged"] and result["routes_missing"] == [] and not result["changed"]
    with open(count) as handle:
        assert int(handle.read()) == 3


def test_converged_timeout_names_the_missing_route(monkeypatch, sockets):
    serve(sockets, docker=False, bird_nodes=("b",))
    fake_ip(sockets, NO_BLOCK)
    result = run(monkeypatch, local_args(sockets, state="converged", expected_routes=ROUTES, timeout=1))
    assert result["failed"] and not result["converged"]
    assert result["routes_missing"] == [{"dst": "10.98.1.0/24", "via": ["10.99.0.1"], "found": None}]
    assert "routes not in the kernel yet: 10.98.1.0/24 (wanted via 10.99.0.1, the kernel has none)" in result["msg"]


def test_converged_check_mode_reports_unreadable_routes_once(monkeypatch, sockets):
    serve(sockets, docker=False, bird_nodes=("b",))
    count = fake_ip(sockets, "Error: ipv4: FIB table does not exist.")
    result = run(monkeypatch, local_args(sockets, state="converged", expected_routes=ROUTES[:1]), check=True)
    assert not result.get("failed") and not result["converged"]
    (gap,) = result["routes_missing"]
    assert gap["dst"] == "10.98.1.0/24" and gap["found"].startswith("unreadable: `ip -json route` printed text")
    assert "routes not in the kernel yet: 10.98.1.0/24" in result["reason"]
    with open(count) as handle:
        assert int(handle.read()) == 1


def test_bad_expected_routes_are_refused_before_anything(monkeypatch, sockets):
    bad = [{"dst": "10.98.1.0/33", "via": ["10.99.0.1"]}, {"dst": "10.98.3.0/24", "via": ["gateway-3"]}]
    result = run(monkeypatch, local_args(sockets, state="converged", expected_routes=bad))
    assert result["failed"]
    assert result["msg"] == ("expected_routes: entry 0: dst '10.98.1.0/33' is not a CIDR; "
                             "entry 1 (10.98.3.0/24): gateway 'gateway-3' is not an IP address")
