"""The datastore options are documented twice in one fragment (datastore_info's options,
node_facts' `datastore` suboptions): the two copies must say the same, and match the spec."""
import re

import yaml

from ansible_collections.meshdoctor.calico.plugins.doc_fragments.datastore import ModuleDocFragment
from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import OPTIONS_SPEC


def _options():
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def _suboptions():
    return yaml.safe_load(ModuleDocFragment.NODE_FACTS)["options"]["datastore"]["suboptions"]


def test_the_two_copies_say_the_same():
    unprefixed = yaml.safe_load(re.sub(r"O\(datastore\.", "O(", ModuleDocFragment.NODE_FACTS))
    assert unprefixed["options"]["datastore"]["suboptions"] == _options()


def test_references_point_inside_their_copy():
    assert not re.search(r"O\((?!datastore\.)", yaml.safe_dump(_suboptions()))


def test_documented_as_the_spec_says():
    for docs in (_options(), _suboptions()):
        assert set(docs) == set(OPTIONS_SPEC)
        for name, spec in OPTIONS_SPEC.items():
            assert docs[name]["type"] == spec["type"], name
            assert docs[name].get("default") == spec.get("default"), name
            assert docs[name].get("choices") == spec.get("choices"), name
            assert docs[name].get("elements") == spec.get("elements"), name
