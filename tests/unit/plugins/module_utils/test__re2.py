"""Go RE2 (what calico-node compiles interface regexps with) modelled with Python's re.

The reference is Go's own regexp package: go_regexp_cases.json was recorded from Go 1.19.8
(the Go of the Calico v3.24-v3.26 builds) by tests/unit/fixtures/re2/record.py; every case must
give the same compile error, or the same MatchString answer for every name. The rules are
those of src/regexp/syntax/parse.go at go1.19 (parse, parsePerlFlags, parseEscape, parseClass,
repeat / repeatIsValid), with the syntax.Perl flags regexp.Compile uses.
"""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.meshdoctor.calico.plugins.module_utils._re2 import (
    RE2Error,
    Untranslatable,
    compile_re2,
    search,
    translate,
)

from fixtures import fixture_json

RECORDED = fixture_json("re2", "go_regexp_cases.json")


def _answer(pattern):
    try:
        rx = compile_re2(pattern, angle_names=False)      # Go 1.19 has no (?<name>...)
    except RE2Error as exc:
        return str(exc), []
    return "", [n for n in RECORDED["names"] if rx.search(n) is not None]


@pytest.mark.parametrize("case", RECORDED["cases"], ids=lambda c: repr(c["pattern"]))
def test_agrees_with_go_regexp(case):
    error, matches = _answer(case["pattern"])
    assert error == case["error"]
    assert matches == case["matches"]


@pytest.mark.parametrize("pattern,go_error", [
    ("(?!docker)", "invalid or unsupported Perl syntax: `(?!`"),          # look-ahead
    ("(?<!x)eth", "invalid or unsupported Perl syntax: `(?<`"),           # look-behind (Go < 1.22)
    ("(eth)\\1", "invalid escape sequence: `\\1`"),                       # backreference
    ("eth0\\Z", "invalid escape sequence: `\\Z`"),                        # Python's end of string
    ("(?>eth)", "invalid or unsupported Perl syntax: `(?>`"),             # atomic group
    ("eth.*+", "invalid nested repetition operator: `*+`"),               # possessive quantifier
    ("a{1001}", "invalid repeat count: `{1001}`"),
    ("(a{100}){100}", "invalid repeat count: `{100}`"),                   # repeatIsValid: product > 1000
])
def test_python_valid_but_re2_invalid(pattern, go_error):
    re.compile(pattern)                                  # Python accepts each of these
    with pytest.raises(RE2Error) as info:
        translate(pattern, angle_names=False)
    assert str(info.value) == "error parsing regexp: " + go_error


@pytest.mark.parametrize("pattern,name,matches", [
    ("eth[[:digit:]]", "eth0", True),        # POSIX class inside a class
    ("\\pN$", "eth\u0663", True),            # Unicode category
    ("\\d$", "eth\u0663", False),            # \d is ASCII in Go, Unicode in Python
    ("eth0\\z", "eth0", True),               # \z: end of text
    ("e(?i)TH0", "eth0", True),              # a flag in the middle lasts to the group's end
    ("e(?i)TH0", "Eth0", False),
    ("(?U)et+", "ettt", True),               # (?U) swaps greediness; still a match
    ("\\12", "\n", True),                    # octal escape, not a backreference
    ("a{,3}", "a{,3}", True),                # not a repeat in Go: literal braces
    ("(?i)k", "\u212a", True),               # Kelvin sign folds with k (unicode.SimpleFold)
    ("(?i)i", "\u0130", False),              # ...but U+0130 does not fold with i in Go
    ("^lo", "wlo1", False),
    ("lo", "wlo1", True),                    # MatchString searches
])
def test_re2_semantics(pattern, name, matches):
    assert search(pattern, name) is matches


def test_angle_bracket_names_depend_on_the_go_release():
    assert search("(?<n>eth)0", "eth0", angle_names=True)      # Go 1.22+ (Calico v3.28+)
    with pytest.raises(RE2Error):
        translate("(?<n>eth)0", angle_names=False)


def test_unicode_scripts_are_not_guessed():
    with pytest.raises(Untranslatable) as info:
        translate("\\p{Greek}")
    assert "\\p{Greek}" in str(info.value)


def _go_quote(text):
    # Go's regexp.QuoteMeta: a backslash before every special character.
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_quoted_text_matches_itself(text):
    assert search("^" + _go_quote(text) + "$", text)
    assert search(_go_quote(text), "x" + text + "y")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab()[]{}^$.*+?|\\-:,0123456789PpdwsQEzZiU<>=!#", max_size=12))
def test_any_text_compiles_or_is_refused_cleanly(pattern):
    try:
        rx = compile_re2(pattern)
    except (RE2Error, Untranslatable):
        return
    rx.search("eth0")
