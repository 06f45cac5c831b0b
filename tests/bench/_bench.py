"""meshdoctor.calico benchmark: figures against targets, on the lab. Started by tests/bench/bench.

Sections (``--only`` takes these names, comma-separated, or the numbers 1-5):
  1 diagnose_4, diagnose_24  diagnose.yml wall time vs `ansible -m ansible.builtin.ping` on the
                             same hosts (seed lab, scale-24 lab), interleaved, ratio per pair
  2 modules                  remote module executions per host during one diagnose (seed lab;
                             also on scale-24 when that lab is up for another section)
  3 mesh_check               mesh_check analysis on synthetic 100/300/1000-node clusters
  4 remediate                `lab outage ai` then remediate.yml, until the mesh is back
  5 memory                   peak controller memory during the 24-host diagnose
    breakdown                ping vs node_facts alone, + the datastore read in the control-plane
                             host's node_facts run, + the role (= diagnose.yml), each interleaved
                             with ping on the seed lab: where the ratio comes from
Every figure is the median of --runs runs; ratios are taken per pair of neighbouring runs.
"""
import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = os.path.join(REPO, ".venv", "bin", "python")
LAB = os.path.join(REPO, "tests", "lab", "lab")
TOPO = {4: "tests/lab/topologies/seed.yml", 24: "tests/lab/topologies/scale-24.yml"}
SECTIONS = ["mesh_check", "diagnose_4", "modules", "breakdown", "remediate", "diagnose_24", "memory"]
# --only breakdown: where diagnose's time over ping goes, one step at a time (seed lab).
BREAKDOWN = [("node_facts only", "tests/bench/playbooks/node_facts_only.yml"),
             ("+ datastore in node_facts on 1 host", "tests/bench/playbooks/node_facts_datastore.yml"),
             ("diagnose.yml (+ the role)", "playbooks/diagnose.yml")]
ALIASES = {"1": ["diagnose_4", "diagnose_24"], "diagnose": ["diagnose_4", "diagnose_24"],
           "2": ["modules"], "3": ["mesh_check"], "4": ["remediate"], "5": ["memory"]}
