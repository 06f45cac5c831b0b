# -*- coding: utf-8 -*-
"""Issue 11 item 9, controller side: names a node reports may hold control characters,
terminal escapes, markup and (from ansible-core 2.17) undecodable bytes. Every report is still
written and well-formed: junit.xml parses, report.html and the text summary hold no raw control
character, report.json round-trips the names exactly; and a report that fails is a warning."""
from __future__ import annotations

import copy
import json
import unicodedata
import xml.etree.ElementTree as ET

from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports import writer as _reports
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis

BAD = "br-\x01\x1b[31m<&>\"'\x85\u2028\udcff"


def _hostile(seed_outage):
    """seed_outage with ai's Docker bridge renamed BAD everywhere ai reports it."""
    facts = copy.deepcopy(seed_outage["hostvars"]["ai"]["meshdoctor"])
    text = json.dumps(facts).replace("br-cddff8a3b81c", json.dumps(BAD)[1:-1])
    hostvars = dict(seed_outage["hostvars"], ai=dict(seed_outage["hostvars"]["ai"], meshdoctor=json.loads(text)))
    return hostvars


def _run(seed_outage, hostvars, report_dir, formats=("json", "junit", "html", "text")):
    args = {"hosts": seed_outage["hosts"], "datastore": seed_outage["datastore"], "results": {},
            "report_dir": str(report_dir), "formats": list(formats), "fail_on": "never"}
    return run_analysis(args, hostvars)


def _raw_controls(text):
    return sorted({"U+%04X" % ord(c) for c in text if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t"})


def test_reports_of_adversarial_names_are_well_formed(seed_outage, tmp_path):
    result = _run(seed_outage, _hostile(seed_outage), tmp_path)
    assert not result.get("warnings"), result.get("warnings")
    assert len(result["report_files"]) == 4
    assert any(BAD in f["message"] for f in result["findings"])              # the finding names the bridge

    ET.parse(str(tmp_path / "junit.xml"))                                       # well-formed XML
    for name in ("junit.xml", "report.html", "summary.txt"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert _raw_controls(text) == [], name
        assert "\\x1b" in text, name                                            # escaped, not dropped
    assert _raw_controls(result["summary_text"]) == []
    assert "<&>" not in (tmp_path / "report.html").read_text(encoding="utf-8")

    with open(str(tmp_path / "report.json"), encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["nodes"]["ai"]["detected_interface"] == BAD                # lossless round trip
    assert json.loads(json.dumps(document)) == document


def test_a_failing_report_is_a_warning(seed_outage, tmp_path, monkeypatch):
    def boom(_analysis):
        raise KeyError("boom")

    def cannot_encode(path, text):
        raise UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed")

    formats = dict(_reports.FORMATS)
    formats["html"] = _reports.Format("report.html", boom)
    monkeypatch.setattr(_reports, "FORMATS", formats)
    result = _run(seed_outage, seed_outage["hostvars"], tmp_path, formats=("json", "html"))
    assert [w for w in result["warnings"] if "report.html not rendered (KeyError" in w]
    monkeypatch.setattr(_reports, "_write", cannot_encode)
    result = _run(seed_outage, seed_outage["hostvars"], tmp_path, formats=("json",))
    assert result["report_files"] == [] and [w for w in result["warnings"] if "report.json" in w]
