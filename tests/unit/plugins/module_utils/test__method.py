"""The IP_AUTODETECTION_METHOD grammar (parse_method) and the pin validator (pin_problem).

Go rules cited as FILE:LINE@TAG in projectcalico/calico (node/pkg/lifecycle/startup/
autodetection/...) or projectcalico/node (pkg/.../startup.go) where the release predates v3.22.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.meshdoctor.calico.plugins.module_utils._method import (
    go_split,
    parse_cidr,
    parse_method,
    pin_problem,
)


# autodetection_methods.go:41@v3.24.5 `method == "" || method == "first-found"`, else prefixes, else
# autodetection_methods.go:86-88 "Invalid IP autodetection method" + utils.Terminate(): nothing is trimmed.
@pytest.mark.parametrize("text,kind", [
    ("", "first-found"), (None, "first-found"), ("first-found", "first-found"),
    ("first-found ", None), (" first-found", None), (" interface=eth0", None), ("First-Found", None),
    ("interface=eth0", "interface"), ("skip-interface=br-.*", "skip-interface"), ("cidr=10.0.0.0/8", "cidr"),
    ("can-reach=10.0.0.1", "can-reach"), ("kubernetes-internal-ip", "kubernetes-internal-ip"),
    ("kubernetes-internal-ipv4", "kubernetes-internal-ip"),     # autodetection_methods.go:77 strings.HasPrefix
    ("interface", None), ("magic", None),
])
def test_method_kinds(text, kind):
    parsed = parse_method(text, 4, "v3.24.5")
    assert parsed.kind == kind
    if kind is None:
        assert parsed.fatal and parsed.error == "Invalid IP autodetection method: %s" % text


# cidr= arrived in v3.16.0 (projectcalico/node pkg/startup/startup.go:701@v3.16.0; absent at v3.15.5,
# whose startup.go:704 rejects it); kubernetes-internal-ip in v3.22.0 (autodetection_methods.go:77@v3.22.0;
# projectcalico/node pkg/lifecycle/startup/startup.go:697@v3.21.2 rejects it).
@pytest.mark.parametrize("text,version,valid", [
    ("cidr=10.0.0.0/8", "v3.15.5", False), ("cidr=10.0.0.0/8", "v3.16.0", True),
    ("kubernetes-internal-ip", "v3.20.6", False), ("kubernetes-internal-ip", "v3.21.2", False),
    ("kubernetes-internal-ip", "v3.22.0", True), ("kubernetes-internal-ip", None, True),
])
def test_methods_by_release(text, version, valid):
    parsed = parse_method(text, 4, version)
    assert (parsed.error is None) is valid
    assert parsed.fatal is (not valid)


# autodetection_methods.go:49,56,75@v3.24.5 regexp.MustCompile(`\s*,\s*`).Split(s, -1); Go's \s is [\t\n\f\r ].
@pytest.mark.parametrize("text,pieces", [
    ("eth0", ["eth0"]), ("eth0,eno1", ["eth0", "eno1"]), ("eth0 , eno1", ["eth0", "eno1"]),
    ("eth0,", ["eth0", ""]), (",eth0", ["", "eth0"]), ("", [""]), (" eth0", [" eth0"]),
    ("eth0\v,eno1", ["eth0\v", "eno1"]),           # \v is not Go whitespace
])
def test_go_split(text, pieces):
    assert go_split(text) == pieces


# interfaces.go:49,55@v3.24.5 joins the pieces into ONE regexp "(" + Join(pieces, ")|(") + ")".
def test_pieces_are_joined_into_one_regexp():
    assert parse_method("interface=eth0,eno.*", 4).regex == "(eth0)|(eno.*)"
    assert parse_method("interface=eth0,", 4).matches("anything")          # "()" matches every name
    joined = parse_method("interface=(,)", 4)                               # "(()|())": valid only joined
    assert joined.error is None and joined.matches("x")
    broken = parse_method("interface=eth0)", 4)
    assert broken.error.startswith("Invalid interface regex: error parsing regexp: unexpected )")
    assert not broken.fatal                                                 # detection fails, no Terminate
    # autodetection_methods.go:152-153@v3.24.5: skip-interface appends to DEFAULT_INTERFACES_TO_EXCLUDE
    assert parse_method("skip-interface=eno1", 4, "v3.25.0").regex.endswith(")|(^nodelocaldns.*)|(eno1)")


# cnet.ParseCIDR -> net.ParseCIDR: "/N" required, decimal N, no dotted mask, no zone, strict IPv4.
@pytest.mark.parametrize("text,result", [
    ("10.0.0.0/8", (4, "10.0.0.0/8")), ("10.1.2.3/8", (4, "10.0.0.0/8")), ("fd00::/8", (6, "fd00::/8")),
    ("10.0.0.0/008", (4, "10.0.0.0/8")),                     # dtoi takes leading zeros
    ("::ffff:10.0.0.0/104", (4, "10.0.0.0/8")),              # IPNet.Contains compares IPv4 in the last 32 bits
    ("10.0.0.0", None), ("10.0.0.0/255.0.0.0", None), (" 10.0.0.0/8", None), ("10.0.0.0/8 ", None),
    ("10.0.0.0/33", None), ("010.0.0.0/8", None), ("fe80::1%eth0/64", None), ("10.0.0.0/+8", None), ("", None),
])
def test_parse_cidr(text, result):
    parsed = parse_cidr(text)
    assert (None if parsed is None else (parsed[0], str(parsed[1]))) == result


# autodetection_methods.go:56-63@v3.24.5: one bad piece -> "Invalid CIDR %q ..." and nil (detection fails).
def test_cidr_lists():
    assert [str(n) for _f, n in parse_method("cidr=10.0.0.0/8, 192.168.0.0/16", 4).cidrs] == ["10.0.0.0/8", "192.168.0.0/16"]
    bad = parse_method("cidr= 10.0.0.0/8", 4)
    assert bad.error == 'Invalid CIDR " 10.0.0.0/8" for IP autodetection method: cidr= 10.0.0.0/8' and not bad.fatal
    mixed = parse_method("cidr=fd00::/8,10.0.0.0/8", 4)
    assert mixed.error is None and mixed.contains("10.1.1.1") and mixed.contains("fd00::1")
    assert not mixed.contains("192.168.1.1")


@pytest.mark.parametrize("value,why", [
    ("interface=(?!docker).*", "invalid or unsupported Perl syntax"),
    ("interface=eth0\\Z", "invalid escape sequence"),
    ("interface=(?>eth0)", "invalid or unsupported Perl syntax"),
    ("interface=eth.*+", "invalid nested repetition operator"),
    ("interface=(e)\\1", "invalid escape sequence"),
    ("skip-interface=(?<=br)-.*", "invalid"),
    ("cidr=10.0.0.0/255.0.0.0", 'Invalid CIDR "10.0.0.0/255.0.0.0"'),
    ("cidr=10.0.0.1", 'Invalid CIDR "10.0.0.1"'),
    ("first-found ", "does not trim"),
    (" interface=eth0", "does not trim"),
    ("foo", "Invalid IP autodetection method"),
])
def test_pins_calico_refuses_are_refused(value, why):
    error, _warnings = pin_problem(value)
    assert error and why in error


@pytest.mark.parametrize("value,fix", [
    ("interface=eth0,", "write interface=eth0"),
    ("interface=,eth0", "write interface=eth0"),
    ("skip-interface=br-.*,", "write skip-interface=br-.*"),
    ("interface=eth0 ", "write 'interface=eth0'"),
    ("interface=(?<nic>eth)0", "write (?P<name>...)"),
    ("interface=\\p{Greek}", "write the characters out"),
    ("cidr=fd00::/8", "no IPv4 network"),
    ("can-reach=", "write can-reach=<an address of another node>"),
    ("kubernetes-internal-ipv4", "write 'kubernetes-internal-ip'"),
])
def test_certainly_wrong_pins_are_refused_with_the_value_that_works(value, fix):
    error, _warnings = pin_problem(value)
    assert fix in error


@pytest.mark.parametrize("value", [
    "first-found", "kubernetes-internal-ip", "interface=eth0", "interface=eth0 , eno1", "interface=e(?i)TH0",
    "interface=eth[[:digit:]]+", "interface=\\pL+\\z", "skip-interface=br-.*,docker.*", "cidr=10.0.0.0/8, 192.168.0.0/16",
    "can-reach=192.168.1.196", "can-reach=master.example.org",
])
def test_good_pins_pass(value):
    assert pin_problem(value) == (None, [])


def test_mixed_cidr_pin_warns():
    error, warnings = pin_problem("cidr=10.0.0.0/8,fd00::/8")
    assert error is None and "only 10.0.0.0/8 can match an IPv4 address" in warnings[0]
    assert pin_problem("cidr=fd00::/8", 6) == (None, [])


def test_release_specific_pins():
    assert "Invalid IP autodetection method" in pin_problem("cidr=10.0.0.0/8", 4, "v3.15.1")[0]
    assert pin_problem("cidr=10.0.0.0/8", 4, "v3.16.0")[0] is None


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40), st.sampled_from([4, 6]), st.sampled_from([None, "v3.15.1", "v3.22.0", "v3.24.5", "v3.28.0", "x"]))
def test_any_value_parses_or_is_refused_cleanly(text, version, calico_version):
    parsed = parse_method(text, version, calico_version)
    assert parsed.kind is not None or parsed.fatal
    error, warnings = pin_problem(text, version, calico_version)
    assert error is None or isinstance(error, str)
    assert isinstance(warnings, list)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["eth0", "eno.*", "", " ", "(", ")", "br-[0-9a-f]+", "\\d", "(?i)X"]), min_size=1, max_size=4))
def test_prefixes_and_lists(pieces):
    value = "interface=" + ",".join(pieces)
    parsed = parse_method(value, 4)
    assert parsed.kind == "interface" and parsed.pieces == go_split(",".join(pieces))
    if "" in parsed.pieces and parsed.error is None and parsed.untranslatable is None:
        assert parsed.matches("anything-at-all")          # () matches every name
