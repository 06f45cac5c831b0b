# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for meshdoctor.calico.mesh_check: thin on purpose.

It validates the task arguments against the module stub's ARGUMENT_SPEC, copies the few
variables the analysis reads out of hostvars (each host's facts and, from the result it
registered as ``results_var``, how node_facts went there; with ``datastore_host``, that host's
too, whose facts carry the datastore), and hands both to
plugin_utils._analysis.run_analysis, which does the rest without Ansible.
"""
from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.meshdoctor.calico.plugins.modules.mesh_check import ARGUMENT_SPEC
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._addr import NETADDR_IMPORT_ERROR
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._analysis import run_analysis, select
from ansible_collections.meshdoctor.calico.plugins.plugin_utils.checks import CODES
from ansible_collections.meshdoctor.calico.plugins.plugin_utils._hostvars import plain_hostvars


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if NETADDR_IMPORT_ERROR is not None:
            raise AnsibleActionFail("mesh_check needs the Python library netaddr on the controller: %s"
                                    % NETADDR_IMPORT_ERROR)
        for name in ("history", "metrics_max_pairs"):
            if args[name] < 0:
                raise AnsibleActionFail("mesh_check: %s must be 0 or more, got %d" % (name, args[name]))
        if args.get("query"):
            try:
                select([], args["query"])
            except ValueError as exc:
                raise AnsibleActionFail(str(exc)) from exc
        unknown = sorted(set(args.get("ignore") or ()) - set(CODES))
        hosts = list(args["hosts"])
        # The datastore host's facts carry the datastore (node_facts read it there): read that
        # host too, untemplated like the others, even when it is not one of the analysed hosts.
        ds_host = args.get("datastore_host") if args.get("datastore") is None else None
        if ds_host and ds_host not in hosts:
            hosts.append(ds_host)
        hostvars = plain_hostvars(task_vars.get("hostvars") or {}, hosts, results_var=args.get("results_var"))
        result.update(run_analysis(args, hostvars))
        if unknown:
            result.setdefault("warnings", []).append(
                "mesh_check: ignore lists codes no check reports: %s" % ", ".join(unknown))
        return result
