"""Fixtures for tests that run against the lab (tests/lab/lab), shared by every
tests/integration/test_*.py file. Plain helpers (paths, the seed's facts, playbook runs,
reports, host snapshots) are in labtools.py.

How to use them (all are fixtures; request them by name)
---------------
- `lab` is a function: `lab(*args)` runs the lab CLI and returns a CompletedProcess (text, stdout/stderr captured).
- `lab_shell` is a function: `lab_shell(cmd_list)` runs a command in the controller namespace (cwd = repo root, the
  venv's ansible* first on PATH, ANSIBLE_CONFIG and MESHDOCTOR_LAB_INVENTORY set).
- `ansible` is a function: `ansible(pattern, module, args=None, *extra)` = `lab_shell(["ansible", pattern, "-i",
  <inventory>, "-m", module, ...])`; `ansible_json` is the same with JSON results (for `labtools.adhoc`).
- `seed_lab` (session scope): ONE lab built from tests/lab/topologies/seed.yml for the whole
  session, removed at the end even on failure. It is a `SeedLab`: `.inventory`, `.status()`,
  `.ensure_healthy()`, `.ensure_outage()`, `.reset()`, `.mark_dirty()`, `.wait_converged()`,
  `.faults((host, service), ...)` (a context manager: `lab fault` now, `lab heal` after).
- `healthy_seed_lab`: the session lab, all 12 sessions Established (reset first if an
  earlier test left it broken). Use it for collector/diagnose tests of a healthy mesh.
- `seed_lab_outage`: the session lab after `lab outage ai` (done once, shared): ai's BIRD
  runs with router id 172.19.0.1, no session to ai is Established. Use it for the outage
  diagnosis/remediation tests.
- A test that changes the lab (remediation, faults) must call `seed_lab.mark_dirty()`
  unless it restores the state it found; the next fixture user then gets a fresh lab.

Ordering: tests using `seed_lab_outage` run after all others, and tests marked
`lab_final` (the `down` check) run last, whatever file they are in (see
pytest_collection_modifyitems), so healthy-lab tests never pay for a reset.
Lab tests are marked `lab` (`-m "not lab"` runs the quick ones); they need root.
"""
import contextlib
import json
import os
import sys
import time

import pytest

from labtools import INVENTORY, REPO, SEED, run_ansible, run_lab, run_lab_shell


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the namespace lab (root, tests/lab/lab)")
    config.addinivalue_line("markers", "lab_final: runs after every other test (e.g. checks `lab down`)")


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        if item.get_closest_marker("lab_final"):
            return 2
        if "seed_lab_outage" in getattr(item, "fixturenames", ()):
            return 1
        return 0
    items.sort(key=rank)  # stable: keeps file order within each rank


class SeedLab:
    """The session's seed lab and what state it is in (healthy / outage / dirty)."""

    topology = SEED
    inventory = INVENTORY

    def __init__(self):
        self.state = "down"

    def up(self):
        run_lab("down")  # leftovers of an earlier, interrupted run
        proc = run_lab("up", self.topology)
        if proc.returncode != 0:
            raise RuntimeError("lab up failed:\n%s%s" % (proc.stdout, proc.stderr))
        self.up_output = proc.stdout
        self.state = "healthy"

    def down(self):
        proc = run_lab("down")
        self.state = "down"
        return proc

    def reset(self):
        self.down()
        self.up()

    def status(self):
        proc = run_lab("status", "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def wait_converged(self, timeout=60):
        """Wait until every directed session is Established and every host routes every other
        host's block (routes trail the sessions); return the last status."""
        deadline = time.time() + timeout
        while True:
            data = self.status()
            if data["established"] == data["expected"] and not data["route_gaps"]:
                return data
            if time.time() > deadline:
                raise AssertionError("mesh not converged: route gaps %s, sessions %s"
                                     % (data["route_gaps"], json.dumps(data["hosts"], indent=1)))
            time.sleep(0.5)

    def mark_dirty(self):
        self.state = "dirty"

    @contextlib.contextmanager
    def faults(self, *faults):
        """Stop services for the body: `with seed_lab.faults(("hp", "calico-node"), ("ml", "sshd")):`.
        Heals in reverse order even when the body fails, then waits for the mesh to settle; a
        heal that fails marks the lab dirty (the next fixture user gets a fresh lab) and fails
        the test."""
        applied = []
        try:
            for host, service in faults:
                proc = run_lab("fault", host, service)
                assert proc.returncode == 0, "lab fault %s %s: %s" % (host, service, proc.stderr)
                applied.append((host, service))
            yield
        finally:
            unhealed = [f for f in reversed(applied) if run_lab("heal", *f).returncode != 0]
            if unhealed:
                self.mark_dirty()
            assert not unhealed, "lab heal failed for %s" % unhealed
            if any(service in ("calico-node", "docker") for _host, service in applied):
                try:
                    self.wait_converged(90)   # the next test starts on a settled mesh
                except AssertionError:
                    self.mark_dirty()
                    raise

    def ensure_healthy(self):
        if self.state != "healthy":
            self.reset()
        return self

    def ensure_outage(self, node="ai"):
        if self.state != "outage":
            self.ensure_healthy()
            proc = run_lab("outage", node)
            if proc.returncode != 0:
                self.mark_dirty()
                raise RuntimeError("lab outage failed:\n%s%s" % (proc.stdout, proc.stderr))
            self.outage_output = proc.stdout
            self.state = "outage"
        return self


@pytest.fixture(scope="session")
def seed_lab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    if not os.path.exists(os.path.join(REPO, ".venv", ".stamp")):
        pytest.skip("the project venv is missing (run tests/setup.sh)")
    seed = SeedLab()
    try:
        seed.up()
        yield seed
    finally:
        seed.down()


@pytest.fixture
def healthy_seed_lab(seed_lab):
    return seed_lab.ensure_healthy()


@pytest.fixture
def seed_lab_outage(seed_lab):
    return seed_lab.ensure_outage("ai")


@pytest.fixture
def lab():
    return run_lab


@pytest.fixture
def lab_shell():
    return run_lab_shell


@pytest.fixture
def ansible():
    return run_ansible


@pytest.fixture
def ansible_json(ansible, monkeypatch):
    """`ansible` with the results printed as JSON (ansible.cfg asks for YAML); for labtools.adhoc."""
    monkeypatch.setenv("ANSIBLE_CALLBACK_RESULT_FORMAT", "json")
    return ansible


# Every report.json a lab test writes under its tmp_path (and, at the end, anything under the
# session's base temporary directory) is validated against docs/report.schema.json.
if os.path.join(REPO, "tests") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "tests"))
# tests/report_schema.py's autouse fixture and hooks (pytest uses them from this conftest)
from report_schema import pytest_sessionfinish, pytest_terminal_summary, report_json_follows_the_schema  # noqa: E402,F401  pylint: disable=C0413,W0611
