# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node text made safe to show: control characters written out, never sent raw.

Names come from the nodes (interfaces, Docker networks, compose projects) and may hold any
character: a terminal escape (ESC) would recolour or rewrite the operator's terminal, most C0
characters make junit.xml ill-formed (XML 1.0 forbids them even as character references), a
line separator splits a line, bidirectional overrides reorder what is read, and an undecodable
byte that ansible-core 2.17 passed on as a lone surrogate cannot even be written as UTF-8.
``printable`` writes each such character as a visible escape (``\\x1b``, ``\\u2028``; an
undecodable byte as ``\\xNN``), keeping newlines and tabs, which the reports use themselves.
"""
from __future__ import annotations

import re

# Bidirectional embeddings, overrides and isolates (the "Trojan Source" characters).
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
_CANDIDATE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(match):
    char = match.group(0)
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:                # surrogateescape: the undecodable byte itself
        return "\\x%02x" % (code - 0xDC00)
    if code < 0x100:
        return "\\x%02x" % code
    return "\\u%04x" % code


def printable(text, keep="\n\t"):
    """TEXT with every control character (but those in KEEP), line or paragraph separator,
    bidirectional control, surrogate and non-character written as a backslash escape."""
    if not isinstance(text, str):
        text = str(text)
    if not _CANDIDATE.search(text):
        return text
    return _CANDIDATE.sub(lambda m: m.group(0) if m.group(0) in keep else _escape(m), text)
