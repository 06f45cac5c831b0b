import os
import stat

import pytest

from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_env import (
    get_env,
    read_text,
    set_env,
    unset_env,
    validate_method,
    write_atomic,
)


@pytest.mark.parametrize("value", [
    "first-found",
    "kubernetes-internal-ip",
    "can-reach=192.168.1.196",
    "can-reach=www.google.com",
    "interface=eno1",
    "interface=eth.*,ens.*",
    "interface=en[a-z][0-9]+",
    "skip-interface=br-.*",
    "skip-interface=br-.*,docker.*",
    "cidr=192.168.1.0/24",
    "cidr=192.168.1.0/24,10.0.0.0/8",
    "cidr=192.168.1.188/24",  # host bits are accepted, as Go's net.ParseCIDR does
])
def test_valid_methods(value):
    error, dummy = validate_method(value)
    assert error is None


@pytest.mark.parametrize("value,why", [
    ("", "empty"),
    ("firstfound", "Invalid IP autodetection method: firstfound"),
    ("First-Found", "Invalid IP autodetection method"),
    ("can_reach=1.2.3.4", "Invalid IP autodetection method: can_reach=1.2.3.4"),
    ("can-reach=", "loopback address; write can-reach=<an address of another node>"),
    ("can-reach=not a host", "neither an IP address nor a hostname"),
    ("can-reach=fd00::1", "is an IPv6 address"),
    ("interface=", "empty piece"),
    ("interface=eth0,", "empty piece: calico-node joins the pieces into one regexp, (a)|(b)|..., and the empty () "
                        "matches every interface name; write interface=eth0"),
    ("interface=eth[0", "error parsing regexp: missing closing ]"),
    ("skip-interface=(br", "error parsing regexp: missing closing )"),
    ("cidr=192.168.1.0/33", 'Invalid CIDR "192.168.1.0/33"'),
    ("cidr=192.168.1.0", 'Invalid CIDR "192.168.1.0"'),
    ("cidr=fd00::/64", "no IPv4 network"),
    (" cidr=192.168.1.0/24", "does not trim"),
    ('interface="eno1"', "quotes"),
    ("interface=eno1\nIP=1.2.3.4", "line breaks"),
])
def test_invalid_methods_say_why_and_list_forms(value, why):
    error, dummy = validate_method(value)
    assert error is not None
    assert why in error
    assert "Valid forms: first-found, kubernetes-internal-ip, can-reach=" in error


# Issue 11 item 4: calico-node compiles Go RE2 regexps and parses CIDRs with Go's net.ParseCIDR, and
# splits lists on \s*,\s* (autodetection_methods.go:49,56,75@v3.24.5; interfaces.go:49,55@v3.24.5).
@pytest.mark.parametrize("value,why", [
    ("interface=(?!docker).*", "invalid or unsupported Perl syntax: `(?!`"),       # look-ahead
    ("skip-interface=(?<=br)-.*", "error parsing regexp"),                         # look-behind
    ("interface=eth0\\Z", "invalid escape sequence: `\\Z`"),
    ("interface=(?>eth0)", "invalid or unsupported Perl syntax: `(?>`"),           # atomic group
    ("interface=eth.*+", "invalid nested repetition operator: `*+`"),             # possessive quantifier
    ("interface=(e)th\\1", "invalid escape sequence: `\\1`"),                      # backreference
    ("cidr=10.0.0.0/255.0.0.0", 'Invalid CIDR "10.0.0.0/255.0.0.0"'),             # dotted netmask
])
def test_what_calico_node_refuses_is_refused(value, why):
    error, dummy = validate_method(value)
    assert error is not None and why in error


def test_what_calico_node_accepts_is_accepted():
    assert validate_method("cidr=10.0.0.0/8, 192.168.0.0/16") == (None, [])
    assert validate_method("interface=eth[[:digit:]]+,eno1")[0] is None


def test_ipv6_method_checks_family():
    assert validate_method("cidr=fd00::/64", ip_version=6)[0] is None
    assert "no IPv6 network" in validate_method("cidr=10.0.0.0/8", ip_version=6)[0]


def test_backslash_regex_is_warned_about():
    error, warnings = validate_method(r"interface=eth\d+")
    assert error is None
    assert warnings and "backslash" in warnings[0]


ENV = """# calico-node settings for calicoctl node run (EnvironmentFile= of calico-node.service)
ETCD_ENDPOINTS=http://192.168.1.196:2379
NODENAME=ai
# IP_AUTODETECTION_METHOD=interface=eno1   (tried once, left as a note)
IP_AUTODETECTION_METHOD=first-found
CALICO_NETWORKING_BACKEND=bird
"""


def test_get_env_reads_last_active_line_and_strips_quotes():
    assert get_env(ENV, "IP_AUTODETECTION_METHOD") == "first-found"
    assert get_env(ENV + 'IP_AUTODETECTION_METHOD="cidr=10.0.0.0/8"\n', "IP_AUTODETECTION_METHOD") == "cidr=10.0.0.0/8"
    assert get_env("export NODENAME=ai\n", "NODENAME") == "ai"
    assert get_env(ENV, "CALICO_ROUTER_ID") is None


def test_set_env_replaces_in_place_and_keeps_everything_else():
    out = set_env(ENV, "IP_AUTODETECTION_METHOD", "cidr=192.168.1.0/24")
    assert out == ENV.replace("IP_AUTODETECTION_METHOD=first-found", "IP_AUTODETECTION_METHOD=cidr=192.168.1.0/24")
    assert set_env(out, "IP_AUTODETECTION_METHOD", "cidr=192.168.1.0/24") == out


def test_set_env_drops_later_duplicates():
    text = "A=1\nIP_AUTODETECTION_METHOD=first-found\nB=2\nIP_AUTODETECTION_METHOD=interface=br-.*\n"
    assert set_env(text, "IP_AUTODETECTION_METHOD", "interface=eno1") == "A=1\nIP_AUTODETECTION_METHOD=interface=eno1\nB=2\n"


def test_set_env_appends_and_adds_missing_newline():
    assert set_env("", "K", "v") == "K=v\n"
    assert set_env("A=1", "K", "v") == "A=1\nK=v\n"


def test_unset_env_keeps_comments():
    out = unset_env(ENV, "IP_AUTODETECTION_METHOD")
    assert "IP_AUTODETECTION_METHOD=first-found" not in out
    assert "# IP_AUTODETECTION_METHOD=interface=eno1" in out
    assert unset_env(out, "IP_AUTODETECTION_METHOD") == out


def test_write_atomic_keeps_mode_and_creates(tmp_path):
    path = tmp_path / "calico.env"
    path.write_text("A=1\n")
    os.chmod(str(path), 0o600)
    write_atomic(str(path), "A=2\n")
    assert path.read_text() == "A=2\n"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["calico.env"]  # no temporary file left
    fresh = tmp_path / "etc" / "calico" / "calico.env"
    write_atomic(str(fresh), "B=1\n")
    assert fresh.read_text() == "B=1\n"
    assert stat.S_IMODE(os.stat(str(fresh)).st_mode) == 0o644


def test_read_text_missing(tmp_path):
    assert read_text(str(tmp_path / "nope")) == (False, "")
