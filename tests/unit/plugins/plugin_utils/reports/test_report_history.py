# -*- coding: utf-8 -*-
"""The report history: last N report.json kept with their time in the name; first_seen per root cause."""
from __future__ import annotations

import json
import os
import types

from ansible_collections.meshdoctor.calico.plugins.plugin_utils import _analysis
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports import history


def run(cluster, report_dir, count, formats=("json", "html")):
    return run_analysis({"hosts": cluster["hosts"], "datastore": cluster["datastore"], "report_dir": str(report_dir),
                         "formats": list(formats), "history": count, "fail_on": "never"}, cluster["hostvars"])


def kept(report_dir):
    return sorted(os.listdir(os.path.join(str(report_dir), "history")))


SEED_OUTAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "clusters",
                           "seed_outage.json")
_BASE = {}


def plant(report_dir, generated_at, causes, name=None):
    """A kept report of an earlier run: the seed outage's report.json with another time and causes
    (whole documents, so that they follow the schema like every report the tests write)."""
    if not _BASE:
        with open(SEED_OUTAGE, encoding="utf-8") as handle:
            cluster = json.load(handle)
        analysis_dir = os.path.join(str(report_dir), "..", "base-report")
        run(cluster, analysis_dir, 0, formats=("json",))
        _BASE.update(load(analysis_dir))
    cause = _BASE["root_causes"][0]
    doc = dict(_BASE, generated_at=generated_at, root_causes=[dict(cause, **c) for c in causes])
    directory = os.path.join(str(report_dir), "history")
    os.makedirs(directory, exist_ok=True)
    name = name or "report-%s.json" % generated_at.replace("-", "").replace(":", "")
    with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
        json.dump(doc, handle)


AI = {"code": "ADDRESS_ON_DOCKER_BRIDGE", "node": "ai", "first_seen": None}


