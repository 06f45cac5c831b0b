# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark instrumentation: counts real remote module executions and times every task.

Not part of the collection (it lives under tests/bench/ and is not in a plugins/ folder).
Enabled only by tests/bench/bench, with
    ANSIBLE_CALLBACK_PLUGINS=tests/bench/callback_plugins
    ANSIBLE_CALLBACKS_ENABLED=meshdoctor_bench
    MESHDOCTOR_BENCH_EVENTS=/path/events.jsonl   (one line per low-level event, from the workers)
    MESHDOCTOR_BENCH_OUT=/path/summary.json      (written at the end of the playbook)

What counts as a "module execution": one call of ActionBase._execute_module, i.e. one
AnsiballZ payload built, shipped and run on a host (the ssh/pipelining round trip). The
action plugins that only run on the controller (mesh_check, debug, set_fact, assert, ...)
never call it, so they never count, whatever their task result looks like; an action plugin
that runs several modules (template = stat + copy + file) counts each one. The events are
recorded by wrapping ActionBase methods when this plugin is imported: the callback is loaded
in the controller's main process before the strategy forks its workers (ansible's
multiprocessing context is "fork"), so every worker inherits the wrappers.

Each event line: {"ev": "module"|"command", "host": ..., "delegate_to": ..., "task": ...,
"action": ..., "module": ..., "payload_bytes": ..., "pipelined": ..., "t0": ..., "t1": ...}.
"command" events are _low_level_execute_command calls (each one ssh round trip through the
ControlMaster: module runs, mkdir/rm of remote tmp dirs, interpreter discovery).
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: meshdoctor_bench
type: aggregate
short_description: Benchmark instrumentation for meshdoctor.calico (tests only)
description:
  - Counts remote module executions per host and records per-task timings.
requirements:
  - Enable with ANSIBLE_CALLBACKS_ENABLED=meshdoctor_bench.
