"""A fake kubectl that replays recorded kubectl output: a real program the modules run.

`install(tmp_path, rules, daemonset=None, namespace="kube-system", installation=None)` writes
`kubectl` (this file behind a shebang) and `scenario.json` into TMP_PATH and returns the
program's path. Each call:

- is appended to calls.jsonl (its argv without the program name);
- loses the global flags `--kubeconfig X` and `--request-timeout X`;
- `get daemonset NAME -n NS` / `patch daemonset ...` with a DAEMONSET fixture read / patch a
  state copy of it in NAMESPACE (other namespaces: NotFound, as the API server says it);
  `get` / `patch installations.operator.tigera.io NAME` likewise with an INSTALLATION fixture
  (without one: "the server doesn't have a resource type", as on a cluster without the
  operator's CRD). Patches are applied by the REAL kubectl, offline
  (`kubectl patch --local`, support/real_kubectl.py), so check, real, again, check-again see
  exactly the object kubectl would produce, and a patch kubectl rejects fails here too;
- `get pods ... -n NS` for another namespace than NAMESPACE answers an empty List;
- otherwise takes the first rule whose `match` tokens all appear in the arguments and answers
  with its next reply ({"file": fixture, "rc": 0, "stderr": fixture-or-text}); the last reply
  repeats once the sequence is used up.
"""
import json
import os
import shutil
import sys

SUPPORT = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(SUPPORT), "fixtures", "kubectl")
INSTALLATIONS = "installations.operator.tigera.io"
NOT_FOUND = {"daemonset": 'Error from server (NotFound): daemonsets.apps "%s" not found',
             INSTALLATIONS: 'Error from server (NotFound): installations.operator.tigera.io "%s" not found'}
NO_CRD = 'error: the server doesn\'t have a resource type "installations"'
PATCHED = {"daemonset": "daemonset.apps/%s patched", INSTALLATIONS: "installation.operator.tigera.io/%s patched"}


def _state_copy(tmp_path, fixture, name):
    if not fixture:
        return None
    state = os.path.join(tmp_path, name)
    shutil.copy(os.path.join(FIXTURES, fixture) if not os.path.isabs(fixture) else fixture, state)
    return state


def install(tmp_path, rules, daemonset=None, namespace="kube-system", installation=None):
    import real_kubectl  # pylint: disable=import-outside-toplevel

    tmp_path = str(tmp_path)
    scenario = {"rules": rules, "fixtures": FIXTURES, "support": SUPPORT, "namespace": namespace,
                "real_kubectl": real_kubectl.find(),
                "objects": {"daemonset": _state_copy(tmp_path, daemonset, "daemonset-state.json"),
                            INSTALLATIONS: _state_copy(tmp_path, installation, "installation-state.json")}}
    with open(os.path.join(tmp_path, "scenario.json"), "w") as handle:
        json.dump(scenario, handle)
    prog = os.path.join(tmp_path, "kubectl")
    with open(os.path.abspath(__file__)) as src, open(prog, "w") as dst:
        dst.write("#!%s\n" % sys.executable)
        dst.write(src.read())
    os.chmod(prog, 0o755)
    return prog


def calls(tmp_path):
    path = os.path.join(str(tmp_path), "calls.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _strip_globals(args):
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("--kubeconfig", "--request-timeout"):
            skip = True
            continue
        if arg.startswith("--kubeconfig=") or arg.startswith("--request-timeout="):
            continue
        out.append(arg)
    return out


def _option(args, flag):
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def _objects(scenario, args):
    """Answer get/patch of the stateful kinds -> (rc, out, err), or None to go on to the rules."""
    kind = args[1] if len(args) > 2 and args[0] in ("get", "patch") else None
    if kind not in scenario["objects"]:
        return None
    state, name = scenario["objects"][kind], args[2]
    if state is None:
        return (1, "", NO_CRD) if kind == INSTALLATIONS else None
    if kind == "daemonset" and _option(args, "-n") != scenario["namespace"]:
        return 1, "", NOT_FOUND[kind] % name
    with open(state) as handle:
        doc = json.load(handle)
    if doc["metadata"]["name"] != name:
        return 1, "", NOT_FOUND[kind] % name
    if args[0] == "get":
        return 0, json.dumps(doc, indent=4), ""
    sys.path.insert(0, scenario["support"])
    import real_kubectl  # pylint: disable=import-outside-toplevel

    if not scenario["real_kubectl"]:
        return 1, "", "fake kubectl: no real kubectl to apply the patch with (install kubernetes-client)"
    try:
        doc = real_kubectl.patch_local(doc, _option(args, "--type") or "strategic", _option(args, "-p"), scenario["real_kubectl"])
    except real_kubectl.KubectlPatchError as exc:
        return 1, "", "The request is invalid: %s" % exc
    with open(state, "w") as handle:
        json.dump(doc, handle)
    return 0, PATCHED[kind] % name, ""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "scenario.json")) as handle:
        scenario = json.load(handle)
    argv = sys.argv[1:]
    with open(os.path.join(here, "calls.jsonl"), "a") as handle:
        handle.write(json.dumps(argv) + "\n")
    args = _strip_globals(argv)
    answer = _objects(scenario, args)
    if answer is None and args[:2] == ["get", "pods"] and _option(args, "-n") not in (None, scenario["namespace"]):
        answer = (0, json.dumps({"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}), "")
    if answer is not None:
        rc, out, err = answer
        if out:
            sys.stdout.write(out + "\n")
        if err:
            sys.stderr.write(err + "\n")
        return rc
    counters_path = os.path.join(here, "counters.json")
    counters = {}
    if os.path.exists(counters_path):
        with open(counters_path) as handle:
            counters = json.load(handle)
    for index, rule in enumerate(scenario["rules"]):
        if all(token in args for token in rule["match"]):
            seen = counters.get(str(index), 0)
            counters[str(index)] = seen + 1
            with open(counters_path, "w") as handle:
                json.dump(counters, handle)
            reply = rule["replies"][min(seen, len(rule["replies"]) - 1)]
            for key, stream in (("file", sys.stdout), ("stderr", sys.stderr)):
                value = reply.get(key)
                if not value:
                    continue
                path = os.path.join(scenario["fixtures"], value)
                if os.path.exists(path):
                    with open(path) as handle:
                        stream.write(handle.read())
                else:
                    stream.write(value + "\n")
            return reply.get("rc", 0)
    sys.stderr.write("fake kubectl: no rule for %s\n" % " ".join(args))
    return 1


if __name__ == "__main__":
    sys.exit(main())
