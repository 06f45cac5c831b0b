"""Every report.json the tests produce must follow docs/report.schema.json.

The schema published for users leaves objects open (new keys may be added within a schema
version). The tests validate against a strict copy instead: every object that lists its
properties admits no others, so a key added to the report but not to the schema fails here,
and the schema cannot fall behind the code.

tests/unit/conftest.py and tests/integration/conftest.py import its pytest wiring (the autouse
fixture and two hooks): after each test, every
report.json (and kept history/report-*.json) under its tmp_path is validated; at the end of
the session, everything else under pytest's base temporary directory (module-scoped
fixtures, the installed collection's work directory).
"""
import copy
import json
import os
import re

import jsonschema  # a test requirement (tests/requirements.txt): missing means the check cannot run
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_PATH = os.path.join(REPO, "docs", "report.schema.json")
REPORT_NAME = re.compile(r"^report(-\d{8}T\d{6}Z(-\d+)?)?\.json$")


def load_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def strict(schema):
    """A copy of schema where every object with listed properties forbids any other key."""
    schema = copy.deepcopy(schema)
    for node in each_object(schema):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    return schema


def each_object(node):
    """Every object (dict) in a JSON document: NODE itself and all it holds, parents first
    (a parent may be changed when it is yielded, before its values are walked)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from each_object(value)
    elif isinstance(node, list):
        for value in node:
            yield from each_object(value)


_VALIDATOR = None


def validator():
    global _VALIDATOR  # pylint: disable=global-statement
    if _VALIDATOR is None:
        schema = strict(load_schema())
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _VALIDATOR = cls(schema)
    return _VALIDATOR


def problems(doc):
    """['path: message'] for every schema violation of one report document."""
    return ["%s: %s" % ("/".join(str(p) for p in err.absolute_path) or "(top)", err.message)
            for err in sorted(validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def report_files(top):
    for base, dummy, files in os.walk(str(top)):
        for name in files:
            if REPORT_NAME.match(name):
                yield os.path.join(base, name)


class Checker:
    """Validates report files once each; counts them for the session summary."""

    def __init__(self):
        self.seen = set()
        self.failures = []

    def check_tree(self, top):
        """Validate every report under top not validated yet; return the failures as sentences."""
        out = []
        for path in report_files(top):
            real = os.path.realpath(path)
            if real in self.seen:
                continue
            self.seen.add(real)
            try:
                with open(path, encoding="utf-8") as handle:
                    doc = json.load(handle)
            except (OSError, ValueError) as exc:
                out.append("%s: unreadable (%s)" % (path, exc))
                continue
            out.extend("%s: %s" % (path, p) for p in problems(doc)[:20])
        self.failures.extend(out)
        return out


CHECKER = Checker()


# --------------------------------------------------------------- pytest wiring (imported by both conftests)
@pytest.fixture(autouse=True)
def report_json_follows_the_schema(request):
    """After each test, validate the reports under its tmp_path."""
    yield
    tmp = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if tmp is not None:
        failures = CHECKER.check_tree(tmp)
        assert not failures, "report.json does not follow docs/report.schema.json:\n" + "\n".join(failures)


def pytest_sessionfinish(session):
    """Validate what is left under the base temporary directory; fail the session on a violation."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None)
    if base is not None and CHECKER.check_tree(base) and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    """How many reports were validated, and the violations."""
    if getattr(CHECKER, "reported", False):
        return
    CHECKER.reported = True
    terminalreporter.write_line("report schema: %d report files validated against docs/report.schema.json, %d problems"
                                % (len(CHECKER.seen), len(CHECKER.failures)))
    for line in CHECKER.failures[:50]:
        terminalreporter.write_line("  " + line)
