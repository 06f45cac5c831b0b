# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every check and every root-cause rule is given: ``check(ctx)``, ``sentence(ctx, ...)``.

- ``ctx.cluster``: the model (_model.Cluster: nodes, datastore, expected addresses);
- ``ctx.matrix``: the directed session matrix (_matrix.Matrix);
- ``ctx.coverage``: which other nodes' blocks each node routes right (_coverage.RouteCoverage);
- ``ctx.vxlan``: the VXLAN nodes' entries for each other (_vxlan_view.VxlanView);
- ``ctx.args``: the task's options the analysis was run with (e.g. ``ignore``, ``sources``);
- ``ctx.visible``: set by the root-cause engine before it builds causes: the nodes whose own
  trouble can be seen (what involves them is not blamed on a node that cannot be seen).
"""
from __future__ import annotations

from ._coverage import build_coverage
from ._matrix import build_matrix
from ._vxlan_view import build_vxlan


class Context:
    """The model and the data derived from it once per analysis."""

    def __init__(self, cluster, args=None):
        self.cluster = cluster
        self.args = dict(args or {})
        self.matrix = build_matrix(cluster)
        self.coverage = build_coverage(cluster)
        self.vxlan = build_vxlan(cluster)
        self.visible = frozenset()
