"""The recorded etcd range replies, keyed by the prefix datastore_info asks for."""
from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import AFFINITY_PREFIX, NODES_PREFIX

from _fakes import fixture_json


def recorded_etcd():
    return {NODES_PREFIX: fixture_json("datastore", "etcd_range_nodes.json"),
            AFFINITY_PREFIX: fixture_json("datastore", "etcd_range_affinities.json")}
