# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One finding: what a check reports, with its registered code, severity and family.

A finding is a plain dict (so it serialises as it is)::

    {"id": "F0001", "code": "SESSION_DOWN", "severity": "error", "check": "sessions",
     "node": "master", "message": "...", "evidence": {...}}

``id`` is given after all checks ran (plugin_utils._findings.sort_and_number); ``node`` is
``None`` for cluster-wide findings; ``check`` is the code's family. ``evidence`` holds the facts
the check looked at; where a finding involves a second node it names it in
``evidence.peer_node`` (or ``evidence.nodes``), which is what root-cause grouping follows.
"""
from __future__ import annotations

from . import CODES


def finding(code, node, message, evidence=None, severity=None):
    """One finding; severity and family come from the registry unless severity is given."""
    info = CODES[code]
    return {
        "id": None,
        "code": code,
        "severity": severity or info.severity,
        "check": info.family,
        "node": node,
        "message": message,
        "evidence": evidence or {},
    }
