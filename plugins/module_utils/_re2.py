# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Go RE2 regexps (what calico-node compiles) checked and matched with Python's `re`.

calico-node compiles interface regexps with Go's `regexp.Compile`, i.e. Go's RE2 syntax with
the `syntax.Perl` flags (src/regexp/syntax/parse.go in golang/go): `^`/`$` match at the ends
of the text, `.` does not match a newline, `[^a]` does, `\\d \\s \\w \\b` are ASCII only,
`(?flags)` may appear anywhere and lasts until the enclosing group ends, `\\z` is the end of
the text, `\\Q...\\E` quotes, `\\pN`/`\\p{Lu}` name Unicode categories, `[[:digit:]]` POSIX classes,
and `\\12` is an octal escape. RE2 has no look-arounds, backreferences, `\\Z`, atomic groups
or possessive quantifiers: Go refuses them.

`translate` reads a pattern the way Go's parser does, left to right, and either raises
`RE2Error` with Go's own message (`error parsing regexp: <code>: `<expr>``), raises
`Untranslatable` when the pattern is valid RE2 but cannot be matched exactly with the
standard library (Unicode scripts such as `\\p{Greek}`), or returns an equivalent Python
pattern: every atom is written out explicitly (flags applied per atom, classes as code-point
ranges), so Python's own defaults never leak in. Matching answers the one question Calico
asks, `MatchString` (is there a match anywhere), so capture groups and greediness only need
to be kept, not exact.

Not exact: case folding of non-ASCII letters follows Python's Unicode tables, which also fold
U+0130/U+0131 with i/I where Go does not; `\\p{..}` categories use Python's Unicode version;
Go's size limit for huge compiled programs ("expression too large") is not modelled.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._re2_classes import (
    CATEGORIES,
    MAX_FOLD,
    MAX_REPEAT,
    MAX_RUNE,
    MIN_FOLD,
    PERL,
    POSIX,
    category_ranges,
    char,
    char_class,
    fold,
    negate,
    orbits,
)

_ASCII_WORD = "[0-9A-Za-z_]"
_WORD_BOUNDARY = "(?:(?<=%s)(?!%s)|(?<!%s)(?=%s))" % ((_ASCII_WORD,) * 4)
_NOT_WORD_BOUNDARY = "(?:(?<=%s)(?=%s)|(?<!%s)(?!%s))" % ((_ASCII_WORD,) * 4)
_COMPILED = {}


class RE2Error(ValueError):
    """A pattern Go's regexp/syntax refuses; str() is Go's message."""

    def __init__(self, code, expr):
        ValueError.__init__(self, code, expr)
        self.code = code
        self.expr = expr

    def __str__(self):
        return "error parsing regexp: %s: `%s`" % (self.code, self.expr)


class Untranslatable(ValueError):
    """Valid for Go (as far as can be told) but not matchable exactly here."""


class _Frame(object):
    def __init__(self, flags, capture):
        self.flags = flags          # flags at the '(' (restored at ')')
        self.capture = capture
        self.branches = []
        self.items = []             # [(python text, repeat weight)]


