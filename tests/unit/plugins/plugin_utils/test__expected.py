# -*- coding: utf-8 -*-
"""Where the expected address comes from."""
from __future__ import annotations

import pytest

from ansible_collections.meshdoctor.calico.plugins.plugin_utils._expected import candidates, resolve


@pytest.mark.parametrize("inv,ds,sources,want", [
    ({"ip": "10.0.0.1", "access_ip": "10.0.0.2", "ansible_host": "10.0.0.3"}, None, None, ("10.0.0.1", "inventory:ip")),
    ({"access_ip": "10.0.0.2", "ansible_host": "10.0.0.3"}, None, None, ("10.0.0.2", "inventory:access_ip")),
    ({"ansible_host": "node1.example.com"}, {"internal_ip": "10.0.0.9"}, None, ("10.0.0.9", "kubernetes")),
    ({"ansible_host": "10.0.0.3"}, {"internal_ip": "10.0.0.9"}, ["kubernetes", "inventory"], ("10.0.0.9", "kubernetes")),
    ({"ansible_host": "10.0.0.3", "meshdoctor_expected_ip": "10.0.0.7"}, {"internal_ip": "10.0.0.9"},
     ["kubernetes"], ("10.0.0.7", "override")),
    ({"ip": "10.0.0.1/24"}, None, None, ("10.0.0.1", "inventory:ip")),
    ({"ansible_host": "localhost"}, None, None, (None, None)),
    ({"ip": "10.0.0.1"}, None, ["kubernetes"], (None, None)),
    ({"ip": "300.1.1.1", "access_ip": "10.0.0.2"}, None, None, ("10.0.0.2", "inventory:access_ip")),
])
def test_resolve(inv, ds, sources, want):
    assert resolve(candidates(inv, ds), sources) == want


def test_address_on_the_node_wins_over_a_nat_address():
    found = candidates({"ansible_host": "34.1.2.3"}, {"internal_ip": "10.0.0.5"})
    assert resolve(found, None, local={"10.0.0.5", "127.0.0.1"}) == ("10.0.0.5", "kubernetes")
    assert resolve(found, None, local={"127.0.0.1"}) == ("34.1.2.3", "inventory:ansible_host")
    assert resolve(found, None) == ("34.1.2.3", "inventory:ansible_host")
    override = candidates({"ansible_host": "10.0.0.5", "meshdoctor_expected_ip": "34.1.2.3"}, None)
    assert resolve(override, None, local={"10.0.0.5"}) == ("34.1.2.3", "override")
