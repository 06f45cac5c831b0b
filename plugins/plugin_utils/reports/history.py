# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report history: the last N report.json kept as report_dir/history/report-<UTC time>.json.

``first_seen`` reads the kept reports to tell, for each root cause of this run, since when it
has been there without a break: walking back from the newest kept report, as long as a report
has the same cause (see cause_key), its time (or the first_seen it recorded
itself, which reaches past pruned files) is the first sighting. A cause the newest kept report
does not have is new: first seen now. ``keep`` saves this run's report and prunes to N.
"""
from __future__ import annotations

import json
import os
import re

HISTORY_DIR = "history"
NAME_RE = re.compile(r"^report-(\d{8}T\d{6}Z)(?:-(\d+))?\.json$")


# A latent risk and the outage it predicted are one cause: calico-node on that node taking the
# address of that interface (AUTODETECTION_RISK before the restart, ADDRESS_* after it).
ADDRESS_CODES = ("AUTODETECTION_RISK", "ADDRESS_ON_DOCKER_BRIDGE", "ADDRESS_ON_EXCLUDED_INTERFACE", "ADDRESS_MISMATCH")


def cause_key(cause):
    """What makes two runs' root causes the same cause: the code and the node (or nodes), except
    that an address cause is its node and interface, whichever of ADDRESS_CODES names it."""
    if cause.get("code") in ADDRESS_CODES and cause.get("interface"):
        return ("address", cause.get("node"), cause.get("interface"))
    nodes = cause.get("nodes")
    return (cause.get("code"), tuple(nodes) if nodes else cause.get("node"))


def _stamp(generated_at):
    return generated_at.replace("-", "").replace(":", "")          # 2026-11-25T14:21:29Z -> 20261125T142129Z


def history_files(report_dir):
    """[(path)] of the kept reports, oldest first."""
    directory = os.path.join(report_dir, HISTORY_DIR)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = []
    for name in names:
        match = NAME_RE.match(name)
        if match:
            found.append(((match.group(1), int(match.group(2) or 0)), os.path.join(directory, name)))
    return [path for dummy, path in sorted(found)]


def first_seen(causes, report_dir, now):
    """({cause id: UTC time first seen}, [warning sentences]) from the kept reports, newest first."""
    problems = []
    result = {}
    pending = {}
    for cause in causes:
        pending.setdefault(cause_key(cause), []).append(cause["id"])
        result[cause["id"]] = now
    for path in reversed(history_files(report_dir)):
        if not pending:
            break
        try:
            with open(path, encoding="utf-8") as handle:
                doc = json.load(handle)
            older = {cause_key(c): c for c in doc["root_causes"]}
            when = doc["generated_at"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append("mesh_check: history file %s skipped (%s)" % (path, exc))
            continue
        for key in list(pending):
            cause = older.get(key)
            if cause is None:
                del pending[key]              # not there in that run: the streak starts after it
                continue
            for cid in pending[key]:
                result[cid] = cause.get("first_seen") or when
            if cause.get("first_seen"):
                del pending[key]
    return result, problems


def keep(report_dir, generated_at, text, count, write):
    """Save text as history/report-<time>.json with write(path, text), then remove all but the newest
    count; ([written path], [warning sentences])."""
    directory = os.path.join(report_dir, HISTORY_DIR)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        return [], ["mesh_check: history not kept: cannot create %s (%s)" % (directory, exc.strerror or exc)]
    stamp = _stamp(generated_at)
    path = os.path.join(directory, "report-%s.json" % stamp)
    n = 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(directory, "report-%s-%d.json" % (stamp, n))
    try:
        write(path, text)
    except OSError as exc:
        return [], ["mesh_check: history file %s not written (%s)" % (path, exc.strerror or exc)]
    problems = []
    files = history_files(report_dir)
    for old in files[:max(len(files) - count, 0)]:
        try:
            os.unlink(old)
        except OSError as exc:
            problems.append("mesh_check: old history file %s not removed (%s)" % (old, exc.strerror or exc))
    return [os.path.abspath(path)], problems
