"""What the lab tests share (one module; the fixtures that use it are in conftest.py):
paths and the seed topology's facts, running the lab CLI, Ansible and playbooks in the
controller namespace, reading a diagnosis report, looking at a host from outside it, and
comparing hosts before and after a run."""
import contextlib
import difflib
import json
import os
import re
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.path.join(REPO, "tests", "lab")
LAB = os.path.join(LAB_DIR, "lab")
SEED = os.path.join(LAB_DIR, "topologies", "seed.yml")
IN_USE = os.path.join(LAB_DIR, "topologies", "seed-in-use.yml")
LAB_STATE = os.path.join(REPO, ".lab")
INVENTORY = os.path.join(LAB_STATE, "inventory.yml")

# The seed topology (tests/lab/topologies/seed.yml): host -> LAN address, host -> block.
SEED_HOSTS = {"master": "192.168.1.196", "ai": "192.168.1.188", "hp": "192.168.1.172", "ml": "192.168.1.121"}
BLOCKS = {"master": "172.16.0.0/24", "ai": "172.16.2.0/24", "hp": "172.16.3.0/24", "ml": "172.16.1.0/24"}
AI_IP = SEED_HOSTS["ai"]
STRAY_BRIDGE_RE = re.compile(r"br-[0-9a-f]{12}")

# What diagnose reports on the healthy seed lab, as labtools.signature / cause_signature
# give it: ai's gerrit_default bridge is a latent risk (first-found would take it at the
# next start) and a stray bridge; nothing else.
HEALTHY_FINDINGS = [("AUTODETECTION_RISK", "warning", "ai"), ("STRAY_DOCKER_BRIDGE", "info", "ai")]
HEALTHY_CAUSES = [("AUTODETECTION_RISK", "ai")]

# For runs with a stopped sshd: no SSH connection is shared with earlier runs.
NO_CONNECTION_SHARING = "ansible_ssh_args='-o ControlMaster=no -o ControlPath=none'"


# ------------------------------------------------------------------ the lab CLI, Ansible
def run_lab(*args, timeout=300):
    """Run the lab CLI; returns CompletedProcess (never raises on a non-zero exit)."""
    return subprocess.run([LAB] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, check=False)


def run_lab_shell(cmd, timeout=300):
    """Run CMD (a list) in the controller namespace through `lab shell --`."""
    return run_lab("shell", "--", *cmd, timeout=timeout)


def run_ansible(pattern, module, args=None, *extra, timeout=300):
    cmd = ["ansible", pattern, "-i", INVENTORY, "-m", module]
    if args is not None:
        cmd += ["-a", args]
    return run_lab_shell(cmd + list(extra), timeout=timeout)


def playbook(lab_shell, name, *extra, timeout=900):
    """Run playbooks/NAME.yml on the lab inventory from the controller namespace; the
    result has .output (stdout + stderr)."""
    cmd = ["ansible-playbook", "-i", INVENTORY, os.path.join(REPO, "playbooks", name + ".yml")] + list(extra)
    proc = lab_shell(cmd, timeout=timeout)
    proc.output = proc.stdout + proc.stderr
    return proc


