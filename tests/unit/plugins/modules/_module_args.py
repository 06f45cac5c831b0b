"""Run a module's main() in-process with given arguments; get its result dict back.

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


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs, False)


def _fail_json(self, msg, **kwargs):
    kwargs["msg"] = msg
    kwargs["failed"] = True
    raise ModuleExit(kwargs, True)


def run_module(monkeypatch, main, args, check_mode=False, diff=False):
    """-> the result dict (with 'failed': True when the module failed) and its warnings under '_warnings'."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, warning: warnings.append(warning))
    result = None
    with patch_module_args(args):
        try:
            main()
        except ModuleExit as exc:
            result = exc.result
    if result is None:
        raise AssertionError("the module returned without exit_json or fail_json")
    result["_warnings"] = warnings
    return result