def load(report_dir):
    with open(os.path.join(str(report_dir), "report.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_history_off_keeps_nothing_and_shows_nothing(seed_outage, tmp_path):
    result = run(seed_outage, tmp_path, 0)
    assert not (tmp_path / "history").exists()
    assert [c["first_seen"] for c in load(tmp_path)["root_causes"]] == [None]
    assert "first seen" not in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert len(result["report_files"]) == 2


def test_a_new_cause_is_first_seen_now(seed_outage, tmp_path):
    plant(tmp_path, "2026-01-01T00:00:00Z", [{"code": "AUTODETECTION_RISK", "node": "ai", "interface": "br-0123456789ab",
                                              "first_seen": None}])
    result = run(seed_outage, tmp_path, 5)
    doc = load(tmp_path)
    (cause,) = doc["root_causes"]
    assert cause["first_seen"] == doc["generated_at"]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "first seen %s (this run)" % doc["generated_at"] in page
    names = kept(tmp_path)
    assert names[0] == "report-20260101T000000Z.json" and len(names) == 2
    assert os.path.join(str(tmp_path), "history", names[1]) in result["report_files"]
    with open(os.path.join(str(tmp_path), "history", names[1]), encoding="utf-8") as handle:
        assert json.load(handle) == doc                      # the kept copy is this run's report.json


def test_first_seen_is_the_start_of_the_unbroken_streak(seed_outage, tmp_path):
    plant(tmp_path, "2026-01-01T00:00:00Z", [AI])                    # seen, then gone: a streak before
    plant(tmp_path, "2026-01-02T00:00:00Z", [])
    plant(tmp_path, "2026-01-03T00:00:00Z", [AI])
    plant(tmp_path, "2026-01-04T00:00:00Z", [dict(AI, node="hp"), AI])
    run(seed_outage, tmp_path, 10)
    assert load(tmp_path)["root_causes"][0]["first_seen"] == "2026-01-03T00:00:00Z"
    assert "first seen 2026-01-03T00:00:00Z</span>" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_the_risk_and_the_outage_it_predicted_are_one_cause(seed_outage, tmp_path):
    # the healthy mesh's warning: ai would take br-cddff8a3b81c's address at its next start
    plant(tmp_path, "2026-01-01T00:00:00Z", [{"code": "AUTODETECTION_RISK", "severity": "warning",
                                              "interface": "br-cddff8a3b81c", "first_seen": None}])
    run(seed_outage, tmp_path, 5)
    (cause,) = load(tmp_path)["root_causes"]
    assert cause["code"] == "ADDRESS_ON_DOCKER_BRIDGE" and cause["first_seen"] == "2026-01-01T00:00:00Z"
    assert history.cause_key(cause) == ("address", "ai", "br-cddff8a3b81c")
    assert history.cause_key({"code": "SESSION_DOWN", "node": None, "nodes": ["a", "b"]}) == ("SESSION_DOWN", ("a", "b"))


def test_first_seen_carries_over_pruned_runs(seed_outage, tmp_path):
    plant(tmp_path, "2026-01-02T00:00:00Z", [])
    plant(tmp_path, "2026-01-03T00:00:00Z", [dict(AI, first_seen="2025-12-24T18:00:00Z")])
    run(seed_outage, tmp_path, 10)
    assert load(tmp_path)["root_causes"][0]["first_seen"] == "2025-12-24T18:00:00Z"


def test_keeps_the_newest_n(seed_outage, tmp_path):
    for day in range(1, 6):
        plant(tmp_path, "2026-01-0%dT00:00:00Z" % day, [AI])
    run(seed_outage, tmp_path, 3)
    names = kept(tmp_path)
    assert names[:2] == ["report-20260104T000000Z.json", "report-20260105T000000Z.json"] and len(names) == 3
    assert load(tmp_path)["root_causes"][0]["first_seen"] == "2026-01-01T00:00:00Z"    # read before pruning


def test_runs_in_the_same_second_get_their_own_file(seed_outage, tmp_path, monkeypatch):
    # Both runs in one second for sure, however slow the machine: the analysis's clock stands still.
    monkeypatch.setattr(_analysis, "time", types.SimpleNamespace(time=lambda: 1764080000.25))
    first = run(seed_outage, tmp_path, 3)
    stamp = history._stamp(load(tmp_path)["generated_at"])
    plant(tmp_path, "2020-01-01T00:00:00Z", [], name="report-%s-2.json" % stamp)      # taken
    run(seed_outage, tmp_path, 3)
    names = kept(tmp_path)
    assert "report-%s.json" % stamp in names and "report-%s-3.json" % stamp in names
    assert history.history_files(str(tmp_path))[-1].endswith("-3.json")               # newest last
    del first


def test_unreadable_history_is_a_warning(seed_outage, tmp_path):
    os.makedirs(tmp_path / "history")
    (tmp_path / "history" / "report-20260101T000000Z.json").write_text("{not json", encoding="utf-8")
    plant(tmp_path, "2025-12-31T00:00:00Z", [AI])
    result = run(seed_outage, tmp_path, 5)
    (warning,) = result["warnings"]
    assert warning.startswith("mesh_check: history file ") and "report-20260101T000000Z.json skipped" in warning
    assert load(tmp_path)["root_causes"][0]["first_seen"] == "2025-12-31T00:00:00Z"
    os.unlink(tmp_path / "history" / "report-20260101T000000Z.json")   # not a report: the schema check skips it


def test_history_without_json_format_still_keeps_report_json(seed_outage, tmp_path):
    run(seed_outage, tmp_path, 2, formats=("html",))
    assert not (tmp_path / "report.json").exists() and len(kept(tmp_path)) == 1


def test_other_files_in_the_history_directory_are_left_alone(seed_outage, tmp_path):
    os.makedirs(tmp_path / "history")
    (tmp_path / "history" / "notes.txt").write_text("mine", encoding="utf-8")
    for dummy in range(3):
        run(seed_outage, tmp_path, 1)
    assert "notes.txt" in kept(tmp_path) and len(kept(tmp_path)) == 2
