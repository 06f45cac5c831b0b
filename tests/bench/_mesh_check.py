"""mesh_check alone on one synthetic cluster size; one process per size and mode (tests/bench/bench).

  --mode time    median seconds of the analysis, and of analysis + reports, interleaved run
                 by run; the process's max RSS (getrusage) at the end
  --mode memory  tracemalloc peak during one analysis and one analysis + reports (a separate
                 process: tracemalloc slows Python down several times, so never timed)

The cluster is `make_cluster(n, broken=("node-1",))` from tests/unit/support/synthetic.py
(full mesh, one broken node); building it is not timed. The analysis is the pure function the
action plugin plugins/action/mesh_check.py calls; see _entry() for which one.
"""
import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, ".collections"))
SYNTHETIC = os.path.join(REPO, "tests", "unit", "support", "synthetic.py")


def _synthetic():
    spec = importlib.util.spec_from_file_location("meshdoctor_bench_synthetic", SYNTHETIC)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _entry():
    """(analyse(cluster), report(cluster, outdir)) around plugin_utils._analysis.

    analyse = _analysis.analyse(hosts, hostvars, datastore=...): the analysis alone (model,
    checks, root causes), what the action plugin's time is mostly made of.
    report  = _analysis.run_analysis(args, hostvars): everything the action plugin does after
    validating its arguments, i.e. the analysis plus the summary text and the report files.
    """
    from ansible_collections.meshdoctor.calico.plugins.plugin_utils import _analysis  # noqa: E402

    def analyse(c):
        return _analysis.analyse(c["hosts"], c["hostvars"], datastore=c.get("datastore"))

    def report(c, outdir):
        args = {"hosts": c["hosts"], "datastore": c.get("datastore"), "report_dir": outdir,
                "formats": ["json", "junit", "html"], "fail_on": "never"}
        return _analysis.run_analysis(args, c["hostvars"])

    return analyse, report


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--mode", choices=("time", "memory"), default="time")
    p.add_argument("--out", required=True)
    p.add_argument("--reports-dir", required=True)
    a = p.parse_args()
    synthetic = _synthetic()
    hostvars, datastore = synthetic.make_cluster(a.nodes, broken=("node-1",))
    cluster = {"hosts": list(hostvars), "hostvars": hostvars, "datastore": datastore}
    analyse, report = _entry()
    res = {"nodes": a.nodes, "mode": a.mode}
    os.makedirs(a.reports_dir, exist_ok=True)
    if a.mode == "time":
        analyse(cluster)  # warm-up: imports, regex compilation, first-call caches
        t_an, t_rep = [], []
        for dummy in range(a.runs):
            t0 = time.perf_counter()
            analyse(cluster)
            t_an.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report(cluster, a.reports_dir)
            t_rep.append(time.perf_counter() - t0)
        res["analysis_s"] = [round(x, 4) for x in t_an]
        res["with_reports_s"] = [round(x, 4) for x in t_rep]
        res["analysis_median_s"] = round(statistics.median(t_an), 4)
        res["maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        res["report_bytes"] = {f: os.path.getsize(os.path.join(a.reports_dir, f)) for f in os.listdir(a.reports_dir)}
    else:
        analyse(cluster)
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        analyse(cluster)
        res["analysis_peak_mb"] = round((tracemalloc.get_traced_memory()[1] - base) / 2**20, 2)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        report(cluster, a.reports_dir)
        res["with_reports_peak_mb"] = round((tracemalloc.get_traced_memory()[1] - base) / 2**20, 2)
        tracemalloc.stop()
    shutil.rmtree(a.reports_dir, ignore_errors=True)
    with open(a.out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
