"""Run a module's main() in-process with given arguments; get back the result it exits with.

ansible-core 2.19 has `ansible.module_utils.testing.patch_module_args`; 2.17 does not, and
there the arguments go to `ansible.module_utils.basic._ANSIBLE_ARGS` directly.
"""
import contextlib
import json

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    @contextlib.contextmanager
    def patch_module_args(args=None):
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old


class _Exit(Exception):
    def __init__(self, result):
        super(_Exit, self).__init__(result.get("msg", ""))
        self.result = result


def run_module(monkeypatch, main, args, run_command=None, bin_paths=None, check_mode=False, diff=False):
    """Call MAIN with ARGS; -> the result dict as it would be printed (a JSON round trip), with
    'failed' set when the module failed and module.warn() messages under 'warnings'.

    RUN_COMMAND replaces AnsibleModule.run_command (a FakeRun); BIN_PATHS, when given, maps
    program names to what get_bin_path returns (anything else: None); without it programs are
    looked up on PATH as usual."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
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
    if bin_paths is not None:
        paths = dict(bin_paths)
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
