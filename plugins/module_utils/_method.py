# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""IP_AUTODETECTION_METHOD / IP6_AUTODETECTION_METHOD exactly as calico-node reads it.

`parse_method` is the one grammar: the prediction (`_autodetect`) and the pin validator
(`pin_problem`, used by the `autodetection` module and so by `meshdoctor_pin_autodetection`)
both use it. It follows AutoDetectCIDR in node/pkg/lifecycle/startup/autodetection/
autodetection_methods.go (projectcalico/calico v3.22.0-v3.32.1; projectcalico/node
pkg/lifecycle/startup/startup.go before):
- nothing is trimmed: only "" and "first-found" are first-found; other values are matched by
  prefix (`interface=`, `cidr=`, `can-reach=`, `skip-interface=`, `kubernetes-internal-ip`);
  anything else is "Invalid IP autodetection method" and calico-node terminates;
- `cidr=` exists from v3.16.0, `kubernetes-internal-ip` from v3.22.0 (invalid before);
- list values are split with Go's regexp `\\s*,\\s*` (Go's `\\s` is [\\t\\n\\f\\r ]);
- interface lists are joined into ONE Go regexp `(a)|(b)|...` (interfaces.go GetInterfaces;
  skip-interface= joins the release's default exclusions first), compiled as RE2 (`_re2`);
- each cidr piece goes through Go's net.ParseCIDR: `/N` required, no dotted netmask, no zone,
  IPv4 without leading zeros; IPv4-mapped IPv6 networks of /96 or longer match IPv4 addresses
  (Go's IPNet.Contains).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.meshdoctor.calico.plugins.module_utils._exclusions import default_exclusions, release
from ansible_collections.meshdoctor.calico.plugins.module_utils._re2 import RE2Error, Untranslatable, compile_re2, go_text

FIRST_FOUND = "first-found"
K8S_INTERNAL_IP = "kubernetes-internal-ip"
PREFIXES = (("interface=", "interface"), ("cidr=", "cidr"), ("can-reach=", "can-reach"),
            ("skip-interface=", "skip-interface"))
SPLIT = re.compile(r"[\t\n\f\r ]*,[\t\n\f\r ]*")   # Go's `\s*,\s*`
CIDR_SINCE = (3, 16, 0)
K8S_SINCE = (3, 22, 0)
ANGLE_NAMES_SINCE = (3, 28, 0)                     # built with Go 1.22, which reads (?<name>...)
_IPV4 = re.compile(r"^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$")


class Method(object):
    """One parsed method. `error` is set when calico-node cannot use it:

    `fatal` True: calico-node terminates at start ("Invalid IP autodetection method").
    `fatal` False: the detection fails ("Invalid interface regex", "Invalid CIDR"), so
    calico-node keeps the address its Node already has, or exits when it has none.
    `untranslatable`: valid for calico-node, but not predictable here (reason given).
    """

    def __init__(self, raw, version):
        self.raw = raw
        self.version = version
        self.kind = None
        self.argument = None
        self.pieces = []
        self.regex = None            # the joined Go regexp (interface=, skip-interface=)
        self.matcher = None          # compiled Python equivalent
        self.cidrs = []              # [(family, ipaddress network)]
        self.error = None
        self.fatal = False
        self.untranslatable = None

    def matches(self, name):
        """Go's MatchString of the joined regexp on NAME (False when there is no matcher)."""
        return self.matcher is not None and self.matcher.search(go_text(str(name))) is not None

    def contains(self, address):
        """Whether any cidr= network holds ADDRESS (Go's IPNet.Contains, per family)."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(family == ip.version and ip in net for family, net in self.cidrs)


def go_split(text):
    """Go's regexp.MustCompile(`\\s*,\\s*`).Split(TEXT, -1)."""
    return SPLIT.split(text)


def parse_cidr(text):
    """Go's net.ParseCIDR (as libcalico-go's cnet.ParseCIDR calls it) -> (family, network) or None.

    An IPv4-mapped IPv6 network of /96 or longer is returned as the IPv4 network it covers,
    because that is what Go's IPNet.Contains compares IPv4 addresses with.
    """
    addr, sep, mask = text.partition("/")
    if not sep or not re.match(r"^[0-9]+$", mask):
        return None
    if ":" in addr:
        if "%" in addr:
            return None
        tail = addr.rsplit(":", 1)[1]
        if "." in tail and not _IPV4.match(tail):
            return None
        try:
            ip = ipaddress.IPv6Address(addr)
        except ValueError:
            return None
        if int(mask) > 128:
            return None
        net = ipaddress.IPv6Network("%s/%d" % (ip, int(mask)), strict=False)
        mapped = net.network_address.ipv4_mapped
        if mapped is not None and net.prefixlen >= 96:
            return 4, ipaddress.IPv4Network("%s/%d" % (mapped, net.prefixlen - 96))
        return 6, net
    if not _IPV4.match(addr) or any(int(part) > 255 for part in addr.split(".")) or int(mask) > 32:
        return None
    return 4, ipaddress.IPv4Network("%s/%d" % (addr, int(mask)), strict=False)


def parse_method(text, version=4, calico_version=None):
    """TEXT (None counts as unset) as calico-node of CALICO_VERSION reads it for IPv VERSION."""
    raw = "" if text is None else str(text)
    ver, assumed = release(calico_version)
    angle = assumed or ver >= ANGLE_NAMES_SINCE    # unknown release: the newest Go
    method = Method(raw, version)
    if raw in ("", FIRST_FOUND):
        method.kind = FIRST_FOUND
        return _compile(method, list(default_exclusions(calico_version)), angle)
    for prefix, kind in PREFIXES:
        if raw.startswith(prefix):
            method.kind, method.argument = kind, raw[len(prefix):]
            break
    else:
        if raw.startswith(K8S_INTERNAL_IP):
            method.kind = K8S_INTERNAL_IP
    if method.kind is None or (method.kind == "cidr" and ver < CIDR_SINCE) or \
            (method.kind == K8S_INTERNAL_IP and ver < K8S_SINCE):
        method.kind = None
        method.error = "Invalid IP autodetection method: %s" % raw
        method.fatal = True
        return method
    if method.kind in ("interface", "skip-interface", "cidr"):
        method.pieces = go_split(method.argument)
    if method.kind == "interface":
        return _compile(method, method.pieces, angle)
    if method.kind == "skip-interface":
        return _compile(method, list(default_exclusions(calico_version)) + method.pieces, angle)
    if method.kind == "cidr":
        for piece in method.pieces:
            parsed = parse_cidr(piece)
            if parsed is None:
                method.error = 'Invalid CIDR "%s" for IP autodetection method: %s' % (piece, raw)
                method.cidrs = []
                return method
            method.cidrs.append(parsed)
    return method


def _compile(method, patterns, angle_names):
    method.regex = "(" + ")|(".join(patterns) + ")"
    try:
        method.matcher = compile_re2(method.regex, angle_names=angle_names)
    except RE2Error as exc:
        method.error = "Invalid interface regex: %s" % exc
    except Untranslatable as exc:
        method.untranslatable = str(exc)
    return method


# ------------------------------------------------------------------------------ the pin validator
VALID_FORMS = ("first-found", "kubernetes-internal-ip", "can-reach=<IP or hostname>",
               "interface=<regex>[,<regex>...]", "skip-interface=<regex>[,<regex>...]", "cidr=<CIDR>[,<CIDR>...]")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def pin_problem(value, ip_version=4, calico_version=None):
    """(error, warnings) for VALUE as a pin for calico-node of CALICO_VERSION (None: any release
    that knows the method). error is None when calico-node accepts VALUE and it is not certainly
    wrong; otherwise it says why, and what would work."""
    warnings = []
    if value != value.strip():
        return ("calico-node does not trim the value: %r would be read with its spaces (%s); write %r"
                % (value, "an invalid method" if value[:1].isspace() else "a value no interface, network or host "
                   "has", value.strip())), warnings
    method = parse_method(value, ip_version, calico_version)
    if method.error:
        return method.error, warnings
    if method.untranslatable:
        return ("%s; meshdoctor cannot check it against calico-node's Go regexp, so it is refused: "
                "write the characters out, e.g. [a-z]" % method.untranslatable), warnings
    if method.kind in ("interface", "skip-interface"):
        return _regex_problem(method, value), warnings
    if method.kind == "cidr":
        return _cidr_problem(method, value, ip_version, warnings), warnings
    if method.kind == "can-reach":
        return _reach_problem(method.argument, value, ip_version), warnings
    if method.kind == K8S_INTERNAL_IP and value != K8S_INTERNAL_IP:
        return ("%r only works because calico-node compares a prefix; write %r" % (value, K8S_INTERNAL_IP)), warnings
    return None, warnings


def _regex_problem(method, value):
    kind = method.kind
    good = [p for p in method.pieces if p != ""]
    if len(good) != len(method.pieces):
        fix = "%s=%s" % (kind, ",".join(good)) if good else None
        what = "matches every interface name" if kind == "interface" else "skips every interface"
        return ("%s has an empty piece: calico-node joins the pieces into one regexp, (a)|(b)|..., and the "
                "empty () %s%s" % (value, what, "; write %s" % fix if fix else ""))
    try:
        compile_re2(method.regex, angle_names=False)
    except RE2Error as exc:
        return ("%s uses (?<name>...), which Calico releases built with Go before 1.22 (< v3.28) refuse (%s); "
                "write (?P<name>...)" % (value, exc))
    return None


def _cidr_problem(method, value, ip_version, warnings):
    fitting = [piece for piece, (family, _net) in zip(method.pieces, method.cidrs) if family == ip_version]
    if not fitting:
        return ("%s holds no IPv%d network, so calico-node would find no IPv%d address with it"
                % (value, ip_version, ip_version))
    if len(fitting) != len(method.pieces):
        warnings.append("%s mixes IPv4 and IPv6 networks; only %s can match an IPv%d address"
                        % (value, ", ".join(fitting), ip_version))
    return None


def _reach_problem(dest, value, ip_version):
    if not dest:
        return ("can-reach= with no destination makes calico-node dial the local system and take the "
                "loopback address; write can-reach=<an address of another node>")
    try:
        addr = ipaddress.ip_address(dest)
    except ValueError:
        if not _HOSTNAME.match(dest):
            return "%r is neither an IP address nor a hostname, so calico-node cannot dial it" % dest
        return None
    if addr.version != ip_version:
        return ("%s is an IPv%d address; calico-node dials udp%d for the IPv%d method and cannot reach it"
                % (dest, addr.version, ip_version, ip_version))
    return None
