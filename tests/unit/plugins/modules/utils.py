"""Run a module's main() in-process and get the JSON it exits with (the collector modules'
variant: it also fakes run_command and binaries; the 2.17/2.19 argument shim is _module_args's).
"""
import json

from ansible.module_utils import basic

from _module_args import patch_module_args


class _Exit(Exception):
    def __init__(self, result):
        super(_Exit, self).__init__(result.get("msg", ""))
        self.result = result


def run_module(monkeypatch, main, args, run_command=None, bin_paths=None, check_mode=False):
    """Call MAIN with ARGS; -> the result dict, as it would be printed (JSON round trip), with
    'failed' set when the module failed and module.warn() messages under 'warnings'.

    RUN_COMMAND replaces AnsibleModule.run_command (a FakeRun); BIN_PATHS maps program names to
    what get_bin_path returns (anything else: None)."""
    args = dict(args, _ansible_check_mode=check_mode)
    warnings = []

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise _Exit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs.update(msg=msg, failed=True)
        raise _Exit(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning: warnings.append(warning))
    if run_command is not None:
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, cmd, **kw: run_command(cmd, **kw))
    paths = dict(bin_paths or {})
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: paths.get(name))
    result = None
    with patch_module_args(args):
        try:
            main()
        except _Exit as exc:
            result = json.loads(json.dumps(exc.result))
    if result is None:
        raise AssertionError("the module returned without exit_json or fail_json")
    if warnings:
        result["warnings"] = warnings
    return result
