# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""IP_AUTODETECTION_METHOD: syntax check, and KEY=VALUE env-file editing (standard library only).

`validate_method` reads the value with calico-node's own grammar (`_method.parse_method`:
`first-found`, `kubernetes-internal-ip`, `can-reach=DEST`, `interface=REGEX[,REGEX...]`,
`skip-interface=REGEX[,REGEX...]`, `cidr=CIDR[,CIDR...]`, Go RE2 regexps, Go's ParseCIDR); what
calico-node would refuse, or what is certainly wrong as a pin, is refused before it is written.

The env-file functions take and return text; only `write_atomic` touches the disk.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import tempfile
import unicodedata

from ansible_collections.meshdoctor.calico.plugins.module_utils._method import VALID_FORMS, pin_problem

VARIABLE = "IP_AUTODETECTION_METHOD"

_KEY_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def _invalid(value, why):
    return "invalid %s %r: %s. Valid forms: %s" % (VARIABLE, value, why, ", ".join(VALID_FORMS))


def validate_method(value, ip_version=4, calico_version=None):
    """Return (error, warnings): error is None when VALUE is safe to write and calico-node (of
    CALICO_VERSION; any release that knows the method when None) would use it as meant.

    The grammar is `_method.parse_method`, the one the prediction uses; `pin_problem` refuses
    what calico-node refuses (Go RE2, net.ParseCIDR, no trimming) and what is certainly wrong.
    """
    if value is None or value == "":
        return _invalid(value, "empty (use state=absent to remove the pin; an empty value means first-found)"), []
    bad = control_character(value)
    if bad is not None:
        return _invalid(value, "control character %s at offset %d: control characters and line breaks cannot be "
                               "written to an env file safely" % bad), []
    if any(ch in value for ch in ("'", '"')):
        return _invalid(value, "quotes cannot be written to an env file safely"), []
    error, warnings = pin_problem(value, ip_version, calico_version)
    if error:
        return _invalid(value, error), warnings
    if value.startswith(("interface=", "skip-interface=")) and "\\" in value:
        warnings.append("%s contains a backslash: systemd's EnvironmentFile= treats backslashes as escapes; "
                        "prefer a character class such as [0-9] over \\d" % value)
    return None, warnings


def control_character(value):
    """(U+XXXX, offset) of the first control character or line/paragraph separator in VALUE
    (anything str.splitlines() might split on, tabs and NUL included), or None."""
    for offset, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            return "U+%04X" % ord(char), offset
    return None


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
    are dropped, every other line (comments, blanks, other keys) is kept as it was.
    ValueError when VALUE holds a control character (it would split the line)."""
    if control_character(value) is not None:
        raise ValueError("%s=%r: the value holds control character %s" % (key, value, control_character(value)[0]))
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
    keeping the mode (and owner, when allowed) of the file it replaces.

    When PATH is a symbolic link (e.g. /etc/calico/calico.env -> a file managed elsewhere),
    the file it points to is written and the link stays a link."""
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
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
