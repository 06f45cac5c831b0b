"""The real kubectl, run offline: `kubectl patch --local -f OBJECT --type T -p PATCH -o json`
applies a patch to an object file without any API server, with kubectl's own JSON-patch and
merge-patch code. tests/setup.sh installs Debian's `kubernetes-client` (kubectl 1.20) for it.

MESHDOCTOR_REAL_KUBECTL names the program; else `kubectl` on PATH.
"""
import json
import os
import shutil
import subprocess
import tempfile


class KubectlPatchError(Exception):
    """kubectl refused the patch; str() is its message."""


def find():
    """The kubectl program to run, or None."""
    named = os.environ.get("MESHDOCTOR_REAL_KUBECTL")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("kubectl")


def version(program=None):
    program = program or find()
    out = subprocess.run([program, "version", "--client"], capture_output=True, text=True, timeout=60,
                         env=_env()).stdout
    return out.strip().splitlines()[0] if out.strip() else "unknown"


def _env():
    # No kubeconfig and no cluster: --local must not need one.
    env = dict(os.environ)
    env["KUBECONFIG"] = os.devnull
    return env


def patch_local(obj, patch_type, body, program=None):
    """OBJ (a dict, as the API server returns it) patched by kubectl itself -> the patched dict.
    BODY is the patch (a list or dict, or its JSON text). Raises KubectlPatchError."""
    program = program or find()
    if program is None:
        raise KubectlPatchError("no kubectl program (set MESHDOCTOR_REAL_KUBECTL or install kubernetes-client)")
    text = body if isinstance(body, str) else json.dumps(body)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(obj, handle)
        path = handle.name
    try:
        proc = subprocess.run([program, "patch", "--local", "-f", path, "--type", patch_type, "-p", text, "-o", "json"],
                              capture_output=True, text=True, timeout=60, env=_env())
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise KubectlPatchError((proc.stderr or proc.stdout).strip())
    return json.loads(proc.stdout)
