# -*- coding: utf-8 -*-
"""docs/report.schema.json: a valid JSON Schema, strict enough to catch a report that drifts, and
consistent with the prose of docs/report-schema.md."""
from __future__ import annotations

import copy
import json
import os
import re

import jsonschema
import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis

import report_schema

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "clusters")
PROSE = os.path.join(REPO, "docs", "report-schema.md")


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory):
    with open(os.path.join(FIXTURES, "seed_outage.json"), encoding="utf-8") as handle:
        cluster = json.load(handle)
    out = tmp_path_factory.mktemp("schema")
    run_analysis({"hosts": cluster["hosts"], "datastore": cluster["datastore"], "report_dir": str(out),
                  "formats": ["json"], "history": 2, "fail_on": "never"}, cluster["hostvars"])
    with open(out / "report.json", encoding="utf-8") as handle:
        return json.load(handle)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = report_schema.load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator.check_schema(report_schema.strict(schema))
    assert schema["properties"]["schema_version"] == {"const": 1}


def test_the_seed_report_follows_it(seed_report):
    assert report_schema.problems(seed_report) == []
    jsonschema.validate(seed_report, report_schema.load_schema())       # the published, open schema too


@pytest.mark.parametrize("change, where", [
    (lambda d: d["nodes"]["ai"].update(new_key=1), "nodes/ai: Additional properties"),
    (lambda d: d["root_causes"][0].pop("first_seen"), "root_causes/0: 'first_seen' is a required property"),
    (lambda d: d["summary"].update(errors="17"), "summary/errors: '17' is not of type 'integer'"),
    (lambda d: d.update(schema_version=2), "schema_version: 1 was expected"),
    (lambda d: d["findings"][0].update(severity="fatal"), "findings/0/severity: 'fatal' is not one of"),
    (lambda d: d["sessions"]["not_established"][0].pop("state"), "sessions/not_established/0: 'state' is a required"),
    (lambda d: d["run"].update(started_at="yesterday"), "run/started_at: 'yesterday' does not match"),
])
def test_a_drifting_report_fails(seed_report, change, where):
    doc = copy.deepcopy(seed_report)
    change(doc)
    found = report_schema.problems(doc)
    assert any(p.startswith(where) for p in found), found


def test_new_keys_are_allowed_by_the_published_schema(seed_report):
    doc = copy.deepcopy(seed_report)
    doc["nodes"]["ai"]["new_key"] = 1
    jsonschema.validate(doc, report_schema.load_schema())


def _properties(schema):
    """Every property name the schema defines, anywhere."""
    names = set()
    for node in report_schema.each_object(schema):
        names.update(node.get("properties", {}))
    return names


def test_the_prose_and_the_schema_name_the_same_keys():
    with open(PROSE, encoding="utf-8") as handle:
        prose = handle.read()
    block = prose.split("## `report.json` (schema_version 1)", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    in_prose = set(re.findall(r"^\s*(?:- )?([a-z_0-9]+):", block, re.M))       # block keys
    for braces in re.findall(r"\{([^{}]*)\}", block):                        # {a: 1, b} flow mappings and key lists
        in_prose.update(m.group(1) for m in re.finditer(r"(?:^|,)\s*([a-z_0-9]+)\s*(?=[:,]|$)", braces))
    in_prose -= {"ai", "inventory", "kubernetes", "calico_log"}   # a node name, map keys (expected_candidates, sources)
    in_schema = _properties(report_schema.load_schema())
    assert sorted(in_prose - in_schema) == []
    assert sorted(in_schema - in_prose) == []
    assert "docs/report.schema.json" in prose or "report.schema.json" in prose
