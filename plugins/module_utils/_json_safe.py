# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Node text made safe to return as JSON, without losing a byte (standard library only).

Linux names (interfaces, Docker networks, files) are bytes, not UTF-8. Ansible's run_command
decodes what is not UTF-8 into lone surrogates (surrogateescape), which ansible-core 2.19
cannot serialise: the module fails and the node is lost. `json_safe` writes each such byte as
the four characters `\\xNN` instead - lossless (the bytes can be recovered) and plain text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def safe_text(value):
    """A str that encodes as UTF-8: bytes and lone surrogates (undecodable bytes) become \\xNN."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "backslashreplace")
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def json_safe(value):
    """VALUE (dicts, lists, tuples, str, bytes, numbers, None) with every string safe_text()'d."""
    if isinstance(value, (str, bytes, bytearray)):
        return safe_text(value)
    if isinstance(value, dict):
        return dict((json_safe(k) if isinstance(k, (str, bytes)) else k, json_safe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value
