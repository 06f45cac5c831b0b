"""playbooks/diagnose.yml against the seed lab: the healthy mesh with its latent risk, the
outage on ai explained, hosts that cannot be collected, the HTML report in a browser, the
paramiko connection, and proof that diagnose changes no host.

Healthy-lab tests come first; tests using `seed_lab_outage` run after every healthy-lab test
of the session (see conftest.py)."""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from labtools import (HEALTHY_CAUSES, HEALTHY_FINDINGS, NO_CONNECTION_SHARING, REPO, SEED_HOSTS, STRAY_BRIDGE_RE,
                      assert_unchanged, cause_signature, findings, load_report, playbook, signature, snapshot)

ARTIFACTS = os.path.join(REPO, "tests", "artifacts")

pytestmark = pytest.mark.lab


def report_dir(tmp_path, name="report"):
    return str(tmp_path / name)


# ------------------------------------------------------------------ healthy seed lab
def test_healthy_mesh_has_no_error_and_warns_about_ai(healthy_seed_lab, lab_shell, tmp_path):
    before = snapshot()
    out = report_dir(tmp_path)
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out)
    assert proc.returncode == 0, proc.output
    report = load_report(out)
    assert signature(report) == HEALTHY_FINDINGS, json.dumps(report["findings"], indent=1)
    assert cause_signature(report) == HEALTHY_CAUSES, json.dumps(report["root_causes"], indent=1)
    assert report["summary"]["nodes"] == 4 and report["summary"]["errors"] == 0
    # The datastore was read in master's node_facts run (the first control-plane host).
    assert report["datastore"] == {"datastore": "etcdv3", "reachable": True, "reason": None}, report["datastore"]
    risk = findings(report, "AUTODETECTION_RISK", "ai")
    assert STRAY_BRIDGE_RE.search(json.dumps(risk[0])), risk[0]
    # The summary table is printed; the run changed nothing anywhere.
    assert "ai" in proc.stdout and re.search(r"changed=0 ", proc.stdout)
    assert not re.search(r"changed=[1-9]", proc.stdout), proc.output
    assert_unchanged(before, snapshot())


def test_fail_on_warning_fails_on_the_latent_risk(healthy_seed_lab, lab_shell, tmp_path):
    out = report_dir(tmp_path)
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out, "-e", "meshdoctor_fail_on=warning")
    assert proc.returncode != 0, proc.output
    assert signature(load_report(out)) == HEALTHY_FINDINGS
    # Without the one warning, only the stray bridge (an info) is left: the run passes.
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out, "-e", "meshdoctor_fail_on=warning",
                    "-e", '{"meshdoctor_ignore_codes": ["AUTODETECTION_RISK"]}')
    assert proc.returncode == 0, proc.output
    assert signature(load_report(out)) == [("STRAY_DOCKER_BRIDGE", "info", "ai")]


def test_paramiko_gives_the_same_findings(healthy_seed_lab, lab_shell, tmp_path):
    ssh_dir, paramiko_dir = report_dir(tmp_path, "ssh"), report_dir(tmp_path, "paramiko")
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + ssh_dir)
    assert proc.returncode == 0, proc.output
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + paramiko_dir,
                    "-e", "ansible_connection=ansible.builtin.paramiko_ssh")
    assert proc.returncode == 0, proc.output
    assert signature(load_report(paramiko_dir)) == signature(load_report(ssh_dir))
    assert load_report(paramiko_dir)["summary"]["nodes"] == 4


def test_stopped_calico_node_and_sshd_become_findings(healthy_seed_lab, lab_shell, tmp_path):
    """hp without calico-node and ml without sshd: each is a finding, the rest is analysed."""
    out = report_dir(tmp_path)
    with healthy_seed_lab.faults(("hp", "calico-node"), ("ml", "sshd")):
        # No SSH connection sharing: a master connection kept from an earlier test
        # would still reach ml (its session outlives sshd).
        proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out,
                        "-e", NO_CONNECTION_SHARING)
        report = load_report(out)
    healthy_seed_lab.wait_converged(90)

    assert proc.returncode != 0, proc.output  # both are errors
    assert "UNREACHABLE" in proc.output and "ml" in proc.output
    # ml and hp are each a root cause; master and ai were still collected and analysed: their
    # sessions to hp are down and hp's block is gone from their kernels, ai's latent risk is there.
    assert cause_signature(report) == [("AUTODETECTION_RISK", "ai"), ("CALICO_NODE_DOWN", "hp"),
                                       ("HOST_UNREACHABLE", "ml")], json.dumps(report["root_causes"], indent=1)
    assert signature(report) == sorted(HEALTHY_FINDINGS + [
        ("CALICO_NODE_DOWN", "error", "hp"), ("HOST_UNREACHABLE", "error", "ml"),
        ("ROUTE_MISSING", "error", "ai"), ("ROUTE_MISSING", "error", "master"),
        ("SESSION_DOWN", "error", "ai"), ("SESSION_DOWN", "error", "master")]), json.dumps(report["findings"], indent=1)
    rows = {row["node"]: row for row in report["nodes"]} if isinstance(report["nodes"], list) else report["nodes"]
    assert set(SEED_HOSTS) <= set(rows), rows


