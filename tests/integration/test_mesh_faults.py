"""The mesh failures of issue 13 on the seed lab: for each, break the lab for real, diagnose
(the error root causes are exactly that code on hp, and the sentence names hp, the cause and
the fix), heal, diagnose again (0 errors). All on the session's one lab: each fault is healed
in place, so the whole file costs one `lab up` (shared) plus a few seconds per mode.

`lab remove hp` cannot be healed in place: that test marks the lab dirty (the next user of the
lab gets a fresh one). The two-modes test runs on the outage lab (ai on 172.19.0.1)."""

import pytest

from labtools import load_report, playbook, recap

pytestmark = pytest.mark.lab


def diagnose(lab_shell, tmp_path, name, *extra):
    out = str(tmp_path / name)
    proc = playbook(lab_shell, "diagnose", "-e", "meshdoctor_report_dir=" + out, "-e", "meshdoctor_fail_on=never",
                    *extra)
    assert proc.returncode == 0, proc.output
    return load_report(out)


def causes(report, severity="error"):
    return [c for c in report["root_causes"] if c["severity"] == severity]


def codes(report, severity="error"):
    return sorted((c["code"], c["node"]) for c in causes(report, severity))


def explain(report):
    return "\n".join("%s %s %s: %s" % (c["severity"], c["code"], c["node"], c["message"]) for c in report["root_causes"])


# (lab fault, root-cause code, words the sentence must hold besides hp and the fix)
MODES = [
    ("bgp-blocked", "PEERING_BLOCKED", ["TCP 179", "192.168.1.172", "refused"]),
    ("as-mismatch", "BGP_AS_MISMATCH", ["64513", "64512", "Bad peer AS"]),
    ("port-taken", "BGP_PORT_IN_USE", ["No listening socket", "python3"]),
    ("hostname-change", "NODE_NAME_CONFLICT", ["hp.cluster.internal", "192.168.1.172"]),
    ("calico-node", "CALICO_NODE_DOWN", ["calico-node", "stopped"]),
]


@pytest.mark.parametrize("fault,code,words", MODES, ids=[m[0] for m in MODES])
def test_mode_is_named_then_healed(healthy_seed_lab, lab_shell, tmp_path, fault, code, words):
    with healthy_seed_lab.faults(("hp", fault)):
        broken = diagnose(lab_shell, tmp_path, "broken")
    healthy_seed_lab.wait_converged(90)
    healed = diagnose(lab_shell, tmp_path, "healed")

    assert codes(broken) == [(code, "hp")], explain(broken)
    cause = causes(broken)[0]
    message = cause["message"]
    assert message.startswith("hp: ") and cause["fix"] and cause["fix"] in message, message
    for word in words:
        assert word in message, "%r not in %r" % (word, message)
    assert healed["summary"]["errors"] == 0, explain(healed)


def test_mtu_is_a_warning_on_hp(healthy_seed_lab, lab_shell, tmp_path):
    with healthy_seed_lab.faults(("hp", "mtu")):
        broken = diagnose(lab_shell, tmp_path, "broken")
    healed = diagnose(lab_shell, tmp_path, "healed")
    assert codes(broken) == [], explain(broken)
    mtu = [c for c in causes(broken, "warning") if c["code"] == "MTU_MISMATCH"]
    assert [c["node"] for c in mtu] == ["hp"], explain(broken)
    assert "1280" in mtu[0]["message"] and "1500" in mtu[0]["message"], mtu[0]["message"]
    assert not [c for c in healed["root_causes"] if c["code"] == "MTU_MISMATCH"], explain(healed)
    assert healed["summary"]["errors"] == 0, explain(healed)


def test_probe_off_still_names_the_blocked_node(healthy_seed_lab, lab_shell, tmp_path):
    """meshdoctor_probe=false: no probe in the facts; BIRD's own errors still tell the story."""
    with healthy_seed_lab.faults(("hp", "bgp-blocked")):
        report = diagnose(lab_shell, tmp_path, "noprobe", "-e", "meshdoctor_probe=false")
    assert codes(report) == [("PEERING_BLOCKED", "hp")], explain(report)
    assert "probe" not in causes(report)[0]["message"]


def test_removed_host_is_a_stale_node_and_remediate_deletes_it(healthy_seed_lab, lab, lab_shell, tmp_path):
    healthy_seed_lab.mark_dirty()    # hp does not come back: the next lab user gets a fresh lab
    proc = lab("remove", "hp")
    assert proc.returncode == 0, proc.stderr
    broken = diagnose(lab_shell, tmp_path, "broken")
    assert codes(broken) == [("STALE_CALICO_NODE", "hp")], explain(broken)
    message = causes(broken)[0]["message"]
    assert "192.168.1.172" in message and "meshdoctor_delete_stale_nodes" in message, message

    def etcd_has_hp():
        got = lab_shell(["ip", "netns", "exec", "md-master", "etcdctl", "--endpoints", "http://192.168.1.196:2379",
                         "get", "--prefix", "--keys-only", "/calico/"])
        assert got.returncode == 0, got.stderr
        return [k for k in got.stdout.split() if "/hp" in k or "172.16.3.0" in k]

    delete = ["-e", '{"meshdoctor_delete_stale_nodes": ["hp"]}', "-e", "meshdoctor_report_dir=" + str(tmp_path / "r")]
    check = playbook(lab_shell, "remediate", "--check", "--diff", *delete)
    assert check.returncode == 0, check.output
    assert etcd_has_hp(), "check mode deleted something"
    assert "/calico/resources/v3/projectcalico.org/nodes/hp" in check.output, check.output

    real = playbook(lab_shell, "remediate", *delete)
    assert real.returncode == 0, real.output
    assert etcd_has_hp() == []
    healed = diagnose(lab_shell, tmp_path, "healed")
    assert healed["summary"]["errors"] == 0, explain(healed)
    assert healed["summary"]["sessions_established"] == healed["summary"]["sessions_total"] == 6

    again = playbook(lab_shell, "remediate", *delete)
    assert again.returncode == 0, again.output
    counts = recap(again.output)
    assert counts and all(c["changed"] == 0 for c in counts.values()), again.output


def test_blocked_node_and_wrong_address_node_are_two_causes(seed_lab_outage, lab_shell, tmp_path):
    with seed_lab_outage.faults(("hp", "bgp-blocked")):
        report = diagnose(lab_shell, tmp_path, "two")
    found = codes(report)
    assert [c for c in found if c[1] == "hp"] == [("PEERING_BLOCKED", "hp")], explain(report)
    assert [c[1] for c in found if c[1] != "hp"] == ["ai"], explain(report)
    assert len(found) == 2 and not [c for c in report["root_causes"] if c["node"] in ("master", "ml")], explain(report)
