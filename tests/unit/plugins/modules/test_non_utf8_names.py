"""Issue 11 item 9, node side: a Linux name that is not UTF-8 never costs the node. Ansible's
run_command hands such bytes over as lone surrogates, which ansible-core 2.19 cannot return
as JSON; the modules return them as the text \\xNN instead (lossless, plain UTF-8)."""
import json

from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe, safe_text
from ansible_collections.meshdoctor.calico.plugins.modules import interface_info

from fake_run import FakeRun
from fixtures import fixture_text
from run_module import run_module

RAW_NAME = b"br-\xff\xfe\x01x".decode("utf-8", "surrogateescape")   # what run_command returns for those bytes


def addr_json():
    links = json.loads(fixture_text("iproute", "addr_seed_ai.json"))
    bridge = [l for l in links if l["ifname"].startswith("br-")][0]
    bridge["ifname"] = RAW_NAME
    return json.dumps(links, ensure_ascii=False)


def test_interface_info_returns_utf8_json(monkeypatch):
    run = FakeRun({("ip", "-json", "-details", "addr", "show"): (0, addr_json(), "")})
    result = run_module(monkeypatch, interface_info.main, {}, run_command=run, bin_paths={"ip": "ip"})
    assert "failed" not in result, result
    encoded = json.dumps(result, ensure_ascii=False).encode("utf-8")      # what 2.19 does; raised before
    names = [i["name"] for i in json.loads(encoded)["interfaces"]]
    assert "br-\\xff\\xfe\x01x" in names


def test_safe_text_is_lossless():
    assert safe_text(RAW_NAME) == "br-\\xff\\xfe\x01x"
    assert safe_text(b"eth\xff0") == "eth\\xff0"
    assert safe_text("eno1") == "eno1"
    assert safe_text(RAW_NAME).encode("utf-8").decode("unicode_escape").encode("latin-1") == b"br-\xff\xfe\x01x"
    assert json_safe({"a": [RAW_NAME, 1, None, (b"\xff",)]}) == {"a": ["br-\\xff\\xfe\x01x", 1, None, ["\\xff"]]}
