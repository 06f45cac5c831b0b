# -*- coding: utf-8 -*-
"""The mesh_check action plugin: argument validation against the stub's spec, hostvars, result."""
from __future__ import annotations

import json
import os
from unittest.mock import MagicMock

import pytest
import yaml

from ansible.errors import AnsibleActionFail

from ansible_collections.meshdoctor.calico.plugins.action.mesh_check import ActionModule
from ansible_collections.meshdoctor.calico.plugins.modules import mesh_check as stub

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "clusters")


def _seed():
    with open(os.path.join(FIXTURES, "seed_outage.json"), encoding="utf-8") as handle:
        return json.load(handle)


def _action(args):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = False
    task.action = "meshdoctor.calico.mesh_check"
    connection = MagicMock()
    connection._shell.tmpdir = None
    action = ActionModule(task=task, connection=connection, play_context=MagicMock(), loader=MagicMock(),
                          templar=MagicMock(), shared_loader_obj=None)
    action._load_name = "meshdoctor.calico.mesh_check"      # set by the plugin loader in a real run
    return action


def test_seed_through_the_plugin(tmp_path):
    seed = _seed()
    hostvars = {}
    for host, hv in seed["hostvars"].items():       # facts under ansible_facts, as after node_facts
        hv = dict(hv)
        hostvars[host] = dict(hv, ansible_facts={"meshdoctor": hv.pop("meshdoctor")})
    args = {"hosts": seed["hosts"], "datastore": seed["datastore"], "report_dir": str(tmp_path),
            "query": "[?code=='ROUTE_MISSING'].node"}
    result = _action(args).run(task_vars={"hostvars": hostvars})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("ai: calico-node autodetected 172.19.0.1 on br-cddff8a3b81c")
    assert sorted(result["selected"]) == ["ai", "ai", "ai", "hp", "master", "ml"]
    assert result["summary"]["nodes"] == 4 and len(result["report_files"]) == 3
    assert {"summary", "findings", "root_causes", "nodes", "report_files", "summary_text"} <= set(result)


def test_registered_results_are_read_from_hostvars():
    """The role registers node_facts' result as __meshdoctor_node_facts; no results argument needed."""
    seed = _seed()
    del seed["hostvars"]["hp"]["meshdoctor"]
    del seed["hostvars"]["ml"]["meshdoctor"]
    seed["hostvars"]["hp"]["__meshdoctor_node_facts"] = {
        "unreachable": True, "changed": False, "msg": "Failed to connect to the host via ssh"}
    seed["hostvars"]["ml"]["__meshdoctor_node_facts"] = {"failed": True, "msg": "BIRD socket: permission denied"}
    seed["hostvars"]["ai"]["__meshdoctor_node_facts"] = {"failed": False, "changed": False}
    args = {"hosts": seed["hosts"], "datastore": seed["datastore"], "formats": [], "fail_on": "never"}
    result = _action(args).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    rows = {row["host"]: row for row in result["nodes"]}
    assert rows["hp"]["status"] == "unreachable" and rows["ml"]["status"] == "failed" and rows["ai"]["status"] == "ok"
    causes = {c["host"]: c for c in result["root_causes"] if c["host"]}
    assert causes["hp"]["code"] == "HOST_UNREACHABLE" and "Failed to connect" in causes["hp"]["message"]
    assert causes["ml"]["code"] == "COLLECTION_FAILED" and "permission denied" in causes["ml"]["message"]

    # results overrides the registered outcome host by host; results_var "" reads none.
    args["results"] = {"hp": {"failed": True, "msg": "collected elsewhere, and failed"}}
    result = _action(args).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    rows = {row["host"]: row for row in result["nodes"]}
    assert rows["hp"]["status"] == "failed" and rows["ml"]["status"] == "failed"
    assert "collected elsewhere" in " ".join(c["message"] for c in result["root_causes"])
    args = dict(args, results_var="", results=None)
    result = _action(args).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    assert "Failed to connect" not in " ".join(c["message"] for c in result["root_causes"])


def test_results_mark_unreachable_hosts(tmp_path):
    seed = _seed()
    del seed["hostvars"]["hp"]["meshdoctor"]
    args = {"hosts": seed["hosts"], "datastore": seed["datastore"], "formats": [], "fail_on": "never",
            "results": {"hp": {"unreachable": True, "failed": False, "msg": "Failed to connect"}}}
    result = _action(args).run(task_vars={"hostvars": seed["hostvars"]})
    assert "failed" not in result
    assert "HOST_UNREACHABLE" in {f["code"] for f in result["findings"]}


@pytest.mark.parametrize("args,match", [
    ({}, "hosts"),
    ({"hosts": ["a"], "fail_on": "sometimes"}, "fail_on"),
    ({"hosts": ["a"], "formats": ["pdf"]}, "formats"),
    ({"hosts": ["a"], "bogus": 1}, "bogus"),
    ({"hosts": ["a"], "query": "[?"}, "JMESPath"),
])
def test_bad_arguments_fail(args, match):
    with pytest.raises(AnsibleActionFail, match=match):
        _action(args).run(task_vars={"hostvars": {}})


def test_unknown_ignore_code_warns():
    result = _action({"hosts": ["a"], "ignore": ["NOPE"], "formats": []}).run(task_vars={"hostvars": {}})
    assert any("NOPE" in w for w in result["warnings"])


def test_argument_spec_matches_documentation():
    options = yaml.safe_load(stub.DOCUMENTATION)["options"]
    assert set(options) == set(stub.ARGUMENT_SPEC)
    for name, spec in stub.ARGUMENT_SPEC.items():
        doc = options[name]
        assert doc["type"] == spec["type"], name
        assert doc.get("elements") == spec.get("elements"), name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
        assert bool(doc.get("required")) == bool(spec.get("required")), name


