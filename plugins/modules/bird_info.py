#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: bird_info
short_description: Read BIRD's BGP sessions and router id over its control socket
version_added: 0.1.0
description:
  - Speaks BIRD's control-socket protocol directly (no C(birdc) or C(calicoctl) needed) and
    returns, for IPv4 and IPv6, BIRD's version, router id and every protocol with its state,
    BGP state, last error and the peer address and type decoded from Calico's
    C(Mesh_)/C(Node_)/C(Global_) names.
  - Understands BIRD 1.6 (Calico's fork) and BIRD 2.x replies.
  - A missing or refusing socket is an answer (C(running=false) with C(reason)), not a failure.
author:
  - meshdoctor maintainers (@meshdoctor)
extends_documentation_fragment:
  - meshdoctor.calico.attributes.read_only
attributes:
  platform:
    description: Hosts where BIRD runs (calico-node exposes its sockets under /var/run/calico).
    support: full
    platforms: posix
options:
  socket:
    description: Path of BIRD's (IPv4) control socket.
    type: path
    default: /var/run/calico/bird.ctl
  socket6:
    description: Path of BIRD's IPv6 control socket (BIRD 1.6 runs a separate bird6).
    type: path
    default: /var/run/calico/bird6.ctl
  timeout:
    description: Seconds to wait for each of BIRD's replies.
    type: float
    default: 2
seealso:
  - module: meshdoctor.calico.node_facts
"""

EXAMPLES = r"""
- name: Read BIRD's state
  meshdoctor.calico.bird_info:
  register: bird

- name: Sessions that are not Established
  ansible.builtin.debug:
    msg: "{{ bird.ipv4.protocols | selectattr('proto', 'equalto', 'BGP') | rejectattr('bgp_state', 'equalto', 'Established') }}"
"""

RETURN = r"""
ipv4:
  description: BIRD's IPv4 state.
  returned: always
  type: dict
  contains:
    socket:
      description: The socket asked.
      type: str
      returned: always
      sample: /var/run/calico/bird.ctl
    running:
      description: Whether BIRD answered.
      type: bool
      returned: always
      sample: true
    reason:
      description: Why BIRD could not be asked (or the error it answered), else null.
      type: str
      returned: always
    version:
      description: BIRD's version (for Calico's fork, e.g. C(v0.3.3+birdv1.6.8), the BIRD release it is built on).
      type: str
      returned: always
      sample: 1.6.8
    fork_version:
      description: The release of Calico's BIRD fork (C(0.3.3) of C(v0.3.3+birdv1.6.8)); null for vanilla BIRD.
      type: str
      returned: always
      sample: 0.3.3
    router_id:
      description: BIRD's router id.
      type: str
      returned: always
      sample: 192.168.1.188
    protocols:
      description: Protocols as BIRD lists them.
      type: list
      elements: dict
      returned: always
      sample:
        - name: Mesh_192_168_1_172
          proto: BGP
          table: master
          state: start
          since: "2018-10-19"
          info: "Connect       Socket: Connection closed"
          bgp_state: Connect
          last_error: "Socket: Connection closed"
          peer_address: 192.168.1.172
          peer_type: mesh
ipv6:
  description: BIRD's IPv6 state, same keys as RV(ipv4).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshdoctor.calico.plugins.module_utils._bird import bird_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._json_safe import json_safe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            socket=dict(type="path", default="/var/run/calico/bird.ctl"),
            socket6=dict(type="path", default="/var/run/calico/bird6.ctl"),
            timeout=dict(type="float", default=2),
        ),
        supports_check_mode=True,
    )
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout must be more than 0, got %s" % module.params["timeout"])
    module.exit_json(**json_safe(dict(changed=False,
                                      ipv4=bird_state(module.params["socket"], module.params["timeout"]),
                                      ipv6=bird_state(module.params["socket6"], module.params["timeout"]))))


if __name__ == "__main__":
    main()
