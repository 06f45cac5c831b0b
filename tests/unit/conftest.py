"""The one place that sets up the unit tests' imports and shared fixtures.

- `ansible_collections.meshdoctor.calico` resolves from the checkout (.collections links it).
- tests/unit/support (fakes, recorded fixtures, run_module, the synthetic clusters) is
  importable by module name: `from fake_docker import FakeDocker`.
"""
import os
import shutil
import sys
import tempfile

import pytest

UNIT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(UNIT))
for path in (os.path.join(UNIT, "support"), os.path.join(REPO, ".collections")):
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
