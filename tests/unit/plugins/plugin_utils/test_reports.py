# -*- coding: utf-8 -*-
"""The reports render the analysis faithfully and never break it."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import analyse, run_analysis
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.checks import FAMILIES
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports.html_report import render_html
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports.junit_report import render_junit
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports.svg_mesh import render_svg
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.reports.text_summary import render_text

from synthetic import make_cluster, own_facts


def _seed_args(cluster, report_dir, **extra):
    args = {"hosts": cluster["hosts"], "datastore": cluster["datastore"], "report_dir": str(report_dir)}
    args.update(extra)
    return args


def test_reports_written(seed_outage, tmp_path):
    result = run_analysis(_seed_args(seed_outage, tmp_path / "out", formats=["json", "junit", "html", "text"]),
                          seed_outage["hostvars"])
    names = sorted(os.path.basename(p) for p in result["report_files"])
    assert names == ["junit.xml", "report.html", "report.json", "summary.txt"]
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in result["report_files"])
    assert "warnings" not in result


def test_json_schema(seed_outage, tmp_path):
    run_analysis(_seed_args(seed_outage, tmp_path, formats=["json"]), seed_outage["hostvars"])
    with open(tmp_path / "report.json", encoding="utf-8") as handle:
        doc = json.load(handle)
    assert doc["schema_version"] == 1 and doc["generated_at"].endswith("Z")
    assert {"nodes", "errors", "warnings", "infos"} <= set(doc["summary"])
    assert doc["summary"]["nodes"] == 4 and doc["summary"]["errors"] == 17
    assert set(doc["nodes"]) == {"ai", "hp", "master", "ml"}
    ai = doc["nodes"]["ai"]
    assert ai["expected_address"] == "192.168.1.188" and ai["router_id"] == "172.19.0.1"
    assert ai["bridges"][1]["network_name"] == "gerrit_default"
    for item in doc["findings"]:
        assert {"code", "severity", "node", "message", "evidence"} <= set(item)
    (cause,) = doc["root_causes"]
    assert {"node", "message", "interface", "detected_address", "expected_address", "fix"} <= set(cause)
    assert cause["interface"] == "br-cddff8a3b81c"
    assert doc["sessions"]["total"] == 12 and len(doc["sessions"]["not_established"]) == 6


def test_junit_parses(seed_outage):
    analysis = analyse(seed_outage["hosts"], seed_outage["hostvars"], datastore=seed_outage["datastore"])
    root = ET.fromstring(render_junit(analysis))
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(FAMILIES) * 4 + 1          # + the datastore's "cluster" case
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert ("meshdoctor.address", "ai") in failed
    assert ("meshdoctor.sessions", "ml") in failed and ("meshdoctor.routes", "hp") in failed
    assert ("meshdoctor.calico_node", "ai") not in failed
    assert int(root.get("failures")) == len(failed)
    bridge_case = next(c for c in cases if c.get("classname") == "meshdoctor.docker_bridges" and c.get("name") == "ai")
    assert "STRAY_DOCKER_BRIDGE" in bridge_case.find("system-out").text


def test_html_has_svg_and_escapes():
    hv, dummy = make_cluster(4)
    own_facts(hv, "node-3")["hostname"] = '<script>alert("x")</script>&'
    analysis = analyse(list(hv), hv)          # no datastore: the host name is the node name
    page = render_html(analysis)
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "</svg>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained
    assert 'stroke="#d62728" stroke-width="3"' in page          # the red ring around node-1


@pytest.mark.parametrize("n,max_lines", [(24, 24 * 23), (100, 100 * 99), (300, 2000)])
def test_svg_scales(n, max_lines):
    hostvars, datastore = make_cluster(n)
    analysis = analyse(list(hostvars), hostvars, datastore=datastore)
    svg = render_svg(analysis)
    lines = svg.count("<line ")
    assert 0 < lines <= max_lines
    if n == 24:
        assert lines == 24 * 23 and svg.count("marker-end") == lines     # every directed session an arrow
        assert svg.count('class="label') == 24
    if n == 300:
        assert lines == 2 * 299 and "Established sessions not drawn" in svg


SVG = "{http://www.w3.org/2000/svg}"


def _label_fits(svg_text):
    """Every label, drawn with 0.6em-wide glyphs, lies inside the viewBox; returns the viewBox."""
    root = ET.fromstring(svg_text)
    x0, y0, width, height = (float(v) for v in root.get("viewBox").split())
    assert float(root.get("width")) == width and float(root.get("height")) == height
    for text in root.iter(SVG + "text"):
        if "label" not in (text.get("class") or ""):
            continue
        lines = [text.text] + [span.text for span in text.findall(SVG + "tspan")]
        longest = max(len(line) * 0.6 * 12 for line in lines)
        x, anchor = float(text.get("x")), text.get("text-anchor")
        left = x if anchor == "start" else x - longest if anchor == "end" else x - longest / 2
        assert x0 <= left and left + longest <= x0 + width, (lines, left, longest, x0, width)
        assert y0 <= float(text.get("y")) - 12 and float(text.get("y")) + 14 * len(lines) <= y0 + height, lines
    return root


@pytest.mark.parametrize("order", [["master", "ai", "hp", "ml"], ["hp", "ml", "master", "ai"],
                                   ["ai", "hp", "master", "ml"]])
def test_svg_labels_are_not_cut_off(seed_outage, order):
    """ai's 'expected 192.168.1.188' fits whether ai sits on the right, the left or at the top."""
    analysis = analyse(order, seed_outage["hostvars"], datastore=seed_outage["datastore"])
    svg = render_svg(analysis)
    assert "expected 192.168.1.188" in svg
    _label_fits(svg)


