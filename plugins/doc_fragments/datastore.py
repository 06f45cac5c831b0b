# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that say where and how to read Calico's datastore.

They are used twice: as datastore_info's own options (DOCUMENTATION) and as the suboptions of
node_facts' `datastore` option (NODE_FACTS). A fragment cannot add suboptions to an option of
the module that uses it, so NODE_FACTS defines the whole `datastore` option, and ansible-test
wants each fragment a plain string, so the suboptions are written here a second time, with
their references prefixed (O(datastore.etcd_cert) for O(etcd_cert)).
tests/unit/plugins/doc_fragments/test_datastore.py fails when the two copies differ, or differ
from the argument spec they describe (module_utils/_datastore.py's OPTIONS_SPEC).
"""

from __future__ import annotations


class ModuleDocFragment(object):

    # datastore_info: the options themselves.
    DOCUMENTATION = r"""
options:
  datastore:
    description:
      - Which datastore to read. V(auto) reads etcdv3 when O(etcd_endpoints) is given, else
        Kubernetes when O(kubectl) is found.
    type: str
    choices: [auto, kubernetes, etcdv3]
    default: auto
  etcd_endpoints:
    description: etcd client URLs, for example V(https://192.168.1.196:2379), tried in order.
    type: list
    elements: str
    default: []
  etcd_ca_cert:
    description: CA certificate to verify etcd's server certificate with.
    type: path
  etcd_cert:
    description: Client certificate for etcd.
    type: path
  etcd_key:
    description: Private key of O(etcd_cert).
    type: path
  kubectl:
    description: The C(kubectl) program (a name looked up on E(PATH), or a path).
    type: str
    default: kubectl
  kubeconfig:
    description: Kubeconfig file for O(kubectl); kubectl's own default when unset.
    type: path
  timeout:
    description: Seconds to wait for each etcd answer.
    type: float
    default: 5
"""

    # node_facts: one `datastore` option whose suboptions are the same options.
    NODE_FACTS = r"""
options:
  datastore:
    description:
      - Also read Calico's datastore in this run, with these options of
        M(meshdoctor.calico.datastore_info), and return it as C(ansible_facts.meshdoctor.datastore)
        (null without this option). An unreachable datastore is reported there
        (C(reachable=false), C(reason)), never as a failure.
      - An empty string counts as not given, for every suboption.
    type: dict
    suboptions:
      datastore:
        description:
          - Which datastore to read. V(auto) reads etcdv3 when O(datastore.etcd_endpoints) is given, else
            Kubernetes when O(datastore.kubectl) is found.
        type: str
        choices: [auto, kubernetes, etcdv3]
        default: auto
      etcd_endpoints:
        description: etcd client URLs, for example V(https://192.168.1.196:2379), tried in order.
        type: list
        elements: str
        default: []
      etcd_ca_cert:
        description: CA certificate to verify etcd's server certificate with.
        type: path
      etcd_cert:
        description: Client certificate for etcd.
        type: path
      etcd_key:
        description: Private key of O(datastore.etcd_cert).
        type: path
      kubectl:
        description: The C(kubectl) program (a name looked up on E(PATH), or a path).
        type: str
        default: kubectl
      kubeconfig:
        description: Kubeconfig file for O(datastore.kubectl); kubectl's own default when unset.
        type: path
      timeout:
        description: Seconds to wait for each etcd answer.
        type: float
        default: 5
"""
