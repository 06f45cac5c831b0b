"""The part of the benchmark that runs inside the lab's controller namespace.

tests/bench/bench starts it through `tests/lab/lab shell -- .venv/bin/python
tests/bench/_inlab.py SUBCOMMAND ...`, so the timings below contain nothing of the lab CLI's
own start-up: only the ansible / ansible-playbook processes. Every subcommand writes one
JSON document to --out.

  compare      ping vs a playbook, interleaved (ABBA order), after one warm-up of each
  instrumented one playbook run with the meshdoctor_bench callback and a /proc RSS sampler
  playbook     one playbook run (timed), with the callback (remediate.yml)
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(REPO, ".venv", "bin")
PAGE = os.sysconf("SC_PAGE_SIZE")


def inventory():
    inv = os.environ.get("MESHDOCTOR_LAB_INVENTORY")
    if not inv:
        sys.exit("_inlab: MESHDOCTOR_LAB_INVENTORY is not set (run me through `lab shell`)")
    return inv


def play_hosts(playbook):
    """The host pattern(s) of the playbook's plays, joined as one pattern for `ansible`.

    Plays whose pattern is only the controller (localhost) are left out: ping runs on the
    hosts the playbook reaches over SSH.
    """
    try:
        with open(os.path.join(REPO, playbook), encoding="utf-8") as f:
            plays = yaml.safe_load(f) or []
    except (OSError, yaml.YAMLError):
        return "all"
    pats = []
    for play in plays if isinstance(plays, list) else []:
        if not isinstance(play, dict):
            continue
        if "import_playbook" in play:
            sub = play["import_playbook"]
            if "{{" not in str(sub):
                p = play_hosts(os.path.relpath(os.path.join(os.path.dirname(os.path.join(REPO, playbook)), sub), REPO))
                pats.extend(x for x in p.split(":") if x not in pats)
            continue
        h = play.get("hosts")
        if h is None:
            continue
        h = ":".join(h) if isinstance(h, list) else str(h)
        if "{{" in h:  # "{{ meshdoctor_hosts | default('k8s_cluster') }}": the default
            m = re.fullmatch(r"""\{\{\s*\w+\s*\|\s*default\(\s*['"]([^'"]+)['"]\s*\)\s*\}\}""", h.strip())
            if not m:
                return "all"
            h = m.group(1)
        for part in h.replace(",", ":").split(":"):
            part = part.strip()
            if part and part not in ("localhost", "127.0.0.1") and part not in pats:
                pats.append(part)
    return ":".join(pats) or "all"


def env(instrument=None):
    e = dict(os.environ)
    e["PATH"] = BIN + os.pathsep + e.get("PATH", "")
    e["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    e.setdefault("ANSIBLE_NOCOLOR", "1")
    e.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    if instrument:
        e["ANSIBLE_CALLBACK_PLUGINS"] = os.path.join(HERE, "callback_plugins")
        e["ANSIBLE_CALLBACKS_ENABLED"] = "meshdoctor_bench"
        e["MESHDOCTOR_BENCH_EVENTS"] = instrument + ".events.jsonl"
        e["MESHDOCTOR_BENCH_OUT"] = instrument + ".summary.json"
    return e


def ping_cmd(pattern):
    return [os.path.join(BIN, "ansible"), pattern, "-i", inventory(), "-m", "ansible.builtin.ping"]


def playbook_cmd(playbook, extra=(), logdir=None):
    # Reports go to the bench's own log dir, not over the repo's meshdoctor-report/.
    report = ["-e", "meshdoctor_report_dir=" + os.path.join(logdir, "meshdoctor-report")] if logdir else []
    return [os.path.join(BIN, "ansible-playbook"), "-i", inventory(), playbook, *report, *extra]


def run(cmd, log, instrument=None, sampler=None):
    """Run CMD from the repo root; return (seconds, rc). Output goes to LOG."""
    with open(log, "wb") as out:
        run.t_launch = time.time()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env(instrument), stdout=out, stderr=subprocess.STDOUT)
        if sampler:
            sampler.start(proc.pid)
        rc = proc.wait()
        dt = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if sampler:
            sampler.stop()
    # CPU seconds of the whole controller-side tree (ansible, its workers, their ssh clients);
    # the modules' own CPU is spent on the lab hosts and is not in here.
    run.cpu_s = round(ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime, 3)
    return dt, rc


def recap_ok(log):
    """Hosts that were unreachable, from the PLAY RECAP / ad-hoc output (empty when fine)."""
    bad = []
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                if "unreachable=" in line:
                    parts = dict(p.split("=", 1) for p in line.split() if "=" in p)
                    if parts.get("unreachable", "0") != "0":
                        bad.append(line.split()[0])
                elif "| UNREACHABLE!" in line:
                    bad.append(line.split()[0])
    except OSError:
        pass
    return bad


# --- memory sampler -------------------------------------------------------------------------
def _children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(root):
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def _rss_pss(pid):
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


class Sampler:
    """Sums RSS (and PSS) over a process tree every `interval` seconds; keeps the peaks.

    RSS summed over forked workers counts their shared copy-on-write pages once per worker,
    so it overstates real use; PSS shares those pages out and is the honest total.
    """

    def __init__(self, interval=0.05):
        self.interval = interval
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = None

    def start(self, pid):
        self._thread = threading.Thread(target=self._loop, args=(pid,), daemon=True)
        self._thread.start()

    def _loop(self, pid):
        while not self._stop.is_set():
            pids = _tree(pid)
            rss = pss = 0
            for p in pids:
                r, s = _rss_pss(p)
                rss += r
                pss += s
            self.samples += 1
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(pids))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def result(self):
        return {"peak_rss_mb": round(self.peak_rss / 2**20, 1), "peak_pss_mb": round(self.peak_pss / 2**20, 1),
                "peak_processes": self.peak_procs, "samples": self.samples, "interval_s": self.interval}


# --- subcommands ----------------------------------------------------------------------------
def cmd_compare(a):
    pattern = play_hosts(a.playbook)
    ping, pb = ping_cmd(pattern), playbook_cmd(a.playbook, logdir=a.logdir)
    # The probe's cost: the same playbook with the active TCP 179 check off, as a third arm.
    noprobe = playbook_cmd(a.playbook, ["-e", "meshdoctor_probe=false"], logdir=a.logdir)
    cmds = {"ping": ping, "playbook": pb, "noprobe": noprobe}
    res = {"pattern": pattern, "ping_cmd": ping, "playbook_cmd": pb, "ping_s": [], "playbook_s": [],
           "playbook_rc": [], "ping_rc": [], "unreachable": [], "logs": a.logdir, "order": []}
    arms = ("ping", "playbook", "noprobe") if a.probe_arm else ("ping", "playbook")
    if a.probe_arm:
        res.update(noprobe_cmd=noprobe, noprobe_s=[], noprobe_rc=[])
    for i in range(a.warmup):  # ControlMaster sockets, page cache, .pyc: paid once, by neither
        for what in arms:
            run(cmds[what], os.path.join(a.logdir, f"warmup-{what}-{i}.log"))
    for i in range(a.runs):
        order = arms if i % 2 == 0 else tuple(reversed(arms))
        for what in order:
            log = os.path.join(a.logdir, f"{what}-{i}.log")
            dt, rc = run(cmds[what], log)
            res[f"{what}_s"].append(round(dt, 3))
            res.setdefault(f"{what}_cpu_s", []).append(run.cpu_s)
            res[f"{what}_rc"].append(rc)
            res["unreachable"].extend(f"{what}-{i}:{h}" for h in recap_ok(log))
            res["order"].append(what)
    return res


def cmd_instrumented(a):
    base = os.path.join(a.logdir, "instrumented")
    for suffix in (".events.jsonl", ".summary.json"):
        if os.path.exists(base + suffix):
            os.unlink(base + suffix)
    sampler = Sampler(a.interval) if a.rss else None
    dt, rc = run(playbook_cmd(a.playbook, logdir=a.logdir), base + ".log", instrument=base, sampler=sampler)
    res = {"seconds": round(dt, 3), "rc": rc, "unreachable": recap_ok(base + ".log"), "log": base + ".log",
           "t_launch": run.t_launch, "cpu_s": run.cpu_s}
    if sampler:
        res["memory"] = sampler.result()
    res.update(load_instrumentation(base))
    return res


def cmd_playbook(a):
    base = os.path.join(a.logdir, a.name)
    for suffix in (".events.jsonl", ".summary.json"):
        if os.path.exists(base + suffix):
            os.unlink(base + suffix)
    dt, rc = run(playbook_cmd(a.playbook, a.extra or (), logdir=a.logdir), base + ".log", instrument=base)
    res = {"seconds": round(dt, 3), "rc": rc, "unreachable": recap_ok(base + ".log"), "log": base + ".log",
           "t_end": time.time(), "t_launch": run.t_launch, "cpu_s": run.cpu_s}
    res.update(load_instrumentation(base))
    return res


def load_instrumentation(base):
    events, summary = [], {}
    try:
        with open(base + ".events.jsonl") as f:
            events = [json.loads(line) for line in f if line.strip()]
    except OSError:
        pass
    try:
        with open(base + ".summary.json") as f:
            summary = json.load(f)
    except (OSError, ValueError):
        pass
    return {"events": events, "summary": summary}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--playbook", default="playbooks/diagnose.yml")
    c.add_argument("--runs", type=int, default=5)
    c.add_argument("--warmup", type=int, default=1)
    c.add_argument("--probe-arm", action="store_true", help="also run the playbook with meshdoctor_probe=false")
    i = sub.add_parser("instrumented")
    i.add_argument("--playbook", default="playbooks/diagnose.yml")
    i.add_argument("--rss", action="store_true")
    i.add_argument("--interval", type=float, default=0.05)
    b = sub.add_parser("playbook")
    b.add_argument("--playbook", required=True)
    b.add_argument("--name", required=True)
    b.add_argument("extra", nargs="*")
    for s in (c, i, b):
        s.add_argument("--out", required=True)
        s.add_argument("--logdir", default=None)
    a = p.parse_args()
    a.logdir = a.logdir or tempfile.mkdtemp(prefix="meshdoctor-bench-")
    os.makedirs(a.logdir, exist_ok=True)
    res = {"compare": cmd_compare, "instrumented": cmd_instrumented, "playbook": cmd_playbook}[a.cmd](a)
    with open(a.out, "w") as f:
        json.dump(res, f, default=str)


if __name__ == "__main__":
    main()
