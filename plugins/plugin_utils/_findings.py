# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lists of findings: order and number them, count and rank them by severity.

The codes themselves (severity, family, meaning, evidence) are registered by the checks
(checks/__init__.py); a single finding is made by checks._finding.finding.
"""
from __future__ import annotations

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def sort_and_number(findings):
    """Sort findings (severity, code, node, message) and give each an id F0001, F0002, ..."""
    findings.sort(key=lambda f: (SEVERITY_RANK[f["severity"]], f["code"], f["node"] or "", f["message"]))
    for i, item in enumerate(findings, 1):
        item["id"] = "F%04d" % i
    return findings


def count_by_severity(findings):
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for item in findings:
        counts[item["severity"] + "s"] += 1
    return counts


def worst_severity(findings):
    """'error', 'warning', 'info' or None for no findings."""
    best = None
    for item in findings:
        rank = SEVERITY_RANK[item["severity"]]
        if best is None or rank < best:
            best = rank
            if rank == 0:
                break
    return None if best is None else SEVERITIES[best]


def meets_threshold(findings, fail_on):
    """True when a finding at least as bad as fail_on (error|warning) exists; never for 'never'."""
    if fail_on == "never":
        return False
    limit = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK[f["severity"]] <= limit for f in findings)
