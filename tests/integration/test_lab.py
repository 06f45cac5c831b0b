"""The lab itself: topology validation (quick), a healthy seed mesh reached through Ansible,
the seed outage reproduced by `lab outage ai`, faults, and a clean `lab down`."""
import json
import os
import re
import subprocess
import sys

import pytest

from labtools import LAB_DIR, REPO, SEED_HOSTS, per_host

sys.path.insert(0, LAB_DIR)

import procfs  # noqa: E402
import topology  # noqa: E402

BIRDC = "birdc -s /var/run/calico/bird.ctl"


def seed_dict():
    import yaml
    with open(os.path.join(LAB_DIR, "topologies", "seed.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ------------------------------------------------------------------ quick: validation
@pytest.mark.parametrize("path", ["seed.yml", "seed-in-use.yml", "scale-24.yml", "compose-flip.yml"])
def test_shipped_topologies_are_valid(path):
    topo = topology.load(os.path.join(LAB_DIR, "topologies", path))
    assert topo["nodes"]
    if path != "scale-24.yml":
        assert [n["name"] for n in topo["nodes"]] == ["master", "ai", "hp", "ml"]
        assert topology.control_plane(topo)["name"] == "master"
        assert topo["controller_ip"] == "192.168.1.254"
    else:
        assert len(topo["nodes"]) == 24 and not any(n["docker"] for n in topo["nodes"])


def test_seed_in_use_differs_only_by_one_container():
    import yaml
    with open(os.path.join(LAB_DIR, "topologies", "seed-in-use.yml"), encoding="utf-8") as handle:
        in_use = yaml.safe_load(handle)
    seed = seed_dict()
    assert in_use["nodes"][1]["docker_networks"][0]["containers"] == 1
    in_use["nodes"][1]["docker_networks"][0]["containers"] = 0
    assert in_use == seed


def _mutate(change):
    data = seed_dict()
    change(data)
    return data


BAD = [
    ("unknown top key", lambda d: d.update(colour="red"), "unknown key(s) colour"),
    ("unknown node key", lambda d: d["nodes"][0].update(rack=3), "node master: unknown key(s) rack"),
    ("unknown network key", lambda d: d["nodes"][1]["docker_networks"][0].update(driver="x"), "unknown key(s) driver"),
    ("ip outside lan", lambda d: d["nodes"][2].update(ip="10.0.0.5"), "node hp: ip 10.0.0.5 is not a host address in lan 192.168.1.0/24"),
    ("overlapping blocks", lambda d: d["nodes"][3].update(block="172.16.0.0/23"), "node ml: block 172.16.0.0/23 overlaps block 172.16.0.0/24 of node master"),
    ("block outside pool", lambda d: d["nodes"][3].update(block="10.1.0.0/24"), "node ml: block 10.1.0.0/24 is outside pool 172.16.0.0/16"),
    ("duplicate name", lambda d: d["nodes"][3].update(name="hp"), "node hp: duplicate node name"),
    ("duplicate ip", lambda d: d["nodes"][3].update(ip="192.168.1.172"), "node ml: duplicate ip 192.168.1.172"),
    ("bad version", lambda d: d.update(calico_version="3.24"), "calico_version: '3.24' is not a release like v3.24.5"),
    ("uplink net", lambda d: d.update(lan="192.0.2.0/24"), "192.0.2.0/24 is this machine's uplink"),
    ("two control planes", lambda d: d["nodes"][1].update(control_plane=True), "only one node may have control_plane: true"),
    ("bad method", lambda d: d["nodes"][1].update(autodetection="guess"), "autodetection 'guess' is not a method"),
    ("networks without docker", lambda d: d["nodes"][1].update(docker=False), "docker_networks need docker: true"),
    ("bad bool", lambda d: d["nodes"][1].update(calico="yes"), "node ai: calico: expected true or false"),
    ("missing key", lambda d: d.pop("pool"), "missing required key pool"),
    ("poll interval as text", lambda d: d.update(autodetect_poll_interval="5s"),
     "autodetect_poll_interval: '5s' is not a whole number of seconds (1-3600)"),
    ("zero poll interval", lambda d: d.update(autodetect_poll_interval=0), "autodetect_poll_interval: 0 is not"),
    ("bad ip_env", lambda d: d["nodes"][1].update(ip_env="auto"),
     "node ai: ip_env 'auto' must be autodetect, unset or an IPv4 address"),
]


@pytest.mark.parametrize("label,change,message", BAD, ids=[b[0] for b in BAD])
def test_bad_topology_is_refused(label, change, message):
    with pytest.raises(topology.TopologyError) as err:
        topology.validate(_mutate(change))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_refuses_bad_topology_before_creating_anything(tmp_path):
    import yaml
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(_mutate(lambda d: d["nodes"][2].update(ip="10.0.0.5"))))
    before = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    proc = subprocess.run([os.path.join(LAB_DIR, "lab"), "up", str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "lab: invalid topology: node hp: ip 10.0.0.5 is not a host address in lan 192.168.1.0/24"
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout == before


# ------------------------------------------------------------------ lab: healthy seed
@pytest.mark.lab
def test_up_reports_all_sessions_fast(healthy_seed_lab):
    out = getattr(healthy_seed_lab, "up_output", "")
    match = re.search(r"12/12 BGP sessions Established, every block routed, in ([\d.]+)s", out)
    if match:  # only when this session's up was the last one
        assert float(match.group(1)) < 90
    data = healthy_seed_lab.status()
    assert data["established"] == data["expected"] == 12
    assert data["route_gaps"] == []
    assert {h["name"]: h["ip"] for h in data["hosts"]} == SEED_HOSTS
    assert all(h["router_id"] == h["ip"] for h in data["hosts"])


@pytest.mark.lab
def test_inventory_is_generated(healthy_seed_lab, lab):
    import yaml
    proc = lab("inventory")
    assert proc.returncode == 0
    path = proc.stdout.strip()
    inv = yaml.safe_load(open(path, encoding="utf-8"))["all"]
    assert inv["vars"]["ansible_user"] == "root"
    assert inv["vars"]["ansible_python_interpreter"] == "/usr/bin/python3"
    assert os.path.exists(inv["vars"]["ansible_ssh_private_key_file"])
    assert inv["vars"]["meshdoctor_datastore"] == "etcdv3"
    assert inv["vars"]["meshdoctor_etcd_endpoints"] == ["http://192.168.1.196:2379"]
    assert {h: v["ansible_host"] for h, v in inv["hosts"].items()} == SEED_HOSTS
    assert set(inv["children"]["kube_control_plane"]["hosts"]) == {"master"}
    assert set(inv["children"]["etcd"]["hosts"]) == {"master"}
    assert set(inv["children"]["kube_node"]["hosts"]) == {"ai", "hp", "ml"}
    assert set(inv["children"]["k8s_cluster"]["children"]) == {"kube_control_plane", "kube_node"}


@pytest.mark.lab
def test_ansible_reaches_every_host_with_its_own_hostname(healthy_seed_lab, lab_shell, ansible):
    ping = lab_shell(["sh", "-c", "ansible all -i $MESHDOCTOR_LAB_INVENTORY -m ansible.builtin.ping"])
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("pong") == 4
    names = per_host(ansible("all", "ansible.builtin.command", "hostname").stdout)
    assert set(names) == set(SEED_HOSTS)
    for host, text in names.items():
        assert text.strip().splitlines()[-1] == host


@pytest.mark.lab
def test_each_host_sees_its_own_calico_and_docker(healthy_seed_lab, ansible):
    proc = ansible("all", "ansible.builtin.shell",
                   "docker ps --filter name=calico-node; docker network ls; "
                   "grep -o 'router id [0-9.]*' /etc/calico/confd/config/bird.cfg")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for host, text in per_host(proc.stdout).items():
        assert re.search(r"calico/node:v3\.15\.1 .* Up .* calico-node", text), text
        assert ("gerrit_default" in text) == (host == "ai")
        assert "router id %s" % SEED_HOSTS[host] in text


@pytest.mark.lab
def test_all_sessions_established_over_ssh(healthy_seed_lab, ansible):
    proc = ansible("all", "ansible.builtin.command", BIRDC + " show protocols")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = per_host(proc.stdout)
    assert set(out) == set(SEED_HOSTS)
    for host, text in out.items():
        mesh = [l for l in text.splitlines() if l.startswith("Mesh_")]
        peers = {l.split()[0][5:].replace("_", ".") for l in mesh}
        assert peers == set(SEED_HOSTS.values()) - {SEED_HOSTS[host]}, text
        assert all("Established" in l for l in mesh), text


@pytest.mark.lab
def test_routes_to_every_block(healthy_seed_lab, ansible):
    proc = ansible("ml", "ansible.builtin.command", "ip route show proto bird")
    text = proc.stdout
    for block, via in (("172.16.0.0/24", "192.168.1.196"), ("172.16.2.0/24", "192.168.1.188"),
                       ("172.16.3.0/24", "192.168.1.172")):
        assert "%s via %s" % (block, via) in text
    assert "blackhole 172.16.1.0/24" in text


@pytest.mark.lab
def test_fault_and_heal_calico_node(healthy_seed_lab):
    with healthy_seed_lab.faults(("ml", "calico-node")):
        data = healthy_seed_lab.status()
        ml = next(h for h in data["hosts"] if h["name"] == "ml")
        assert not ml["bird_running"] and not os.path.exists(ml["bird_socket"])
        assert data["established"] == 6 and ml["sessions"] == []  # 2 of 3 on each other host
    healthy_seed_lab.wait_converged(60)


@pytest.mark.lab
def test_pinned_method_in_calico_env_survives_reboot(healthy_seed_lab, lab, ansible):
    """calico.env wins over the container env: with the method pinned to the NIC, the
    reboot that breaks the seed leaves the mesh healthy (the remediation's end state)."""
    proc = ansible("ai", "ansible.builtin.copy",
                   "dest=/etc/calico/calico.env content='IP_AUTODETECTION_METHOD=interface=eno1\n'")
    assert proc.returncode == 0, proc.stdout
    try:
        out = lab("outage", "ai")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "detected 192.168.1.188/24" in out.stdout
        healthy_seed_lab.wait_converged(30)
        log = ansible("ai", "ansible.builtin.command", "docker logs calico-node").stdout
        assert "Using autodetected IPv4 address 192.168.1.188/24 on matching interface eno1" in log
    finally:
        ansible("ai", "ansible.builtin.file", "path=/etc/calico/calico.env state=absent")
        healthy_seed_lab.mark_dirty()


# ------------------------------------------------------------------ lab: the seed outage
@pytest.mark.lab
def test_outage_reproduces_the_seed(seed_lab_outage, ansible):
    assert "Docker recreated br-" in seed_lab_outage.outage_output
    status = ansible("ai", "ansible.builtin.command", BIRDC + " show status").stdout
    assert "Router ID is 172.19.0.1" in status

    protocols = per_host(ansible("all", "ansible.builtin.command", BIRDC + " show protocols").stdout)
    for host in ("master", "hp", "ml"):
        lines = protocols[host].splitlines()
        to_ai = [l for l in lines if l.startswith(("Mesh_172_19_0_1 ", "Mesh_192_168_1_188 "))]
        assert to_ai and not any("Established" in l for l in to_ai), protocols[host]
        others = [l for l in lines if l.startswith("Mesh_") and l not in to_ai]
        assert len(others) == 2 and all("Established" in l for l in others), protocols[host]
    assert "Established" not in protocols["ai"]

    routes = per_host(ansible("master:hp:ml", "ansible.builtin.command", "ip route show 172.16.2.0/24").stdout)
    assert set(routes) == {"master", "hp", "ml"}
    for host, text in routes.items():
        assert "172.16.2.0/24" not in text, text
    ai_routes = ansible("ai", "ansible.builtin.command", "ip route show proto bird").stdout
    assert "blackhole 172.16.2.0/24" in ai_routes and " via " not in ai_routes
    # `lab status` names the same gaps: ai's block on the three others, their blocks on ai.
    gaps = seed_lab_outage.status()["route_gaps"]
    assert sorted(g.split(":")[0] for g in gaps) == ["ai", "ai", "ai", "hp", "master", "ml"], gaps
    assert all("172.16.2.0/24" in g for g in gaps if not g.startswith("ai:")), gaps

    log = ansible("ai", "ansible.builtin.command", "docker logs calico-node").stdout
    assert re.search(r"\[INFO\]\[\d+\] startup/startup\.go 564: Using autodetected IPv4 address on interface br-[0-9a-f]{12}: 172\.19\.0\.1/16", log)
    assert ('IPv4 address has changed. This could happen if there are multiple nodes with the same name.'
            ' node="ai" original="192.168.1.188" updated="172.19.0.1"') in log


@pytest.mark.lab
def test_outage_is_visible_in_etcd(seed_lab_outage, ansible):
    proc = ansible("master", "ansible.builtin.command",
                   "etcdctl --endpoints http://127.0.0.1:2379 get /calico/resources/v3/projectcalico.org/nodes/ai --print-value-only")
    body = proc.stdout.split(">>", 1)[1].strip()
    node = json.loads(body)
    assert node["kind"] == "Node" and node["spec"]["bgp"]["ipv4Address"] == "172.19.0.1/16"
    aff = ansible("master", "ansible.builtin.command",
                  "etcdctl --endpoints http://127.0.0.1:2379 get --keys-only --prefix /calico/ipam/v2/host/ai/").stdout
    assert "/calico/ipam/v2/host/ai/ipv4/block/172.16.2.0-24" in aff


# ------------------------------------------------------------------ lab: down
def _lab_leftovers():
    names = {"md-switch", "md-ctl"} | {"md-" + n for n in SEED_HOSTS}
    netns = set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout.split())
    procs = []
    state = os.path.join(REPO, ".lab")
    for pid in procfs.pids():
        cmd = procfs.cmdline(pid)
        if (cmd.startswith("md-init-") or state + "/" in cmd) and procfs.alive(pid):
            procs.append(cmd.replace("\0", " "))
    return sorted(names & netns), procs, os.path.exists(state)


@pytest.mark.lab
@pytest.mark.lab_final
def test_down_leaves_nothing(seed_lab, lab):
    assert seed_lab.status()["hosts"]  # the lab is up before
    proc = lab("down")
    assert proc.returncode == 0, proc.stderr
    seed_lab.state = "down"
    assert _lab_leftovers() == ([], [], False)
    assert not os.path.exists("/etc/calico/.meshdoctor-lab-created")
    assert lab("down").returncode == 0  # idempotent
    assert lab("status").returncode == 1


@pytest.mark.lab
@pytest.mark.lab_final
def test_scale_24_light_hosts(seed_lab, lab, lab_shell):
    """24 hosts without Docker (calico-node as a plain process), for the benchmark."""
    seed_lab.down()  # one lab at a time: namespace names are global
    try:
        proc = lab("up", os.path.join(LAB_DIR, "topologies", "scale-24.yml"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        seconds = float(re.search(r"552/552 BGP sessions Established, every block routed, in ([\d.]+)s", proc.stdout).group(1))
        assert seconds < 90
        status = json.loads(lab("status", "--json").stdout)
        assert {h["deployment"] for h in status["hosts"]} == {"process"}
        out = lab_shell(["sh", "-c", "ansible all -i $MESHDOCTOR_LAB_INVENTORY -m ansible.builtin.command "
                                     "-a 'pgrep -c -x calico-node'"])
        assert out.returncode == 0, out.stdout + out.stderr
        counts = per_host(out.stdout)
        assert len(counts) == 24
        # calico-node and its address monitor (`calico-node -monitor-addresses`, v3.24.5 has it),
        # both this host's only: each host has its own PID namespace
        assert all(text.strip().splitlines()[-1] == "2" for text in counts.values())
    finally:
        assert lab("down").returncode == 0
    assert _lab_leftovers()[0] == [] and not os.path.exists(os.path.join(REPO, ".lab"))
