# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes shared by the collection's read-only modules."""

from __future__ import annotations


class ModuleDocFragment(object):

    # The collectors (*_info, node_facts) only read: check mode runs them as usual.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    description: The module only reads, so it runs normally in check mode.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
"""

    # The collectors that run iproute2's `ip` on the node.
    IPROUTE2 = r"""
options: {}
attributes:
  platform:
    description: Linux hosts with iproute2.
    support: full
    platforms: posix
"""
