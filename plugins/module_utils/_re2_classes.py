# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Character classes of Go's regexp/syntax as code-point ranges, for `_re2`.

Go's Perl classes (`\\d \\s \\w`) and POSIX classes (`[:alpha:]`) are ASCII only; `\\pN` uses
Go's unicode.Categories (where `C` is Cc|Cf|Co|Cs, without Cn), here built from Python's
`unicodedata`. Case folding follows Go's unicode.SimpleFold orbits, built from Python's case
tables: a code point's orbit is every code point with the same simple case fold (so U+212A
KELVIN SIGN folds with k and K, and U+0130 folds with nothing, as in Go).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

MAX_RUNE = 0x10FFFF
MAX_REPEAT = 1000

PERL = {"d": [(0x30, 0x39)], "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
        "w": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]}
POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)], "blank": [(0x09, 0x09), (0x20, 0x20)], "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)], "graph": [(0x21, 0x7E)], "lower": [(0x61, 0x7A)], "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)], "upper": [(0x41, 0x5A)],
    "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
# Go's unicode.Categories keys; "C" there is Cc|Cf|Co|Cs (no Cn).
CATEGORIES = ("C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
              "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps",
              "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs")
_CATEGORY_CACHE = {}
_ORBITS = {}
MIN_FOLD, MAX_FOLD = 0x41, 0x1E943


def _in_category(category, name):
    """Whether Python's general CATEGORY of a code point belongs to Go's category NAME."""
    if name == "C":
        return category in ("Cc", "Cf", "Co", "Cs")
    return category[0] == name if len(name) == 1 else category == name


def category_ranges(name):
    """Go's unicode.Categories[NAME] as code-point ranges (built once from unicodedata)."""
    if name not in _CATEGORY_CACHE:
        ranges, start = [], None
        for code in range(MAX_RUNE + 2):
            inside = code <= MAX_RUNE and _in_category(unicodedata.category(chr(code)), name)
            if inside and start is None:
                start = code
            elif not inside and start is not None:
                ranges.append((start, code - 1))
                start = None
        _CATEGORY_CACHE[name] = ranges
    return list(_CATEGORY_CACHE[name])


def negate(ranges):
    out, nxt = [], 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= MAX_RUNE:
        out.append((nxt, MAX_RUNE))
    return out


def char(code):
    if code < 0x80 and (chr(code).isalnum() or chr(code) == "_"):
        return chr(code)
    return "\\U%08x" % code


def orbits():
    """{code point: its case-folding orbit} (Go's unicode.SimpleFold orbits, from Python's tables)."""
    if not _ORBITS:
        groups = {}
        for code in range(MIN_FOLD, MAX_FOLD + 1):
            char = chr(code)
            key = char.casefold()
            if len(key) != 1:
                key = char.lower() if len(char.lower()) == 1 else char
            groups.setdefault(key, []).append(code)
        for members in groups.values():
            if len(members) > 1:
                for code in members:
                    _ORBITS[code] = members
    return _ORBITS


def fold(ranges):
    """RANGES plus every code point that folds to one in them (Go's appendFoldedRange)."""
    table, extra = orbits(), []
    for lo, hi in ranges:
        for code in range(max(lo, MIN_FOLD), min(hi, MAX_FOLD) + 1):
            extra.extend((other, other) for other in table.get(code, ()))
    return list(ranges) + extra


def char_class(ranges):
    merged = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    body = "".join(char(lo) if lo == hi else "%s-%s" % (char(lo), char(hi)) for lo, hi in merged)
    return "[%s]" % body if body else "[^\\x00-\\U0010ffff]"
