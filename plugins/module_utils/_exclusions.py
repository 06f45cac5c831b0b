# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""calico-node's DEFAULT_INTERFACES_TO_EXCLUDE for every release: the one table.

Read from the tags of projectcalico/calico (node/pkg/lifecycle/startup/autodetection/
autodetection_linux.go, v3.22.0 and later) and projectcalico/node (pkg/startup/startup_linux.go
and pkg/lifecycle/startup/startup_linux.go, v3.2.0 to v3.21.2). The list changed in patch
releases of two branches at once, so it is a table of release ranges, not a cut-off:

| releases                          | list                                   |
|-----------------------------------|----------------------------------------|
| < v3.15.0                         | UNANCHORED_OLD (no `cni.*`)            |
| v3.15.0 - v3.23.3, v3.24.0 - 3.24.2 | UNANCHORED                           |
| v3.23.4, v3.24.3                  | ANCHORED                               |
| v3.23.5, v3.24.4 - v3.24.5        | ANCHORED + VXLAN/WireGuard devices     |
| v3.24.6                           | ... + `^nodelocaldns.*`                |
| >= v3.25.0                        | NEWEST (adds `^podman.*`, `^br-.*`)    |

Go's regexp MatchString searches, so an unanchored `lo` also excludes `wlo1`. The lab's
calico-node keeps its own copy of these facts (tests/lab/calico_node/autodetect.py); a unit
test keeps the two in step. The controller uses this table too, never patterns a node reports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.meshdoctor.calico.plugins.module_utils._common import parse_version

UNANCHORED_OLD = ("docker.*", "cbr.*", "dummy.*", "virbr.*", "lxcbr.*", "veth.*", "lo",
                  "cali.*", "tunl.*", "flannel.*", "kube-ipvs.*")
UNANCHORED = UNANCHORED_OLD + ("cni.*",)
ANCHORED = tuple("^" + pattern for pattern in UNANCHORED)
ANCHORED_VXLAN = ANCHORED + ("^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*")
ANCHORED_NODELOCALDNS = ANCHORED_VXLAN + ("^nodelocaldns.*",)
NEWEST = ("^docker.*", "^cbr.*", "^dummy.*", "^podman.*", "^virbr.*", "^lxcbr.*", "^veth.*", "^lo",
          "^br-.*", "^cali.*", "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*",
          "^vxlan\\.calico.*", "^vxlan-v6\\.calico.*", "^wireguard\\.cali.*", "^wg-v6\\.cali.*",
          "^nodelocaldns.*")

NEWEST_RELEASE = (3, 25, 0)

# (first release, first release no longer covered, list); releases outside every row use NEWEST.
TABLE = (
    ((0, 0, 0), (3, 15, 0), UNANCHORED_OLD),
    ((3, 15, 0), (3, 23, 4), UNANCHORED),
    ((3, 23, 4), (3, 23, 5), ANCHORED),
    ((3, 23, 5), (3, 24, 0), ANCHORED_VXLAN),
    ((3, 24, 0), (3, 24, 3), UNANCHORED),
    ((3, 24, 3), (3, 24, 4), ANCHORED),
    ((3, 24, 4), (3, 24, 6), ANCHORED_VXLAN),
    ((3, 24, 6), (3, 25, 0), ANCHORED_NODELOCALDNS),
)


def release(calico_version):
    """(release tuple, assumed): the release to model; the newest behaviour when unknown."""
    parsed = parse_version(calico_version) if calico_version else None
    if parsed is None:
        return NEWEST_RELEASE, True
    return parsed, False


def default_exclusions(calico_version):
    """DEFAULT_INTERFACES_TO_EXCLUDE of CALICO_VERSION (e.g. 'v3.24.5'; newest when unknown)."""
    ver = release(calico_version)[0]
    for first, end, patterns in TABLE:
        if first <= ver < end:
            return list(patterns)
    return list(NEWEST)
