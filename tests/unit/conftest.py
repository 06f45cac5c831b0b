"""The one place that sets up the unit tests' imports and shared fixtures.

- `ansible_collections.meshdoctor.calico` resolves from the checkout (.collections links it).
- tests/unit/support (fakes, recorded fixtures, run_module, the synthetic clusters) is
  importable by module name: `from fake_docker import FakeDocker`; so are tests/report_schema.py
  and tests/metrics_contract.py, shared with the lab tests.
- Every report.json a test writes under its tmp_path (and, at the end, anything under the
  session's base temporary directory) is validated against docs/report.schema.json.
"""
import os
import shutil
import sys
import tempfile

import pytest

UNIT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(UNIT))
for path in (os.path.join(REPO, "tests"), os.path.join(UNIT, "support"), os.path.join(REPO, ".collections")):
    if os.path.isdir(path) and path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture
def short_tmp():
    """A short directory for unix sockets (their paths are limited to 107 bytes)."""
    path = tempfile.mkdtemp(prefix="md-ut-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# tests/report_schema.py's autouse fixture and hooks (pytest uses them from this conftest)
from report_schema import pytest_sessionfinish, pytest_terminal_summary, report_json_follows_the_schema  # noqa: E402,F401  pylint: disable=C0413,W0611
