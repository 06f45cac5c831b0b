# -*- coding: utf-8 -*-
"""Fixtures for the mesh_check analysis tests: the seed clusters and the synthetic generator."""
from __future__ import annotations

import json
import os

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "clusters")


def load_cluster(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def seed_outage():
    return load_cluster("seed_outage.json")


@pytest.fixture
def seed_healthy_bridge():
    return load_cluster("seed_healthy_bridge.json")
