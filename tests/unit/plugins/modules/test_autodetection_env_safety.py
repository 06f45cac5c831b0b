"""Issue 11 item 5: calico.env is never corrupted. Every control character and line separator
that str.splitlines() splits on is refused before anything is written, and a symlinked
calico.env is written through the link."""
import os

import pytest

from ansible_collections.meshdoctor.calico.plugins.modules import autodetection

from run_module import run_module

ENV = "# pinned by hand\nETCD_ENDPOINTS=http://192.168.1.196:2379\nNODENAME=ai\n"
SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\t", "\x1b"]


def run(monkeypatch, args, check=False):
    return run_module(monkeypatch, autodetection.main, args, check_mode=check, diff=True)


@pytest.mark.parametrize("sep", SEPARATORS, ids=lambda s: "U+%04X" % ord(s))
def test_control_characters_are_refused_and_nothing_is_written(monkeypatch, tmp_path, sep):
    env_file = tmp_path / "calico.env"
    env_file.write_text(ENV)
    method = "interface=eth0%sETCD_ENDPOINTS=http://evil:2379" % sep
    for check in (True, False):
        result = run(monkeypatch, {"method": method, "mode": "file", "env_file": str(env_file)}, check=check)
        assert result.get("failed"), result
        assert "control character U+%04X" % ord(sep) in result["msg"]
    assert env_file.read_text() == ENV


def test_a_good_pin_is_idempotent_after_a_refused_one(monkeypatch, tmp_path):
    env_file = tmp_path / "calico.env"
    env_file.write_text(ENV)
    run(monkeypatch, {"method": "interface=eth0\x0bX=1", "mode": "file", "env_file": str(env_file)})
    first = run(monkeypatch, {"method": "interface=eth0", "mode": "file", "env_file": str(env_file)})
    again = run(monkeypatch, {"method": "interface=eth0", "mode": "file", "env_file": str(env_file)})
    assert first["changed"] and not again["changed"]
    assert env_file.read_text() == ENV + "IP_AUTODETECTION_METHOD=interface=eth0\n"


def test_symlinked_env_file_is_written_through_the_link(monkeypatch, tmp_path):
    managed = tmp_path / "managed"
    managed.mkdir()
    target = managed / "calico.env"
    target.write_text(ENV)
    os.chmod(str(target), 0o600)
    link = tmp_path / "calico.env"
    link.symlink_to(target)
    result = run(monkeypatch, {"method": "cidr=192.168.1.0/24", "mode": "file", "env_file": str(link)})
    assert result["changed"]
    assert os.path.islink(str(link)) and os.readlink(str(link)) == str(target)
    assert target.read_text() == ENV + "IP_AUTODETECTION_METHOD=cidr=192.168.1.0/24\n"
    assert oct(os.stat(str(target)).st_mode & 0o777) == oct(0o600)
    assert sorted(os.listdir(str(tmp_path))) == ["calico.env", "managed"]      # no temp file left beside the link
    again = run(monkeypatch, {"method": "cidr=192.168.1.0/24", "mode": "file", "env_file": str(link)})
    assert not again["changed"] and os.path.islink(str(link))
