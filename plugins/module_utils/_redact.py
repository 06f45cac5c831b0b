# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keeping secrets out of facts and messages (standard library only).

An etcd endpoint may carry credentials (`https://root:pw@10.0.0.1:2379`); whatever names an
endpoint - a reason, a warning, the ETCD_ENDPOINTS variable - shows it without them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# scheme://userinfo@ -> scheme://***@ (userinfo: anything up to the first @ before a / or space).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def strip_credentials(text):
    """TEXT with the user:password part of every URL in it replaced by ***; None stays None."""
    if text is None:
        return None
    return _USERINFO.sub(r"\g<scheme>***@", str(text))