def test_unreachable_datastore_host_is_named(healthy_seed_lab, lab_shell, tmp_path):
    """master (the datastore host) without sshd: the datastore is unreachable because of master, and says so."""
    out = report_dir(tmp_path)
    with healthy_seed_lab.faults(("master", "sshd")):
        proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out, "-e", NO_CONNECTION_SHARING)
        report = load_report(out)
    assert proc.returncode != 0, proc.output
    assert report["datastore"]["reachable"] is False
    # The others are still analysed: ai's latent risk is there.
    assert signature(report) == sorted(HEALTHY_FINDINGS + [("DATASTORE_UNREACHABLE", "warning", ""),
                                                           ("HOST_UNREACHABLE", "error", "master")]), report["findings"]
    assert cause_signature(report) == sorted(HEALTHY_CAUSES + [("DATASTORE_UNREACHABLE", ""), ("HOST_UNREACHABLE", "master")])
    unreachable = findings(report, "DATASTORE_UNREACHABLE")
    assert "datastore host master was unreachable" in unreachable[0]["message"], unreachable


# ------------------------------------------------------------------ after `lab outage ai`
def test_outage_root_cause_names_ai_the_bridge_and_both_addresses(seed_lab_outage, lab_shell, tmp_path):
    before = snapshot()
    out = report_dir(tmp_path)
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out)
    assert proc.returncode != 0, proc.output
    report = load_report(out)
    # One root cause explains every error: ai's address is on the bridge, so the datastore
    # holds the wrong one, every session to ai is down (the peers now dial 172.19.0.1, a
    # peer no node owns) and ai's block is routed nowhere, nor the others' on ai.
    assert cause_signature(report) == [("ADDRESS_ON_DOCKER_BRIDGE", "ai")], json.dumps(report["root_causes"], indent=1)
    others = ("hp", "master", "ml")
    assert signature(report) == sorted(
        [("ADDRESS_MISMATCH", "error", "ai"), ("ADDRESS_ON_DOCKER_BRIDGE", "error", "ai"), ("STRAY_DOCKER_BRIDGE", "info", "ai")]
        + [("ROUTE_MISSING", "error", node) for node in others + ("ai",)]
        + [("SESSION_DOWN", "error", node) for node in others + ("ai",)]
        + [("SESSION_TO_UNKNOWN_PEER", "error", node) for node in others]), json.dumps(report["findings"], indent=1)
    cause = report["root_causes"][0]
    text = json.dumps(cause)
    assert STRAY_BRIDGE_RE.search(text) and "172.19.0.1" in text and "192.168.1.188" in text, text
    assert cause["bridge"]["network_name"] == "gerrit_default", cause
    # The failure message carries the root-cause sentence.
    sentence = cause["message"]
    assert "ai" in sentence and "172.19.0.1" in sentence and "192.168.1.188" in sentence, sentence
    assert sentence.split(".")[0] in " ".join(proc.output.split()), proc.output
    assert_unchanged(before, snapshot())
    _screenshot(out)


def _screenshot(out):
    """Open report.html in headless Chromium; keep the screenshot as an artifact (and as the README's image with MESHDOCTOR_UPDATE_DOCS=1)."""
    html = os.path.join(out, "report.html")
    assert os.path.exists(html)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium is not installed")
    os.makedirs(ARTIFACTS, exist_ok=True)
    png = os.path.join(ARTIFACTS, "report.png")
    if os.path.exists(png):
        os.unlink(png)
    profile = tempfile.mkdtemp(prefix="meshdoctor-chromium-")
    try:
        proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", "--user-data-dir=" + profile, "--screenshot=" + png,
                               "--window-size=1400,1000", "file://" + html],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert os.path.exists(png) and os.path.getsize(png) > 15000, proc.stdout + proc.stderr
    shutil.copy(html, os.path.join(ARTIFACTS, "report.html"))
    if os.environ.get("MESHDOCTOR_UPDATE_DOCS") == "1":
        # The README's image is refreshed on request only: a test run leaves tracked files alone.
        shutil.copy(png, os.path.join(REPO, "docs", "report.png"))
