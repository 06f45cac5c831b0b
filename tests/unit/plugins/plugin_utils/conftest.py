# -*- coding: utf-8 -*-
"""Fixtures for the mesh_check analysis tests: the seed clusters and the synthetic generator."""
from __future__ import annotations

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "clusters")
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def load_cluster(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def seed_outage():
    return load_cluster("seed_outage.json")


@pytest.fixture
def seed_healthy_bridge():
    return load_cluster("seed_healthy_bridge.json")
