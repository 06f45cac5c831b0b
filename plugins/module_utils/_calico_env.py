# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""IP_AUTODETECTION_METHOD: syntax check, and KEY=VALUE env-file editing (standard library only).

`validate_method` follows calico-node's own parser (node/pkg/lifecycle/startup/autodetection):
`first-found`, `kubernetes-internal-ip`, `can-reach=DEST`, `interface=REGEX[,REGEX...]`,
`skip-interface=REGEX[,REGEX...]`, `cidr=CIDR[,CIDR...]`; anything else makes calico-node exit
with "Invalid IP autodetection method", so it is refused before it is written anywhere.

The env-file functions take and return text; only `write_atomic` touches the disk.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import re
import tempfile

VARIABLE = "IP_AUTODETECTION_METHOD"

VALID_FORMS = (
    "first-found",
    "kubernetes-internal-ip",
    "can-reach=<IP or hostname>",
    "interface=<regex>[,<regex>...]",
    "skip-interface=<regex>[,<regex>...]",
    "cidr=<CIDR>[,<CIDR>...]",
)

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_KEY_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def _invalid(value, why):
    return "invalid %s %r: %s. Valid forms: %s" % (VARIABLE, value, why, ", ".join(VALID_FORMS))


def validate_method(value, ip_version=4):
    """Return (error, warnings): error is None when calico-node would accept VALUE."""
    warnings = []
    if value is None or value == "":
        return _invalid(value, "empty (use state=absent to remove the pin; an empty value means first-found)"), warnings
    if value != value.strip():
        return _invalid(value, "leading or trailing whitespace"), warnings
    if any(ch in value for ch in ("\n", "\r", "'", '"')):
        return _invalid(value, "quotes and line breaks cannot be written to an env file safely"), warnings
    if value in ("first-found", "kubernetes-internal-ip"):
        return None, warnings
    if "=" not in value:
        return _invalid(value, "unknown method"), warnings
    kind, arg = value.split("=", 1)
    if kind == "can-reach":
        if not arg:
            return _invalid(value, "can-reach needs a destination"), warnings
        try:
            addr = ipaddress.ip_address(arg)
        except ValueError:
            if not _HOSTNAME.match(arg):
                return _invalid(value, "%r is neither an IP address nor a hostname" % arg), warnings
            return None, warnings
        if addr.version != ip_version:
            return _invalid(value, "%s is an IPv%d address, but this is the IPv%d method" % (arg, addr.version, ip_version)), warnings
        return None, warnings
    if kind in ("interface", "skip-interface"):
        items = arg.split(",")
        for item in items:
            if not item:
                return _invalid(value, "%s needs one or more comma-separated regexes, got an empty one" % kind), warnings
            try:
                re.compile(item)
            except re.error as exc:
                return _invalid(value, "regex %r does not compile: %s" % (item, exc)), warnings
            if "\\" in item:
                warnings.append("%s contains a backslash: systemd's EnvironmentFile= treats backslashes as escapes; "
                                "prefer a character class such as [0-9] over \\d" % value)
        return None, warnings
    if kind == "cidr":
        items = arg.split(",")
        for item in items:
            try:
                net = ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                return _invalid(value, "%r is not a CIDR: %s" % (item, exc)), warnings
            if "/" not in item:
                return _invalid(value, "%r has no prefix length (write e.g. %s/24)" % (item, item)), warnings
            if net.version != ip_version:
                return _invalid(value, "%s is an IPv%d network, but this is the IPv%d method" % (item, net.version, ip_version)), warnings
        return None, warnings
    return _invalid(value, "unknown method %r" % kind), warnings


# ------------------------------------------------------------------------------ env files
def _strip_value(raw):
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in ("'", '"'):
        return raw[1:-1]
    return raw


def get_env(text, key):
    """The value the LAST active KEY= line gives (what Docker's --env-file, systemd and the
    lab's calico-node see), or None when no line sets it."""
    value = None
    for line in text.splitlines():
        match = _KEY_LINE.match(line)
        if match and match.group(1) == key:
            value = _strip_value(match.group(2))
    return value


def set_env(text, key, value):
    """TEXT with KEY=VALUE: the first active KEY line is replaced in place, later duplicates
    are dropped, every other line (comments, blanks, other keys) is kept as it was."""
    out, done = [], False
    lines = text.splitlines(True)
    for line in lines:
        match = _KEY_LINE.match(line)
        if match and match.group(1) == key:
            if not done:
                ending = "\n" if line.endswith("\n") else ""
                out.append("%s=%s%s" % (key, value, ending))
                done = True
            continue
        out.append(line)
    if not done:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append("%s=%s\n" % (key, value))
    return "".join(out)


def unset_env(text, key):
    """TEXT without any active KEY= line (comments that mention it are kept)."""
    out = []
    for line in text.splitlines(True):
        match = _KEY_LINE.match(line)
        if match and match.group(1) == key:
            continue
        out.append(line)
    return "".join(out)


def read_text(path):
    """(exists, text) of PATH; a missing file reads as (False, '')."""
    try:
        with open(path, "rb") as handle:
            return True, handle.read().decode("utf-8")
    except IOError as exc:
        if getattr(exc, "errno", None) == 2:
            return False, ""
        raise


def write_atomic(path, text, default_mode=0o644):
    """Write TEXT to PATH through a temporary file in the same directory and os.replace,
    keeping the mode (and owner, when allowed) of the file it replaces."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    try:
        st = os.stat(path)
        mode, owner = st.st_mode & 0o7777, (st.st_uid, st.st_gid)
    except OSError:
        mode, owner = default_mode, None
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None and hasattr(os, "chown"):
            try:
                os.chown(tmp, owner[0], owner[1])
            except OSError:
                pass
        os.replace(tmp, path)
    except Exception:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