class FakeHostVars(dict):
    """Like ansible.vars.hostvars.HostVars: raw_get() untemplated, [] templated (here: '{{ x }}' -> x's value)."""

    def raw_get(self, host):
        return dict.__getitem__(self, host)

    def __getitem__(self, host):
        raw = dict.__getitem__(self, host)
        return {k: (raw[v.strip("{} ")] if isinstance(v, str) and v.startswith("{{") else v) for k, v in raw.items()}


def test_facts_read_raw_and_templated_inventory_vars():
    from ansible_collections.meshdoctor.calico.plugins.plugin_utils._hostvars import plain_hostvars

    facts = {"hostname": "ai"}
    hostvars = FakeHostVars(ai={"meshdoctor": facts, "ip": "{{ lan_ip }}", "lan_ip": "192.168.1.188",
                                "ansible_host": "ai.example.com"},
                            hp={"ansible_facts": {"meshdoctor": {"hostname": "hp"}}, "access_ip": "10.0.0.2"})
    plain = plain_hostvars(hostvars, ["ai", "hp", "gone"])
    assert plain["ai"]["meshdoctor"] is facts                 # not copied, not templated
    assert plain["ai"]["ip"] == "192.168.1.188" and plain["ai"]["ansible_host"] == "ai.example.com"
    assert plain["hp"]["meshdoctor"] == {"hostname": "hp"} and plain["hp"]["access_ip"] == "10.0.0.2"
    assert plain["gone"] == {}


# ------------------------------------------------------------------ datastore_host
def _seed_with_datastore_on(host="master"):
    """The seed with the datastore where the role leaves it: in HOST's meshdoctor facts."""
    seed = _seed()
    datastore = seed.pop("datastore")
    seed["hostvars"][host]["meshdoctor"] = dict(seed["hostvars"][host]["meshdoctor"], datastore=datastore)
    return seed, datastore


def _ds_finding(result):
    found = [f for f in result["findings"] if f["code"] == "DATASTORE_UNREACHABLE"]
    return found[0] if found else None


def test_datastore_read_from_the_datastore_host_facts():
    seed, datastore = _seed_with_datastore_on("master")
    base = {"hosts": seed["hosts"], "formats": [], "fail_on": "never"}
    from_host = _action(dict(base, datastore_host="master")).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    explicit = _action(dict(base, datastore=datastore)).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    assert from_host["summary"]["datastore"] == "reachable" and _ds_finding(from_host) is None
    assert from_host["findings"] == explicit["findings"] and from_host["root_causes"] == explicit["root_causes"]
    assert {r["name"]: r["calico_address"] for r in from_host["nodes"]}["ai"] == "172.19.0.1"

    # An explicit datastore wins over datastore_host.
    down = {"datastore": "etcdv3", "reachable": False, "reason": "given by hand", "nodes": {}, "calico_node_pods": []}
    result = _action(dict(base, datastore_host="master", datastore=down)).run(
        task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    assert "given by hand" in _ds_finding(result)["message"]


def test_datastore_host_outside_the_analysed_hosts():
    seed, datastore = _seed_with_datastore_on("master")
    seed["hostvars"]["bastion"] = {"meshdoctor": {"hostname": "bastion", "datastore": datastore}}
    args = {"hosts": seed["hosts"], "formats": [], "fail_on": "never", "datastore_host": "bastion"}
    result = _action(args).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    assert result["summary"]["datastore"] == "reachable" and result["summary"]["nodes"] == 4
    assert "bastion" not in {r["host"] for r in result["nodes"]}


@pytest.mark.parametrize("registered,drop_facts,drop_datastore,words", [
    ({"unreachable": True, "msg": "Failed to connect to the host via ssh"}, True, False,
     ["datastore host master was unreachable", "Failed to connect"]),
    ({"failed": True, "msg": "BIRD socket: permission denied"}, True, False,
     ["node_facts failed on datastore host master", "permission denied"]),
    (None, True, False, ["datastore host master has no meshdoctor facts"]),
    ({"failed": False}, False, True, ["node_facts on datastore host master did not read the datastore"]),
])
def test_datastore_host_without_a_datastore_says_why(registered, drop_facts, drop_datastore, words):
    seed, _datastore = _seed_with_datastore_on("master")
    master = seed["hostvars"]["master"]
    if registered is not None:
        master["__meshdoctor_node_facts"] = registered
    if drop_facts:
        del master["meshdoctor"]
    if drop_datastore:
        del master["meshdoctor"]["datastore"]
    args = {"hosts": seed["hosts"], "formats": [], "fail_on": "never", "datastore_host": "master"}
    result = _action(args).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    assert result["summary"]["datastore"] == "unreachable"
    finding = _ds_finding(result)
    assert finding is not None, result["findings"]
    for word in words:
        assert word in finding["message"] and word in finding["evidence"]["reason"], finding
    # The other hosts are still analysed.
    assert {r["host"]: r["status"] for r in result["nodes"]}["ai"] == "ok"


def test_datastore_host_not_in_the_inventory():
    from ansible_collections.meshdoctor.calico.plugins.plugin_utils._hostvars import datastore_from_host

    stored = datastore_from_host("nowhere", None, None)
    assert stored["reachable"] is False and "datastore host nowhere is not in the inventory" in stored["reason"]
    seed, _datastore = _seed_with_datastore_on("master")
    args = {"hosts": seed["hosts"], "formats": [], "fail_on": "never", "datastore_host": "nowhere"}
    result = _action(args).run(task_vars={"hostvars": FakeHostVars(seed["hostvars"])})
    assert "nowhere" in _ds_finding(result)["message"]
