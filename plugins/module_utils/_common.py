# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Small helpers shared by the node-side collectors (standard library only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def to_text(data):
    """bytes -> str (UTF-8, undecodable bytes replaced); str as is; None -> ''."""
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    if isinstance(data, str):
        return data
    return str(data)


def loads_or_none(text):
    """json.loads that returns None instead of raising."""
    try:
        return json.loads(to_text(text))
    except (ValueError, TypeError):
        return None


def utc_now():
    """The current time as `2026-11-24T13:50:00Z`."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_version(text):
    """'v3.24.5' -> (3, 24, 5); '3.25' -> (3, 25, 0); anything else -> None."""
    match = _VERSION_RE.match(to_text(text).strip())
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def run_ok(run_command, args):
    """Run ARGS with a module.run_command-like callable.

    Returns (stdout, None) on success or (None, 'what failed') on a non-zero exit or an
    exception (e.g. the program does not exist).
    """
    try:
        result = run_command(args)
    except Exception as exc:  # pylint: disable=broad-except
        return None, "%s: %s" % (" ".join(args), exc)
    try:
        rc, out, err = result
    except (TypeError, ValueError):
        return None, "%s: unexpected result from run_command" % " ".join(args)
    if rc != 0:
        detail = to_text(err).strip() or to_text(out).strip() or "no output"
        return None, "%s exited %s: %s" % (" ".join(args), rc, detail.splitlines()[0][:300] if detail else "")
    return to_text(out), None


def as_dict(value):
    """VALUE when it is a dict, else {} (JSON from outside may have any shape)."""
    return value if isinstance(value, dict) else {}


def as_list(value):
    """VALUE when it is a list, else []."""
    return value if isinstance(value, list) else []
