"""The recorded fixtures under tests/unit/fixtures (each folder's README says where they come
from) and the answers the collectors get from them."""
import json
import os

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def fixture_path(*parts):
    return os.path.join(FIXTURES, *parts)


def fixture_bytes(*parts):
    with open(fixture_path(*parts), "rb") as handle:
        return handle.read()


def fixture_text(*parts):
    return fixture_bytes(*parts).decode("utf-8")


def fixture_json(*parts):
    return json.loads(fixture_text(*parts))


def ip_answers(addr="addr_seed_ai.json", route4="route4_seed_ai.json", route6=None):
    """run_command answers for `ip` as the collectors call it, from recorded output."""
    answers = {("ip", "-json", "-details", "addr", "show"): (0, fixture_text("iproute", addr), "")}
    if route4:
        answers[("ip", "-json", "-4", "route", "show", "table", "main")] = (0, fixture_text("iproute", route4), "")
    if route6:
        answers[("ip", "-json", "-6", "route", "show", "table", "main")] = (0, fixture_text("iproute", route6), "")
    return answers


def strip_welcome(data):
    """A recorded reply file may start with the welcome line; the server sends that separately."""
    if data.startswith(b"0001 "):
        return data.split(b"\n", 1)[1]
    return data


def recorded_etcd():
    """The recorded etcd range replies, keyed by the prefix datastore_info asks for."""
    from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import AFFINITY_PREFIX, NODES_PREFIX

    return {NODES_PREFIX: fixture_json("datastore", "etcd_range_nodes.json"),
            AFFINITY_PREFIX: fixture_json("datastore", "etcd_range_affinities.json")}
