"""The collection as users get it: built and installed from the Galaxy tarball by
tests/galaxy-install.sh, then `ansible-playbook meshdoctor.calico.diagnose` run against the
healthy seed lab from that installed copy alone (its own collections path and ansible.cfg,
working directory outside the checkout)."""
import os
import re
import subprocess

import pytest

from labtools import HEALTHY_CAUSES, HEALTHY_FINDINGS, REPO, cause_signature, load_report, signature


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("installed")
    collections = base / "collections"
    proc = subprocess.run(["bash", os.path.join(REPO, "tests", "galaxy-install.sh")], capture_output=True, text=True,
                          env=dict(os.environ, MESHDOCTOR_INSTALL_DIR=str(collections)), timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = re.search(r"^installed: (.+)$", proc.stdout, re.M)
    assert match and match.group(1) == str(collections), proc.stdout
    # A configuration that knows nothing of the checkout.
    cfg = base / "ansible.cfg"
    cfg.write_text("[defaults]\ncollections_path = %s\nhost_key_checking = False\n"
                   "interpreter_python = auto_silent\nforks = 20\n" % collections)
    work = base / "work"
    work.mkdir()
    return {"collections": str(collections), "cfg": str(cfg), "work": str(work)}


def in_installed(lab_shell, installed, command, timeout=600):
    """Run COMMAND (a shell string) in the lab's controller namespace, from the installed copy only."""
    env = ["env", "ANSIBLE_CONFIG=" + installed["cfg"], "ANSIBLE_COLLECTIONS_PATH=" + installed["collections"],
           "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false"]
    return lab_shell(env + ["sh", "-c", "cd %s && %s" % (installed["work"], command)], timeout=timeout)


def test_galaxy_install_lists_and_renders_every_module(installed):
    modules = sorted(f[:-3] for f in os.listdir(os.path.join(REPO, "plugins", "modules")) if f.endswith(".py"))
    path = os.path.join(installed["collections"], "ansible_collections", "meshdoctor", "calico", "plugins", "modules")
    assert sorted(f[:-3] for f in os.listdir(path) if f.endswith(".py")) == modules
    assert not os.path.exists(os.path.join(installed["collections"], "ansible_collections", "meshdoctor", "calico", ".venv"))


@pytest.mark.lab
def test_installed_diagnose_runs_against_the_lab(installed, healthy_seed_lab, lab_shell):
    doc = in_installed(lab_shell, installed, "ansible-doc meshdoctor.calico.node_facts | head -1")
    assert installed["collections"] in doc.stdout, doc.stdout + doc.stderr
    report = os.path.join(installed["work"], "meshdoctor-report")
    proc = in_installed(lab_shell, installed,
                        'ansible-playbook -i "$MESHDOCTOR_LAB_INVENTORY" meshdoctor.calico.diagnose')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = load_report(report)
    assert data["summary"]["nodes"] == 4
    assert signature(data) == HEALTHY_FINDINGS and cause_signature(data) == HEALTHY_CAUSES, data["findings"]