TARGETS = {"ratio": 1.5, "mesh_check_1000_s": 1.0, "restart_to_mesh_s": 15.0}
# Actions that never leave the controller: a task result from one of these is no module run.
LOCAL_ACTIONS = {"debug", "set_fact", "assert", "fail", "meta", "include_tasks", "import_tasks",
                 "include_role", "import_role", "include_vars", "add_host", "group_by", "pause",
                 "set_stats", "mesh_check"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


# --- the lab --------------------------------------------------------------------------------
def lab_namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    # md-unit-* are namespaces of unit tests (tests/unit), not a lab: they do not block one.
    return [line.split()[0] for line in out.splitlines()
            if line.startswith("md-") and not line.startswith("md-unit-")]


def lab(*args, check=True, timeout=900):
    proc = subprocess.run([LAB, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("lab %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                       (proc.stderr or proc.stdout).strip()[-800:]))
    return proc


class Lab:
    """`lab up TOPOLOGY` once no other lab is up; `lab down` on exit unless kept."""

    def __init__(self, size, opts):
        self.size, self.opts, self.ours = size, opts, False
        self.up_s = None

    def __enter__(self):
        if self.opts.reuse_lab and lab_namespaces():
            log(f"bench: reusing the lab that is up (--reuse-lab), assumed to be {TOPO[self.size]}")
            return self
        deadline, said = time.time() + self.opts.lab_wait, 0.0
        while True:
            while lab_namespaces():
                if time.time() > deadline:
                    raise RuntimeError(f"a lab is still up after waiting {self.opts.lab_wait}s "
                                       f"({', '.join(lab_namespaces()[:4])}...): someone else is testing on it")
                if time.time() - said > 60:
                    log(f"bench: a lab is up ({lab_namespaces()[0]}...), someone else is testing: waiting")
                    said = time.time()
                time.sleep(2)
            log(f"bench: lab up {TOPO[self.size]}")
            t0, wall0 = time.perf_counter(), time.time()
            proc = lab("up", TOPO[self.size], check=False)
            if proc.returncode == 0:
                break
            if "already up" in proc.stderr:  # someone else was quicker: theirs, wait again
                continue
            started = lab_started()
            if started is not None and wall0 - 1 <= started <= time.time():
                lab("down", check=False)  # our own half-built lab (its state file is the one we made)
            raise RuntimeError(f"lab up {TOPO[self.size]} failed: {(proc.stderr or proc.stdout).strip()[-800:]}")
        self.ours = True
        self.started = lab_started()
        self.up_s = round(time.perf_counter() - t0, 1)
        log(f"bench: lab up in {self.up_s}s")
        return self

    def check(self):
        """Raise unless the lab that is up is still the one we brought up (another session's
        test set-up may have taken it down and brought up its own)."""
        if self.ours and lab_started() != self.started:
            self.ours = False
            raise RuntimeError("the lab we brought up was taken down by someone else (a test session's "
                               "`lab down`?): figures from it are void")

    def __exit__(self, *exc):
        if self.ours and lab_started() != self.started:
            log("bench: the lab up now is not ours (someone else replaced it): leaving it alone")
        elif self.ours and not (self.opts.keep_lab and self.opts.last_lab == self.size):
            log("bench: lab down")
            lab("down", check=False)
        elif self.ours:
            log("bench: --keep-lab: the lab stays up (tests/lab/lab down when done)")
        return False


def lab_started():
    """When the lab that is up now was brought up (its .lab/state.json), None if none is."""
    try:
        with open(os.path.join(REPO, ".lab", "state.json")) as f:
            return json.load(f).get("started")
    except (OSError, ValueError):
        return None


def inlab(opts, sub, *args, timeout=1800):
    """Run tests/bench/_inlab.py SUB inside the lab's controller namespace; return its JSON."""
    fd, out = tempfile.mkstemp(prefix=f"inlab-{sub}-", suffix=".json", dir=opts.logdir)
    os.close(fd)
    argv = [PY, os.path.join(HERE, "_inlab.py"), sub, "--out", out, "--logdir", opts.logdir, *args]
    proc = subprocess.run([LAB, "shell", "--", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)
    try:
        with open(out) as f:
            return json.load(f)
    except (OSError, ValueError):
        raise RuntimeError(f"_inlab.py {sub} produced nothing (exit {proc.returncode}): "
                           f"{(proc.stderr or proc.stdout).strip()[-800:]}") from None


def lab_status():
    proc = lab("status", "--json", check=False, timeout=120)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        return None


def mesh_established(status):
    """True when `lab status --json` counts every directed BGP session Established; None if unknown."""
    if not isinstance(status, dict) or not isinstance(status.get("expected"), int):
        return None
    return status.get("established") == status["expected"] and status["expected"] > 0


def wait_mesh(timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        ok = mesh_established(lab_status())
        if ok is None:
            return None, None
        if ok:
            return True, time.time()
        time.sleep(0.5)
    return False, None


def inventory_info():
    """Hosts and the first control-plane host of the generated lab inventory (via ansible-inventory)."""
    proc = subprocess.run([LAB, "inventory"], cwd=REPO, capture_output=True, text=True, check=False)
    path = (proc.stdout.strip().splitlines() or [""])[-1].strip()
    if not os.path.isfile(path):
        path = os.path.join(REPO, ".lab", "inventory.yml")
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-inventory"), "-i", path, "--list"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    try:
        inv = json.loads(proc.stdout)
    except ValueError:
        return [], None
    hosts = sorted(inv.get("_meta", {}).get("hostvars", {}))
    first_cp = None
    for group in sorted(inv):
        if re.search(r"control.?plane|master", group) and inv[group].get("hosts"):
            first_cp = inv[group]["hosts"][0]
            break
    return hosts, first_cp


# --- figures from one instrumented run ------------------------------------------------------
def module_counts(inst, hosts):
    """{host: {module: n}} of real remote module executions (ActionBase._execute_module calls)."""
    per = {h: {} for h in hosts}
    for ev in inst.get("events", []):
        if ev.get("ev") != "module":
            continue
        host = ev.get("delegate_to") or ev.get("host")
        mod = (ev.get("module") or "?").split(".")[-1]
        per.setdefault(host, {})
        per[host][mod] = per[host].get(mod, 0) + 1
    return per


def datastore_readers(inst):
    """Hosts whose node_facts result carries a datastore (the callback's datastore_read)."""
    return sorted({row["host"] for row in inst.get("summary", {}).get("results", []) if row.get("datastore_read")})


def modules_verdict(per, first_cp, readers=None):
    """What is off target: exactly one module run per host (node_facts), the datastore read
    included in the first control-plane host's run and nowhere else."""
    extra = []
    for host, mods in per.items():
        n = sum(mods.values())
        if n != 1:
            extra.append(f"{host}:{n} ({', '.join(f'{m}x{c}' for m, c in sorted(mods.items()))})")
    if readers is not None and readers != [first_cp]:
        extra.append(f"datastore read on {', '.join(readers) or 'no host'}, want {first_cp} only")
    return extra


def result_rows_by_action(inst):
    """Cross-check from the task results: per host, tasks whose action is not controller-only."""
    per = {}
    for row in inst.get("summary", {}).get("results", []):
        if row["status"] in ("skipped",) or row["action"].split(".")[-1] in LOCAL_ACTIONS:
            continue
        per.setdefault(row["host"], []).append(row["action"].split(".")[-1])
    return per


def profile(inst):
    """Where a playbook run's time went: start-up, each task, module payloads, ssh commands."""
    s = inst.get("summary") or {}
    ev = inst.get("events", [])
    out = {}
    if s.get("t_start") and inst.get("t_launch"):
        out["startup_s"] = round(s["t_start"] - inst["t_launch"], 3)
    tasks = []
    for t in s.get("tasks", []):
        if t.get("t1"):
            tasks.append({"task": t["name"], "action": t["action"], "s": round(t["t1"] - t["t0"], 3)})
    out["tasks"] = tasks
    mods = [e for e in ev if e.get("ev") == "module"]
    if mods:
        out["module_payload_bytes"] = sorted({(e.get("module") or "").split(".")[-1]: e.get("payload_bytes")
                                              for e in mods}.items())
        out["pipelined"] = sorted({str(e.get("pipelined")) for e in mods})
        out["module_s_median"] = median([e["t1"] - e["t0"] for e in mods])
        out["module_s_max"] = round(max(e["t1"] - e["t0"] for e in mods), 3)
    cmds = {}
    for e in ev:
        if e.get("ev") == "command":
            h = e.get("delegate_to") or e.get("host")
            cmds[h] = cmds.get(h, 0) + 1
    if cmds:
        out["ssh_commands_per_host"] = sorted(set(cmds.values()))
    if s.get("t_end") and inst.get("t_launch"):
        out["shutdown_s"] = round(inst["t_launch"] + inst["seconds"] - s["t_end"], 3)
    return out


# --- sections -------------------------------------------------------------------------------
def section_compare(opts, size, fig, det, the_lab):
    runs = 1 if opts.smoke else opts.runs
    warm = 0 if opts.smoke else 1
    the_lab.check()
    res = inlab(opts, "compare", "--runs", str(runs), "--warmup", str(warm), "--probe-arm")
    the_lab.check()
    pairs = list(zip(res["ping_s"], res["playbook_s"]))
    if res.get("noprobe_s"):
        fig[f"diagnose_noprobe_s_{size}"] = median(res["noprobe_s"])
        fig[f"diagnose_noprobe_ping_ratio_{size}"] = median([d / p for p, d in zip(res["ping_s"], res["noprobe_s"])])
        fig[f"probe_cost_s_{size}"] = median([d - n for d, n in zip(res["playbook_s"], res["noprobe_s"])])
    fig[f"ping_s_{size}"] = median(res["ping_s"])
    fig[f"diagnose_s_{size}"] = median(res["playbook_s"])
    fig[f"diagnose_ping_ratio_{size}"] = median([d / p for p, d in pairs])
    fig[f"ping_cpu_s_{size}"] = median(res.get("ping_cpu_s", []))
    fig[f"diagnose_cpu_s_{size}"] = median(res.get("playbook_cpu_s", []))
    det[f"compare_{size}"] = {k: res.get(k) for k in ("pattern", "ping_s", "playbook_s", "ping_cpu_s", "playbook_cpu_s",
                                                      "playbook_rc", "ping_rc", "unreachable", "order")}
    if res["unreachable"]:  # the lab went away under us, or broke: these times are not diagnose's
        raise RuntimeError(f"unreachable hosts during diagnose/ping {size}: {res['unreachable'][:6]}")
    if any(rc not in (0, 2) for rc in res["playbook_rc"]):
        log(f"bench: WARNING diagnose.yml exit codes {res['playbook_rc']} (logs in {opts.logdir})")
    if any(rc != 0 for rc in res["ping_rc"]):
        log(f"bench: WARNING ping exit codes {res['ping_rc']} (logs in {opts.logdir})")


def section_instrumented(opts, size, fig, det, want_modules, want_memory, the_lab):
    the_lab.check()
    inst = inlab(opts, "instrumented", *(["--rss"] if want_memory else []))
    hosts, first_cp = inventory_info()
    the_lab.check()
    if inst["unreachable"]:
        raise RuntimeError(f"unreachable hosts during the instrumented diagnose {size}: {inst['unreachable'][:6]}")
    det[f"profile_diagnose_{size}"] = profile(inst)
    det[f"instrumented_{size}"] = {"seconds": inst["seconds"], "rc": inst["rc"], "unreachable": inst["unreachable"]}
    if want_memory and inst.get("memory"):
        fig[f"peak_rss_mb_{size}"] = inst["memory"]["peak_rss_mb"]
        fig[f"peak_pss_mb_{size}"] = inst["memory"]["peak_pss_mb"]
        det[f"memory_{size}"] = inst["memory"]
    if want_modules:
        per = module_counts(inst, hosts)
        counts = {h: sum(m.values()) for h, m in sorted(per.items())}
        key = "module_runs_per_host" if size == 4 else f"module_runs_per_host_{size}"
        fig[key] = counts
        readers = datastore_readers(inst)
        extra = modules_verdict(per, first_cp, readers)
        fig[f"module_runs_ok_{size}"] = not extra and bool(counts)
        det[f"modules_{size}"] = {"first_control_plane": first_cp, "datastore_read_on": readers,
                                  "by_module": per, "off_target": extra,
                                  "results_by_action": result_rows_by_action(inst)}


def section_breakdown(opts, fig, det, the_lab):
    runs = 1 if opts.smoke else opts.runs
    rows = []
    for label, playbook in BREAKDOWN:
        the_lab.check()
        res = inlab(opts, "compare", "--playbook", playbook, "--runs", str(runs), "--warmup", "1")
        the_lab.check()
        if res["unreachable"]:
            raise RuntimeError(f"unreachable hosts during {playbook}: {res['unreachable'][:6]}")
        rows.append({"step": label, "playbook": playbook, "ping_s": median(res["ping_s"]),
                     "playbook_s": median(res["playbook_s"]),
                     "ratio": median([d / p for p, d in zip(res["ping_s"], res["playbook_s"])]),
                     "cpu_s": median(res.get("playbook_cpu_s", [])), "ping_cpu_s": median(res.get("ping_cpu_s", []))})
    det["breakdown_4"] = rows
    fig["breakdown_ratio_4"] = {r["step"]: r["ratio"] for r in rows}


def restart_to_mesh(res):
    """{host: seconds} from the start of a node's first calico_node task (the restart) to the end of
    its wait for a converged mesh (sessions and routes) in the repair play, from the callback's
    per-host task timings. The verify play's wait on every node is not part of it."""
    spans = {}
    for row in res.get("summary", {}).get("results", []):
        if row["action"].split(".")[-1] != "calico_node" or row["status"] == "skipped" or not row.get("t0"):
            continue
        if row.get("task", "").startswith("Wait until every node's"):
            continue
        t0, t1 = spans.get(row["host"], (row["t0"], row["t1"]))
        spans[row["host"]] = (min(t0, row["t0"]), max(t1, row["t1"]))
    return {h: round(t1 - t0, 2) for h, (t0, t1) in spans.items()}


def repair_seconds(res):
    """The remediate role's own per-node figure (set_fact __meshdoctor_repair_seconds)."""
    out = {}
    for row in res.get("summary", {}).get("results", []):
        for k, v in (row.get("facts_seconds") or {}).items():
            if "repair" in k:
                out[row["host"]] = v
    return out


def section_remediate(opts, fig, det, the_lab):
    runs = 1 if opts.smoke else opts.runs
    rows = []
    for i in range(runs):
        the_lab.check()
        if i:  # remediate removed ai's stray bridge: only a fresh lab has the outage to repair again
            lab("reset")
            the_lab.started = lab_started()
        t0 = time.perf_counter()
        lab("outage", "ai")
        outage_s = round(time.perf_counter() - t0, 1)
        res = inlab(opts, "playbook", "--playbook", "playbooks/remediate.yml", "--name", f"remediate-{i}")
        ok, t_est = wait_mesh(120)
        the_lab.check()
        if res["unreachable"]:
            raise RuntimeError(f"unreachable hosts during remediate.yml: {res['unreachable'][:6]}")
        total = res["seconds"]
        if ok and t_est and t_est > res["t_end"] + 1.0:  # remediate returned before the mesh was back
            total = round(res["seconds"] + (t_est - res["t_end"]), 3)
        elapsed = [e["elapsed_s"] for e in res.get("summary", {}).get("elapsed_s", [])]
        restart = restart_to_mesh(res)
        rows.append({"run": i, "outage_s": outage_s, "remediate_playbook_s": res["seconds"], "rc": res["rc"],
                     "mesh_established_after": ok, "remediate_s": total,
                     "restart_to_mesh_s": max(restart.values()) if restart else None, "per_node": restart,
                     "calico_node_elapsed_s": max(elapsed) if elapsed else None, "elapsed_s_all": elapsed,
                     "repair_seconds": repair_seconds(res),
                     "module_runs": sum(1 for e in res.get("events", []) if e.get("ev") == "module")})
        log(f"bench: remediate run {i}: {rows[-1]}")
        det["profile_remediate"] = profile(res)  # the last run's
    fig["remediate_s"] = median([r["remediate_s"] for r in rows])
    fig["restart_to_mesh_s"] = median([r["restart_to_mesh_s"] for r in rows])
    fig["calico_node_elapsed_s"] = median([r["calico_node_elapsed_s"] for r in rows])
    det["remediate"] = rows


def section_mesh_check(opts, fig, det):
    sizes = [100] if opts.smoke else [100, 300, 1000]
    runs = 1 if opts.smoke else opts.runs
    for n in sizes:
        out = {}
        for mode in ("time", "memory"):
            fd, path = tempfile.mkstemp(prefix=f"mesh-{n}-{mode}-", suffix=".json", dir=opts.logdir)
            os.close(fd)
            argv = [PY, os.path.join(HERE, "_mesh_check.py"), "--nodes", str(n), "--runs", str(runs),
                    "--mode", mode, "--out", path, "--reports-dir", os.path.join(opts.logdir, f"reports-{n}")]
            proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1200, check=False)
            try:
                with open(path) as f:
                    out[mode] = json.load(f)
            except (OSError, ValueError):
                raise RuntimeError(f"mesh_check {n} nodes ({mode}) failed (exit {proc.returncode}): "
                                   f"{(proc.stderr or proc.stdout).strip()[-1500:]}") from None
            if opts.smoke:
                break
        t = out["time"]
        fig[f"mesh_check_{n}_s"] = median(t["analysis_s"])
        fig[f"mesh_check_reports_{n}_s"] = median(t["with_reports_s"])
        fig[f"mesh_check_maxrss_mb_{n}"] = t["maxrss_mb"]
        if "memory" in out:
            fig[f"mesh_check_peak_mb_{n}"] = out["memory"]["analysis_peak_mb"]
            fig[f"mesh_check_reports_peak_mb_{n}"] = out["memory"]["with_reports_peak_mb"]
        det[f"mesh_check_{n}"] = out


# --- output ---------------------------------------------------------------------------------
def machine():
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    core = subprocess.run([PY, "-c", "import ansible.release as r; print(r.__version__)"],
                          capture_output=True, text=True, check=False).stdout.strip()
    pyv = subprocess.run([PY, "-c", "import platform; print(platform.python_version())"],
                         capture_output=True, text=True, check=False).stdout.strip()
    return {"nproc": os.cpu_count(), "memory_gb": mem, "python": pyv, "ansible_core": core,
            "kernel": platform.release(), "loadavg_at_start": os.getloadavg()[0]}


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}{unit}" if v < 10 else f"{v:.1f}{unit}"
    return f"{v}{unit}"


def verdict(ok):
    return "-" if ok is None else ("ok" if ok else "MISSED")


def table(fig):
    rows = []  # (figure, value, target, verdict)
    for n in (4, 24):
        if f"diagnose_ping_ratio_{n}" in fig:
            r = fig[f"diagnose_ping_ratio_{n}"]
            rows.append((f"diagnose.yml, {n} hosts", fmt(fig.get(f"diagnose_s_{n}"), " s"), "", ""))
            rows.append((f"ansible -m ping, {n} hosts", fmt(fig.get(f"ping_s_{n}"), " s"), "", ""))
            if fig.get(f"diagnose_cpu_s_{n}") is not None:
                rows.append((f"  controller CPU diagnose / ping, {n} hosts",
                             f"{fmt(fig[f'diagnose_cpu_s_{n}'], ' s')} / {fmt(fig.get(f'ping_cpu_s_{n}'), ' s')}", "", ""))
            rows.append((f"  ratio diagnose/ping, {n} hosts", fmt(r, "x"), "<= 1.5x",
                         verdict(None if r is None else r <= TARGETS["ratio"])))
            if f"diagnose_noprobe_s_{n}" in fig:
                rows.append((f"  diagnose with meshdoctor_probe=false, {n} hosts", fmt(fig[f"diagnose_noprobe_s_{n}"], " s"),
                             "", ""))
                rows.append((f"  ratio without the probe / ping, {n} hosts",
                             fmt(fig.get(f"diagnose_noprobe_ping_ratio_{n}"), "x"), "", ""))
                rows.append((f"  probe's cost (diagnose - without probe), {n} hosts",
                             fmt(fig.get(f"probe_cost_s_{n}"), " s"), "", ""))
    for step, ratio in (fig.get("breakdown_ratio_4") or {}).items():
        rows.append((f"  breakdown, 4 hosts: {step} / ping", fmt(ratio, "x"), "", ""))
    for key, n in (("module_runs_per_host", 4), ("module_runs_per_host_24", 24)):
        if key in fig:
            counts = fig[key]
            short = ", ".join(f"{h}={c}" for h, c in list(counts.items())[:6]) + (" ..." if len(counts) > 6 else "")
            rows.append((f"module runs per host, {n} hosts", short, "1 (datastore in 1)",
                         verdict(fig.get(f"module_runs_ok_{n}"))))
    for n in (100, 300, 1000):
        if f"mesh_check_{n}_s" in fig:
            v = fig[f"mesh_check_{n}_s"]
            rows.append((f"mesh_check {n} nodes, analysis", fmt(v, " s"), "<= 1 s" if n == 1000 else "",
                         verdict(v <= TARGETS["mesh_check_1000_s"]) if n == 1000 and v is not None else ""))
            rows.append((f"mesh_check {n} nodes, + reports", fmt(fig.get(f"mesh_check_reports_{n}_s"), " s"), "", ""))
            mem = fig.get(f"mesh_check_peak_mb_{n}")
            if mem is not None:
                rows.append((f"mesh_check {n} nodes, peak (tracemalloc)",
                             f"{fmt(mem, ' MB')} / {fmt(fig.get(f'mesh_check_reports_peak_mb_{n}'), ' MB')} w/ reports",
                             "", ""))
            rows.append((f"mesh_check {n} nodes, process max RSS", fmt(fig.get(f"mesh_check_maxrss_mb_{n}"), " MB"),
                         "", ""))
    if "remediate_s" in fig:
        rows.append(("remediate: start -> all Established", fmt(fig["remediate_s"], " s"), "", ""))
        v = fig.get("restart_to_mesh_s")
        rows.append(("remediate: calico-node restart -> full mesh", fmt(v, " s"), "<= 15 s",
                     verdict(None if v is None else v <= TARGETS["restart_to_mesh_s"])))
        rows.append(("  (calico_node's own elapsed_s, the wait)", fmt(fig.get("calico_node_elapsed_s"), " s"), "", ""))
    if "peak_rss_mb_24" in fig:
        rows.append(("controller peak memory, 24-host diagnose",
                     f"{fmt(fig['peak_rss_mb_24'], ' MB')} RSS / {fmt(fig.get('peak_pss_mb_24'), ' MB')} PSS", "", ""))
    w = [max(len(r[i]) for r in rows + [("figure", "value", "target", "")]) for i in range(4)]
    lines = ["%-*s  %*s  %-*s  %s" % (w[0], "figure", w[1], "value", w[2], "target", "")]
    lines.append("-" * (sum(w) + 8))
    lines += ["%-*s  %*s  %-*s  %s" % (w[0], a, w[1], b, w[2], c, d) for a, b, c, d in rows]
    return "\n".join(lines)


def print_profiles(det):
    for key in sorted(det):
        if not key.startswith("profile_"):
            continue
        p = det[key]
        print(f"\n{key} (one instrumented run):")
        for k in ("startup_s", "shutdown_s", "module_s_median", "module_s_max", "pipelined",
                  "module_payload_bytes", "ssh_commands_per_host"):
            if k in p:
                print(f"  {k}: {p[k]}")
        for t in sorted(p.get("tasks", []), key=lambda t: -t["s"])[:8]:
            print(f"  task {t['s']:7.3f} s  {t['task']} ({t['action']})")


def parse_only(value):
    if not value:
        return list(SECTIONS)
    out = []
    for part in value.split(","):
        part = part.strip()
        names = ALIASES.get(part, [part])
        for n in names:
            if n not in SECTIONS:
                sys.exit(f"bench: --only: unknown section {part!r} (choose from {', '.join(SECTIONS)} or 1-5)")
            if n not in out:
                out.append(n)
    return out


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so the lab we brought up goes down


def main():
    p = argparse.ArgumentParser(prog="tests/bench/bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="runs per figure (median), default 5")
    p.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS) + " (or 1-5)")
    p.add_argument("--smoke", action="store_true",
                   help="CI: mesh_check on 100 nodes once, one diagnose vs one ping on the seed lab")
    p.add_argument("--keep-lab", action="store_true", help="leave the last lab up")
    p.add_argument("--reuse-lab", action="store_true", help="use a lab that is already up instead of waiting")
    p.add_argument("--lab-wait", type=int, default=1800, help="seconds to wait for another lab to go down")
    p.add_argument("--json", default="bench.json", help="where to write the figures (default ./bench.json)")
    opts = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (the lab uses network namespaces)")
    if opts.runs < 1:
        sys.exit("bench: --runs must be at least 1")
    only = ["mesh_check", "diagnose_4", "modules"] if opts.smoke and not opts.only else parse_only(opts.only)
    opts.logdir = tempfile.mkdtemp(prefix="meshdoctor-bench-")
    signal.signal(signal.SIGTERM, _on_sigterm)
    need4 = [s for s in only if s in ("diagnose_4", "modules", "breakdown", "remediate")]
    need24 = [s for s in only if s in ("diagnose_24", "memory")]
    opts.last_lab = 24 if need24 else 4
    fig = {"machine": machine()}
    det = {}
    failures = []
    t_all = time.perf_counter()

    def attempt(name, fn, *args):
        t0 = time.perf_counter()
        try:
            fn(*args)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one section failing must not hide the others' figures
            failures.append(f"{name}: {exc}")
            log(f"bench: {name} FAILED: {exc}")
        log(f"bench: {name} took {time.perf_counter() - t0:.0f}s")

    if "mesh_check" in only:
        attempt("mesh_check", section_mesh_check, opts, fig, det)
    for size, needed in ((4, need4), (24, need24)):
        if not needed:
            continue
        try:
            with Lab(size, opts) as the_lab:
                det[f"lab_up_s_{size}"] = the_lab.up_s
                if f"diagnose_{size}" in needed:
                    attempt(f"diagnose_{size}", section_compare, opts, size, fig, det, the_lab)
                want_mod = "modules" in only
                want_mem = size == 24 and "memory" in only
                if want_mod or want_mem:
                    attempt(f"instrumented_{size}", section_instrumented, opts, size, fig, det, want_mod, want_mem,
                            the_lab)
                if size == 4 and "breakdown" in needed:
                    attempt("breakdown", section_breakdown, opts, fig, det, the_lab)
                if size == 4 and "remediate" in needed:
                    attempt("remediate", section_remediate, opts, fig, det, the_lab)
        except KeyboardInterrupt:
            log("bench: interrupted")
            break
        except Exception as exc:
            failures.append(f"lab {size}: {exc}")
            log(f"bench: lab {size} FAILED: {exc}")
    fig["bench_s"] = round(time.perf_counter() - t_all, 1)
    fig["machine"]["loadavg_at_end"] = os.getloadavg()[0]
    fig["runs"] = 1 if opts.smoke else opts.runs
    fig["failures"] = failures
    fig["details"] = det
    with open(opts.json, "w") as f:
        json.dump(fig, f, indent=1, default=str)
    m = fig["machine"]
    print(f"\nmeshdoctor.calico bench: median of {fig['runs']} run(s); {m['nproc']} CPUs, {m['memory_gb']} GB, "
          f"Python {m['python']}, ansible-core {m['ansible_core']}; load average {m['loadavg_at_start']:.1f} "
          f"at start, {m['loadavg_at_end']:.1f} at end")
    print(table(fig))
    print_profiles(det)
    print(f"\nfigures: {os.path.abspath(opts.json)}; logs: {opts.logdir}; {fig['bench_s']} s in all")
    for fail in failures:
        print(f"FAILED: {fail}")
    produced = [k for k in fig if k not in ("machine", "failures", "details", "bench_s", "runs")]
    if opts.smoke:
        wanted = {"mesh_check": "mesh_check_100_s", "diagnose_4": "diagnose_ping_ratio_4",
                  "modules": "module_runs_per_host"}
        missing = [wanted[s] for s in only if s in wanted and fig.get(wanted[s]) is None]
        if missing:
            print(f"bench --smoke: no figure for {', '.join(missing)}")
            return 1
        return 0
    if not produced:
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