def recap(output):
    """{host: {ok: n, changed: n, ...}} from the last PLAY RECAP of a run."""
    text = output.rsplit("PLAY RECAP", 1)[-1]
    out = {}
    for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", text, re.M):
        out[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return out


def per_host(output):
    """Split `ansible` default-callback output into {host: text}."""
    hosts, current = {}, None
    for line in output.splitlines():
        match = re.match(r"^(\S+) \| (CHANGED|SUCCESS|FAILED|UNREACHABLE)", line)
        if match:
            current = match.group(1)
            hosts[current] = line + "\n"
        elif current:
            hosts[current] += line + "\n"
    return hosts


def adhoc(ansible, host, module, args, check=False, diff=False):
    """Run one module ad hoc on HOST (with `ansible` printing JSON results); -> (status,
    result dict). STATUS: CHANGED, SUCCESS, FAILED!, UNREACHABLE!"""
    extra = (["--check"] if check else []) + (["--diff"] if diff else [])
    proc = ansible(host, module, args, *extra)
    out = proc.stdout
    match = re.search(r"^%s \| (CHANGED|SUCCESS|FAILED!|UNREACHABLE!) => " % re.escape(host), out, re.M)
    assert match, "no result for %s in:\n%s%s" % (host, out, proc.stderr)
    result, _end = json.JSONDecoder().raw_decode(out[match.end():].lstrip())
    return match.group(1), result


def sh(ansible, host, command):
    """COMMAND's output on HOST through ansible.builtin.command."""
    proc = ansible(host, "ansible.builtin.command", command)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split(">>", 1)[1].strip() if ">>" in proc.stdout else proc.stdout


def inspect(ansible, host, *args):
    """`docker inspect ARGS` as JSON (Go templates would clash with Jinja's braces)."""
    return json.loads(sh(ansible, host, "docker " + " ".join(args)))[0]


# ------------------------------------------------------------------ reports
def load_report(report_dir):
    with open(os.path.join(report_dir, "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


def findings(report, code=None, node=None):
    return [f for f in report["findings"]
            if (code is None or f["code"] == code) and (node is None or f["node"] == node)]


def signature(report):
    """What a diagnosis found, independent of timing: (code, severity, node) of every finding."""
    return sorted({(f["code"], f["severity"], f["node"] or "") for f in report["findings"]})


def cause_signature(report):
    """(code, node) of every root cause."""
    return sorted({(c["code"], c["node"] or "") for c in report["root_causes"]})


# ------------------------------------------------------------------ hosts seen from outside
def on_host(host, *argv):
    """Run ARGV in lab host HOST's network namespace (read-only looks: ip, etcdctl)."""
    proc = subprocess.run(["ip", "netns", "exec", "md-" + host] + list(argv), capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def docker_on(host, *args):
    """The Docker CLI against lab host HOST's engine."""
    proc = subprocess.run(_docker(host) + list(args), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _docker(host):
    return ["docker", "-H", "unix://" + os.path.join(LAB_STATE, "hosts", host, "run", "docker.sock")]


def bridges(host):
    return on_host(host, "ip", "-o", "link", "show", "type", "bridge")


def _run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    return "$ %s (exit %d)\n%s%s" % (" ".join(cmd[-4:]), proc.returncode, proc.stdout, proc.stderr)


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        return "unreadable: %s" % exc.strerror


def calico_env(host):
    """HOST's /etc/calico/calico.env ("" when there is none)."""
    text = _read(os.path.join(LAB_STATE, "hosts", host, "etc-calico", "calico.env"))
    return "" if text.startswith("unreadable: ") else text


def _wait_for_ipv6_dad(netns, timeout=15):
    """Wait until the kernel has finished IPv6 duplicate address detection on every link of
    the host: a new bridge or veth (e.g. `lab compose ... --containers 1`) carries `tentative`
    link-local addresses for a second or two, and their local routes appear only after it, a
    kernel change that nothing of ours makes."""
    deadline = time.time() + timeout
    while '"tentative":true' in _run(netns + ["ip", "-json", "addr"]) and time.time() < deadline:
        time.sleep(0.2)


def snapshot(hosts=tuple(SEED_HOSTS)):
    """{host: text} of every host's addresses, links, routes, Docker networks and containers,
    calico-node's start time, bird.cfg and calico.env. Read from outside the hosts (their
    network namespaces and the lab's per-host directories), whatever state their sshd is in."""
    out = {}
    for host in hosts:
        netns = ["ip", "netns", "exec", "md-" + host]
        _wait_for_ipv6_dad(netns)
        etc = os.path.join(LAB_STATE, "hosts", host, "etc-calico")
        parts = [
            _run(netns + ["ip", "-json", "addr"]),
            _run(netns + ["ip", "-json", "link"]),
            _run(netns + ["ip", "-json", "route", "show", "table", "all"]),
            _run(_docker(host) + ["network", "ls", "--format", "{{.ID}} {{.Name}} {{.Driver}}"]),
            _run(_docker(host) + ["ps", "-a", "--format", "{{.Names}} {{.State}}"]),
            _run(_docker(host) + ["inspect", "-f", "{{.State.StartedAt}}", "calico-node"]),
            "bird.cfg:\n" + _read(os.path.join(etc, "confd", "config", "bird.cfg")),
            "calico.env:\n" + _read(os.path.join(etc, "calico.env")),
        ]
        out[host] = "\n".join(parts)
    return out


def assert_unchanged(before, after):
    """Diagnose (or a refused repair) must leave every host as it was."""
    assert set(before) == set(after)
    for host in before:
        diff = "\n".join(difflib.unified_diff(before[host].splitlines(), after[host].splitlines(),
                                              "before", "after", lineterm=""))
        assert after[host] == before[host], "host %s changed:\n%s" % (host, diff)


# ------------------------------------------------------------------ the seed-in-use lab
@contextlib.contextmanager
def seed_in_use(seed_lab, *then):
    """The seed-in-use lab (a container on ai's gerrit_default) after `lab THEN...` (e.g. `outage
    ai`), in place of the session's seed lab (one lab at a time); taken down after the body, and
    the seed lab is rebuilt by the next test that needs it."""
    seed_lab.down()
    seed_lab.mark_dirty()
    try:
        proc = run_lab("up", IN_USE, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = run_lab(*then, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield seed_lab
    finally:
        run_lab("down", timeout=600)
        seed_lab.state = "down"
        seed_lab.mark_dirty()


def seed_in_use_outage(seed_lab):
    """seed_in_use() after `lab outage ai`."""
    return seed_in_use(seed_lab, "outage", "ai")
