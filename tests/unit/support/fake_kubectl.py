"""A fake kubectl that replays recorded kubectl output: a real program the modules run.

`install(tmp_path, rules, daemonset=None)` writes `kubectl` (this file behind a shebang) and
`scenario.json` into TMP_PATH and returns the program's path. Each call:

- is appended to calls.jsonl (its argv without the program name);
- loses the global flags `--kubeconfig X` and `--request-timeout X`;
- with `get daemonset` / `patch daemonset` and a DAEMONSET fixture, reads / JSON-patches a
  state copy of it (so check, real, again, check-again see the patched object);
- otherwise takes the first rule whose `match` tokens all appear in the arguments and answers
  with its next reply ({"file": fixture, "rc": 0, "stderr": fixture-or-text}); the last reply
  repeats once the sequence is used up.
"""
import json
import os
import shutil
import sys

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "kubectl")


def install(tmp_path, rules, daemonset=None):
    tmp_path = str(tmp_path)
    scenario = {"rules": rules, "fixtures": FIXTURES, "daemonset": None}
    if daemonset:
        state = os.path.join(tmp_path, "daemonset-state.json")
        shutil.copy(os.path.join(FIXTURES, daemonset) if not os.path.isabs(daemonset) else daemonset, state)
        scenario["daemonset"] = state
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


def _pointer(doc, path):
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    parent = doc
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    return parent, parts[-1]


def _json_patch(doc, ops):
    for op in ops:
        parent, key = _pointer(doc, op["path"])
        if isinstance(parent, list) and key != "-":
            key = int(key)
        if op["op"] == "test":
            if parent[key] != op["value"]:
                return "The request is invalid: the server rejected our request due to an error in our request (test failed at %s)" % op["path"]
        elif op["op"] == "add":
            if isinstance(parent, list):
                parent.append(op["value"]) if key == "-" else parent.insert(key, op["value"])
            else:
                parent[key] = op["value"]
        elif op["op"] == "replace":
            parent[key] = op["value"]
        elif op["op"] == "remove":
            del parent[key]
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "scenario.json")) as handle:
        scenario = json.load(handle)
    argv = sys.argv[1:]
    with open(os.path.join(here, "calls.jsonl"), "a") as handle:
        handle.write(json.dumps(argv) + "\n")
    args = _strip_globals(argv)
    state = scenario.get("daemonset")
    if state and "daemonset" in args and args[0] in ("get", "patch"):
        with open(state) as handle:
            doc = json.load(handle)
        if args[0] == "get":
            sys.stdout.write(json.dumps(doc, indent=4) + "\n")
            return 0
        error = _json_patch(doc, json.loads(args[args.index("-p") + 1]))
        if error:
            sys.stderr.write("Error from server (Invalid): %s\n" % error)
            return 1
        with open(state, "w") as handle:
            json.dump(doc, handle)
        sys.stdout.write("daemonset.apps/%s patched\n" % args[2])
        return 0
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
