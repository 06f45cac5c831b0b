"""Fixtures shared by the module tests of this directory."""
import os
import shutil
import tempfile

import pytest


@pytest.fixture
def host(monkeypatch, tmp_path):
    """A host for docker_bridge: a bin directory put first on PATH (for the fake `ip`) and a short
    directory for the fake Docker socket (unix socket paths are short); the FakeDocker a test puts
    in state["docker"] is closed afterwards."""
    bindir = tmp_path / "bin"
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "")))
    sockdir = tempfile.mkdtemp(prefix="mdb", dir="/tmp")
    state = {"bindir": bindir, "socket": os.path.join(sockdir, "docker.sock"), "docker": None}
    yield state
    if state["docker"]:
        state["docker"].close()
    shutil.rmtree(sockdir, ignore_errors=True)
