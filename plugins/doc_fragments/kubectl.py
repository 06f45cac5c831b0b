# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubectl options of the modules that change calico-node through Kubernetes
(autodetection's kubectl mode, calico_node's kubectl method); module_utils/_kubectl.py runs it."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  kubectl:
    description:
      - The kubectl program, a name looked up on E(PATH) or a path. Used only when the module
        works through Kubernetes.
    type: str
    default: kubectl
  kubeconfig:
    description:
      - Kubeconfig file for kubectl; kubectl's own default when unset.
    type: path
  namespace:
    description:
      - Namespace of the calico-node DaemonSet and its pods.
      - Unset, V(calico-system) (tigera-operator installs) is looked at first, then
        V(kube-system) (the C(calico.yaml) manifest and kubespray).
    type: str
"""
