# -*- coding: utf-8 -*-
"""docs/findings.md is what docs/gen_findings.py writes from the check registry and the rules."""
from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "docs"))

import gen_findings  # noqa: E402  pylint: disable=wrong-import-position


def test_findings_doc_is_current():
    with open(gen_findings.TARGET, encoding="utf-8") as handle:
        current = handle.read()
    assert current == gen_findings.render(), "docs/findings.md is not current: run .venv/bin/python docs/gen_findings.py"


def test_every_code_and_rule_is_in_the_doc():
    checks, rules = gen_findings._import_plugin_utils()
    text = gen_findings.render()
    for code, info in checks.CODES.items():
        assert "| `%s` | %s | %s |" % (code, info.severity, info.family) in text
    for rule in rules.RULES:
        assert "| %d | `%s`" % (rule.priority, rule.codes[0]) in text