class _Parser(object):
    def __init__(self, pattern, angle_names):
        self.s = pattern
        self.angle_names = angle_names
        self.flags = {"i": False, "m": False, "s": False, "U": False}
        self.stack = [_Frame(dict(self.flags), False)]

    # ------------------------------------------------------------------ helpers
    def push(self, text, weight=1):
        self.stack[-1].items.append((text, weight))

    def literal(self, code):
        orbit = orbits().get(code) if self.flags["i"] and MIN_FOLD <= code <= MAX_FOLD else None
        self.push(char_class([(c, c) for c in orbit]) if orbit else char(code))

    def group(self, ranges, negated):
        """A Perl, POSIX or Unicode group: folded first, then negated (Go's appendGroup)."""
        if self.flags["i"]:
            ranges = fold(ranges)
        return negate(ranges) if negated else ranges

    def escape(self, pos):
        """Go's parseEscape at s[pos] == '\\': -> (code point, next pos)."""
        s = self.s
        if pos + 1 >= len(s):
            raise RE2Error("trailing backslash at end of expression", "")
        c = s[pos + 1]
        nxt = pos + 2
        if c in "1234567" and not (nxt < len(s) and s[nxt] in "01234567"):
            raise RE2Error("invalid escape sequence", s[pos:nxt])
        if c in "01234567":
            value, count = int(c), 1
            while count < 3 and nxt < len(s) and s[nxt] in "01234567":
                value, nxt, count = value * 8 + int(s[nxt]), nxt + 1, count + 1
            return value, nxt
        if c == "x":
            return self.hex_escape(pos)
        simple = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
        if c in simple:
            return simple[c], nxt
        if ord(c) < 0x80 and not c.isalnum():
            return ord(c), nxt
        raise RE2Error("invalid escape sequence", s[pos:nxt])

    def hex_escape(self, pos):
        s = self.s
        nxt = pos + 2
        if nxt >= len(s):
            raise RE2Error("invalid escape sequence", s[pos:nxt])
        if s[nxt] == "{":
            end = nxt + 1
            value, digits = 0, 0
            while True:
                if end >= len(s):
                    raise RE2Error("invalid escape sequence", s[pos:end])
                ch = s[end]
                end += 1
                if ch == "}":
                    break
                if ch not in "0123456789abcdefABCDEF":
                    raise RE2Error("invalid escape sequence", s[pos:end])
                value, digits = value * 16 + int(ch, 16), digits + 1
                if value > MAX_RUNE:
                    raise RE2Error("invalid escape sequence", s[pos:end])
            if digits == 0:
                raise RE2Error("invalid escape sequence", s[pos:end])
            return value, end
        pair = s[nxt:nxt + 2]
        if len(pair) < 2 or any(ch not in "0123456789abcdefABCDEF" for ch in pair):
            raise RE2Error("invalid escape sequence", s[pos:min(len(s), nxt + 2)])
        return int(pair, 16), nxt + 2

    def unicode_class(self, pos):
        """\\pN, \\p{Name}, \\PN, \\P{^Name} at pos -> (ranges, next pos)."""
        s = self.s
        negated = s[pos + 1] == "P"
        if pos + 2 < len(s) and s[pos + 2] == "{":
            end = s.find("}", pos)
            if end < 0:
                raise RE2Error("invalid character class range", s[pos:])
            seq, name, nxt = s[pos:end + 1], s[pos + 3:end], end + 1
        else:
            nxt = min(len(s), pos + 3)
            seq, name = s[pos:nxt], s[pos + 2:nxt]
        if name.startswith("^"):
            negated, name = not negated, name[1:]
        if name == "Any":
            ranges = [(0, MAX_RUNE)]
        elif name in CATEGORIES:
            ranges = category_ranges(name)
        elif len(name) > 1 and re.match(r"^[A-Za-z_]+$", name):
            raise Untranslatable("%s is not a Unicode general category (a script or alias): it cannot be "
                                 "matched exactly with Python's standard library" % seq)
        else:
            raise RE2Error("invalid character class range", seq)
        return self.group(ranges, negated), nxt

    # ------------------------------------------------------------------ classes
    def parse_class(self, pos):
        s = self.s
        start, t = pos, pos + 1
        negated = t < len(s) and s[t] == "^"
        if negated:
            t += 1
        ranges, first = [], True
        while t >= len(s) or s[t] != "]" or first:
            if t >= len(s):
                raise RE2Error("missing closing ]", s[start:])
            first = False
            if s.startswith("[:", t):
                end = s.find(":]", t + 2)
                if end >= 0:
                    name = s[t:end + 2]
                    inner = name[2:-2]
                    neg = inner.startswith("^")
                    group = POSIX.get(inner[1:] if neg else inner)
                    if group is None:
                        raise RE2Error("invalid character class range", name)
                    ranges.extend(self.group(group, neg))
                    t = end + 2
                    continue
            if s[t] == "\\" and t + 1 < len(s) and s[t + 1] in "pP":
                more, t = self.unicode_class(t)
                ranges.extend(more)
                continue
            if s[t] == "\\" and t + 1 < len(s) and s[t + 1] in "dswDSW":
                group = PERL[s[t + 1].lower()]
                ranges.extend(self.group(group, s[t + 1].isupper()))
                t += 2
                continue
            rng = t
            lo, t = self.classchar(t, start)
            hi = lo
            if t + 1 < len(s) and s[t] == "-" and s[t + 1] != "]":
                hi, t = self.classchar(t + 1, start)
                if hi < lo:
                    raise RE2Error("invalid character class range", s[rng:t])
            ranges.extend(fold([(lo, hi)]) if self.flags["i"] else [(lo, hi)])
        self.push(char_class(negate(ranges) if negated else ranges))
        return t + 1

    def classchar(self, t, start):
        if t >= len(self.s):
            raise RE2Error("missing closing ]", self.s[start:])
        if self.s[t] == "\\":
            return self.escape(t)
        return ord(self.s[t]), t + 1

    # ------------------------------------------------------------------ groups
    def perl_flags(self, pos):
        s = self.s
        if (len(s) - pos > 4 and s.startswith("(?P<", pos)) or \
                (self.angle_names and len(s) - pos > 3 and s.startswith("(?<", pos)):
            begin = pos + (4 if s[pos + 2] == "P" else 3)
            end = s.find(">", pos)
            if end < 0:
                raise RE2Error("invalid named capture", s[pos:])
            if not re.match(r"^[A-Za-z0-9_]+$", s[begin:end]):
                raise RE2Error("invalid named capture", s[pos:end + 1])
            self.stack.append(_Frame(dict(self.flags), True))
            return end + 1
        flags, sign, saw, t = dict(self.flags), 1, False, pos + 2
        while t < len(s):
            c = s[t]
            t += 1
            if c in "imsU":
                flags[c] = sign > 0
                saw = True
            elif c == "-" and sign > 0:
                sign, saw = -1, False
            elif c in ":)":
                if sign < 0 and not saw:
                    break
                if c == ":":
                    self.stack.append(_Frame(dict(self.flags), False))
                self.flags = flags
                return t
            else:
                break
        raise RE2Error("invalid or unsupported Perl syntax", s[pos:t])

    def close_group(self):
        if len(self.stack) < 2:
            raise RE2Error("unexpected )", self.s)
        frame = self.stack.pop()
        text, weight = self.alternation(frame)
        self.flags = frame.flags
        self.push(text, weight)

    @staticmethod
    def alternation(frame):
        branches = frame.branches + [frame.items]
        weight = max([w for items in branches for _t, w in items] or [1])
        return "(?:%s)" % "|".join("".join(t for t, _w in items) for items in branches), weight

    # ------------------------------------------------------------------ repeats
    def repeat(self, op, lo, hi, op_text, last_repeat):
        if last_repeat is not None:
            raise RE2Error("invalid nested repetition operator", last_repeat + op_text)
        items = self.stack[-1].items
        if not items:
            raise RE2Error("missing argument to repetition operator", op_text)
        text, weight = items.pop()
        lazy = self.flags["U"] != (len(op_text) > 1 and op_text.endswith("?"))
        if op == "{":
            top = hi if hi != -1 else lo
            if hi == 0:
                weight = 1
            elif top > 0:
                weight *= top
            quant = "{%d}" % lo if lo == hi else ("{%d,}" % lo if hi == -1 else "{%d,%d}" % (lo, hi))
            if (lo >= 2 or hi >= 2) and weight > MAX_REPEAT:
                raise RE2Error("invalid repeat count", op_text)
        else:
            quant = op
        items.append(("(?:%s)%s%s" % (text, quant, "?" if lazy else ""), weight))

    def parse_repeat(self, pos):
        match = re.match(r"\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}", self.s[pos:])
        if not match:
            return None
        lo = int(match.group(1)) if len(match.group(1)) <= 8 else -1
        if match.group(2) is None:
            hi = lo
        elif match.group(3) is None:
            hi = -1
        else:
            hi = int(match.group(3)) if len(match.group(3)) <= 8 else -1
            if hi == -1:
                lo = -1
        return lo, hi, pos + match.end()

    # ------------------------------------------------------------------ main loop
    def parse(self):
        s = self.s
        if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
            raise RE2Error("invalid UTF-8", s)
        pos, last_repeat = 0, None
        while pos < len(s):
            c, repeat_from = s[pos], None
            if c == "(":
                if s.startswith("(?", pos):
                    pos = self.perl_flags(pos)
                else:
                    self.stack.append(_Frame(dict(self.flags), True))
                    pos += 1
            elif c == "|":
                frame = self.stack[-1]
                frame.branches.append(frame.items)
                frame.items = []
                pos += 1
            elif c == ")":
                self.close_group()
                pos += 1
            elif c == "^":
                self.push("(?:\\A|(?<=\\n))" if self.flags["m"] else "\\A")
                pos += 1
            elif c == "$":
                self.push("(?=\\n|\\Z)" if self.flags["m"] else "\\Z")
                pos += 1
            elif c == ".":
                self.push("(?s:.)" if self.flags["s"] else "[^\\n]")
                pos += 1
            elif c == "[":
                pos = self.parse_class(pos)
            elif c in "*+?":
                end = pos + 2 if s.startswith("?", pos + 1) else pos + 1
                self.repeat(c, 0, 0, s[pos:end], last_repeat)
                repeat_from, pos = s[pos:end], end
            elif c == "{":
                parsed = self.parse_repeat(pos)
                if parsed is None:
                    self.literal(ord("{"))
                    pos += 1
                else:
                    lo, hi, end = parsed
                    if s.startswith("?", end):
                        end += 1
                    if lo < 0 or lo > MAX_REPEAT or hi > MAX_REPEAT or (hi >= 0 and lo > hi):
                        raise RE2Error("invalid repeat count", s[pos:parsed[2]])
                    self.repeat("{", lo, hi, s[pos:end], last_repeat)
                    repeat_from, pos = s[pos:end], end
            elif c == "\\":
                pos = self.backslash(pos)
            else:
                self.literal(ord(c))
                pos += 1
            last_repeat = repeat_from
        if len(self.stack) != 1:
            raise RE2Error("missing closing )", s)
        return self.alternation(self.stack[0])[0]

    def backslash(self, pos):
        s = self.s
        nxt = s[pos + 1] if pos + 1 < len(s) else ""
        if nxt in ("A", "z", "b", "B"):
            self.push({"A": "\\A", "z": "\\Z", "b": _WORD_BOUNDARY, "B": _NOT_WORD_BOUNDARY}[nxt])
            return pos + 2
        if nxt == "C":
            raise RE2Error("invalid escape sequence", "\\C")
        if nxt == "Q":
            end = s.find("\\E", pos + 2)
            body = s[pos + 2:] if end < 0 else s[pos + 2:end]
            for ch in body:
                self.literal(ord(ch))
            return len(s) if end < 0 else end + 2
        if nxt in ("p", "P"):
            ranges, after = self.unicode_class(pos)
            self.push(char_class(ranges))
            return after
        if nxt and nxt in "dswDSW":
            group = PERL[nxt.lower()]
            self.push(char_class(self.group(group, nxt.isupper())))
            return pos + 2
        code, after = self.escape(pos)
        self.literal(code)
        return after


def translate(pattern, angle_names=True):
    """The Python pattern equivalent to Go RE2 PATTERN (for searching), or raise.

    ANGLE_NAMES: whether `(?<name>...)` is valid (Go 1.22 and later; older Go refuses it).
    """
    return _Parser(pattern, angle_names).parse()


def compile_re2(pattern, angle_names=True):
    """A compiled Python regexp that searches like Go's regexp.MustCompile(PATTERN).MatchString."""
    key = (pattern, angle_names)
    if key not in _COMPILED:
        text = translate(pattern, angle_names)
        try:
            _COMPILED[key] = re.compile(text)
        except (re.error, OverflowError, RecursionError) as exc:
            raise Untranslatable("valid RE2, but Python cannot compile its translation: %s" % exc)
    return _COMPILED[key]


def go_text(name):
    """NAME as Go's regexp sees it: bytes that were not UTF-8 (surrogate escapes) read as U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in name)


def search(pattern, name, angle_names=True):
    """Go's regexp.MatchString(PATTERN, NAME): True/False, or raise RE2Error / Untranslatable."""
    return compile_re2(pattern, angle_names).search(go_text(name)) is not None
