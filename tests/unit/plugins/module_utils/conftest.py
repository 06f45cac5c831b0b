"""Fixtures for the module_utils tests."""
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def short_tmp():
    """A short directory for unix sockets (their paths are limited to 107 bytes)."""
    path = tempfile.mkdtemp(prefix="md-ut-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
