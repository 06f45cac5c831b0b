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


def set_env_local(obj, container, assignment, program=None):
    """`kubectl set env --local -f OBJ -c CONTAINER NAME=VALUE|NAME- -o json`: kubectl's own env editing."""
    program = program or find()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(obj, handle)
        path = handle.name
    try:
        proc = subprocess.run([program, "set", "env", "--local", "-f", path, "-c", container, assignment, "-o", "json"],
                              capture_output=True, text=True, timeout=60, env=_env(), check=False)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise KubectlPatchError((proc.stderr or proc.stdout).strip())
    return json.loads(proc.stdout)


def find():
    """The kubectl program to run, or None."""
    named = os.environ.get("MESHDOCTOR_REAL_KUBECTL")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("kubectl")


def version(program=None):
    program = program or find()
    out = subprocess.run([program, "version", "--client"], capture_output=True, text=True, timeout=60,
                         env=_env(), check=False).stdout
    return out.strip().splitlines()[0] if out.strip() else "unknown"


def _env():
    # No kubeconfig and no cluster: --local must not need one.
    env = dict(os.environ)
    env["KUBECONFIG"] = os.devnull
    return env


def decode_stream(text):
    """kubectl's -o json output: one object, or (for a List input) one object per item."""
    decoder, out, pos = json.JSONDecoder(), [], 0
    text = text.strip()
    while pos < len(text):
        obj, end = decoder.raw_decode(text, pos)
        out.append(obj)
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def patch_local(obj, patch_type, body, program=None, stream=False):
    """OBJ (a dict, as the API server returns it) patched by kubectl itself -> the patched dict.
    BODY is the patch (a list or dict, or its JSON text). With STREAM, every object kubectl
    printed, as a list (a List object comes back as its items). Raises KubectlPatchError."""
    program = program or find()
    if program is None:
        raise KubectlPatchError("no kubectl program (set MESHDOCTOR_REAL_KUBECTL or install kubernetes-client)")
    text = body if isinstance(body, str) else json.dumps(body)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(obj, handle)
        path = handle.name
    try:
        proc = subprocess.run([program, "patch", "--local", "-f", path, "--type", patch_type, "-p", text, "-o", "json"],
                              capture_output=True, text=True, timeout=60, env=_env(), check=False)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise KubectlPatchError((proc.stderr or proc.stdout).strip())
    objects = decode_stream(proc.stdout)
    return objects if stream else objects[0]