"""

import json
import os
import threading
import time

from ansible.plugins.action import ActionBase
from ansible.plugins.callback import CallbackBase

_EVENTS = os.environ.get("MESHDOCTOR_BENCH_EVENTS")
_local = threading.local()


def _emit(event):
    if not _EVENTS:
        return
    line = (json.dumps(event, default=str) + "\n").encode()
    # O_APPEND: each short write lands whole even with many workers writing at once.
    fd = os.open(_EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _where(action, task_vars):
    task = action._task
    host = None
    if isinstance(task_vars, dict):
        host = task_vars.get("inventory_hostname")
    if host is None:
        host = getattr(action._play_context, "remote_addr", None)
    return {
        "host": host,
        "delegate_to": task.delegate_to or None,
        "task": task.get_name(),
        "action": task.action,
        "connection": getattr(action._connection, "transport", None),
        "pid": os.getpid(),
    }


def _install():
    if getattr(ActionBase, "_meshdoctor_bench_wrapped", False):
        return
    orig_execute = ActionBase._execute_module
    orig_configure = ActionBase._configure_module
    orig_low = ActionBase._low_level_execute_command

    def _configure_module(self, module_name, module_args, task_vars):
        built = orig_configure(self, module_name, module_args, task_vars)
        try:
            bits = built[0]
            data = getattr(bits, "b_module_data", None)
            if data is None and isinstance(bits, (tuple, list)):  # ansible-core < 2.19 shape
                data = built[2]
            _local.payload = len(data) if data is not None else None
        except Exception:  # pragma: no cover - instrumentation must never break a run
            _local.payload = None
        return built

    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None, *args, **kwargs):
        _local.payload = None
        t0 = time.time()
        failed = None
        try:
            res = orig_execute(self, module_name, module_args, tmp, task_vars, *args, **kwargs)
            failed = bool(res.get("failed")) if isinstance(res, dict) else None
            return res
        finally:
            ev = _where(self, task_vars)
            ev.update(ev="module", module=module_name or self._task.action, t0=t0, t1=time.time(),
                      payload_bytes=getattr(_local, "payload", None), failed=failed)
            try:
                ev["pipelined"] = bool(self._is_pipelining_enabled("new"))
            except Exception:
                ev["pipelined"] = None
            _emit(ev)

    def _low_level_execute_command(self, cmd, *args, **kwargs):
        t0 = time.time()
        try:
            return orig_low(self, cmd, *args, **kwargs)
        finally:
            ev = _where(self, None)
            ev.update(ev="command", cmd=(cmd or "")[:120], t0=t0, t1=time.time(),
                      in_bytes=len(kwargs.get("in_data") or (args[1] if len(args) > 1 and args[1] else b"")))
            _emit(ev)

    ActionBase._configure_module = _configure_module
    ActionBase._execute_module = _execute_module
    ActionBase._low_level_execute_command = _low_level_execute_command
    ActionBase._meshdoctor_bench_wrapped = True


if _EVENTS:
    _install()


def _find_key(obj, key, depth=0):
    """Every value of `key` anywhere in a result (modules may nest their figures)."""
    found = []
    if depth > 6:
        return found
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key and isinstance(v, (int, float)):
                found.append(v)
            else:
                found.extend(_find_key(v, key, depth + 1))
    elif isinstance(obj, list):
        for v in obj:
            found.extend(_find_key(v, key, depth + 1))
    return found


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "meshdoctor_bench"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.t_start = time.time()
        self.tasks = []  # [{name, action, t0, t1, results: {host: status}}]
        self.current = None
        self.starts = {}  # (task uuid, host) -> t
        self.results = []  # per host result rows
        self.elapsed = []  # every elapsed_s a module returned

    # --- tasks -----------------------------------------------------------------------------
    def _task_start(self, task):
        self.current = {"name": task.get_name(), "action": task.action, "uuid": task._uuid,
                        "t0": time.time(), "t1": None}
        self.tasks.append(self.current)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task)

    def v2_runner_on_start(self, host, task):
        self.starts[(task._uuid, host.get_name())] = time.time()

    def _done(self, result, status):
        task = result._task
        host = result._host.get_name()
        now = time.time()
        res = result._result if isinstance(result._result, dict) else {}
        row = {"task": task.get_name(), "action": task.action, "host": host, "status": status,
               "t0": self.starts.get((task._uuid, host)), "t1": now}
        for key in ("elapsed_s", "restart_s"):  # the figures calico_node returns
            found = _find_key(res, key)
            if found:
                row[key] = found
        if row.get("elapsed_s"):
            self.elapsed.extend({"task": task.get_name(), "host": host, "elapsed_s": v} for v in row["elapsed_s"])
        facts = res.get("ansible_facts")
        if isinstance(facts, dict):  # e.g. the remediate role's __meshdoctor_repair_seconds
            secs = {k: v for k, v in facts.items() if k.endswith("_seconds")}
            if secs:
                row["facts_seconds"] = secs
            meshdoctor = facts.get("meshdoctor")
            if isinstance(meshdoctor, dict) and "datastore" in meshdoctor:  # node_facts: did it read the datastore?
                row["datastore_read"] = isinstance(meshdoctor["datastore"], dict)
        self.results.append(row)
        for t in reversed(self.tasks):
            if t["uuid"] == task._uuid:
                t["t1"] = now
                break

    def v2_runner_on_ok(self, result):
        self._done(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._done(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._done(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        out = os.environ.get("MESHDOCTOR_BENCH_OUT")
        if not out:
            return
        hosts = sorted(stats.processed.keys())
        summary = {h: stats.summarize(h) for h in hosts}
        for t in self.tasks:
            t.pop("uuid", None)
        doc = {"t_start": self.t_start, "t_end": time.time(), "tasks": self.tasks,
               "results": self.results, "elapsed_s": self.elapsed, "stats": summary}
        with open(out, "w") as f:
            json.dump(doc, f, default=str)