def test_svg_labels_fit_at_24_nodes_and_past_the_label_limit():
    for n in (24, 130):
        hostvars, datastore = make_cluster(n, broken=("node-1", "node-%d" % (n // 4 + 1)))
        _label_fits(render_svg(analyse(list(hostvars), hostvars, datastore=datastore)))


def _fills(svg_text):
    """{node name: fill of its dot} (the dot is the circle with a stroke of #333)."""
    root = ET.fromstring(svg_text)
    out = {}
    for group in root.iter(SVG + "g"):
        if group.get("class") != "node":
            continue
        name = group.find(SVG + "title").text.split()[0]
        dot = next(c for c in group.findall(SVG + "circle") if c.get("stroke") == "#333")
        rings = [c.get("stroke") for c in group.findall(SVG + "circle") if c.get("fill") == "none"]
        out[name] = (dot.get("fill"), tuple(rings))
    return out


def test_svg_colours_cause_red_symptoms_amber_healthy_green(seed_outage, seed_healthy_bridge):
    fills = _fills(render_svg(analyse(seed_outage["hosts"], seed_outage["hostvars"],
                                      datastore=seed_outage["datastore"])))
    assert fills["ai"] == ("#d62728", ("#d62728",))                       # the root cause: red, red ring
    assert {fills[n] for n in ("hp", "master", "ml")} == {("#f2c14e", ())}  # only its sessions to ai: amber
    fills = _fills(render_svg(analyse(seed_healthy_bridge["hosts"], seed_healthy_bridge["hostvars"],
                                      datastore=seed_healthy_bridge["datastore"])))
    assert fills["ai"] == ("#ff8c00", ("#ff8c00",))                       # latent risk: orange ring
    assert {fills[n] for n in ("hp", "master", "ml")} == {("#2e9e44", ())}  # healthy: green
    hostvars, datastore = make_cluster(24, broken=(), calico_down=("node-5",))
    fills = _fills(render_svg(analyse(list(hostvars), hostvars, datastore=datastore)))
    assert fills["node-5"][0] == "#d62728" and fills["node-6"][0] == "#f2c14e"


def test_text_summary_limits_rows():
    hv, ds = make_cluster(100)
    text = render_text(analyse(list(hv), hv, ds))
    lines = text.splitlines()
    assert lines[1].split()[:3] == ["NODE", "EXPECTED", "CALICO"]
    assert any(line.startswith("... ") and "more nodes not shown" in line for line in lines)
    assert "Root causes:" in text


def test_unwritable_report_dir_is_a_warning(seed_outage, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_analysis(_seed_args(seed_outage, blocker / "reports"), seed_outage["hostvars"])
    assert result["report_files"] == []
    assert result["warnings"] and "reports not written" in result["warnings"][0]
    assert result["failed"] is True and result["msg"].startswith("ai: calico-node autodetected")


def test_no_formats_writes_nothing(seed_outage, tmp_path):
    result = run_analysis(_seed_args(seed_outage, tmp_path / "none", formats=[]), seed_outage["hostvars"])
    assert result["report_files"] == [] and not (tmp_path / "none").exists()
