# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What calico_node refuses in its options before it runs anything (standard library only).

The names it passes to programs (a systemd unit, a Kubernetes node, namespace or selector)
must not look like options: `unit: --help` made `systemctl restart --help`, which exits 0 and
counted as a restart. An empty node name made `--field-selector spec.nodeName=`, which
matches the pods that are not scheduled yet. Times must be finite numbers that make sense.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import math
import unicodedata

# Options whose value ends up as an argument of systemctl or kubectl, or in a Docker API path.
NAME_OPTIONS = ("unit", "container_name", "namespace", "label_selector", "node_name", "kubectl")


def _control(value):
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return "U+%04X" % ord(char)
    return None


def _bad_name(option, value):
    if value is None:
        return None
    if value.strip() == "":
        return "%s must not be empty" % option
    if value.startswith("-"):
        return "%s=%r starts with '-': it would be read as an option of the program it is given to" % (option, value)
    control = _control(value)
    if control:
        return "%s=%r holds control character %s" % (option, value, control)
    return None


def _ipv4(text):
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def invalid_options(params):
    """One sentence per option PARAMS (calico_node's validated module params) gets wrong; []
    when every option is usable."""
    bad = []
    for option in NAME_OPTIONS:
        problem = _bad_name(option, params.get(option))
        if problem:
            bad.append(problem)
    timeout = params.get("timeout")
    if timeout is not None and (not math.isfinite(timeout) or timeout < 0):
        bad.append("timeout must be a number of seconds, 0 or more, got %r" % timeout)
    interval = params.get("poll_interval")
    if interval is not None and (not math.isfinite(interval) or interval <= 0):
        bad.append("poll_interval must be a number of seconds more than 0, got %r" % interval)
    router_id = params.get("expected_router_id")
    if router_id is not None and _ipv4(router_id) is None:
        bad.append("expected_router_id=%r is not an IPv4 address (BIRD's router id is a dotted quad)" % router_id)
    for peer in params.get("expected_peers") or ():
        try:
            ipaddress.ip_address(peer)
        except ValueError:
            bad.append("expected_peers: %r is not an IP address" % peer)
    return bad
