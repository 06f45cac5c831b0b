# -*- coding: utf-8 -*-
# Copyright (c) meshdoctor maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Everything node_facts gathers, in one pass: the contract's `ansible_facts.meshdoctor`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import time

from ansible_collections.meshdoctor.calico.plugins.module_utils._autodetect import predict
from ansible_collections.meshdoctor.calico.plugins.module_utils._bird import bird_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._calico_node_discovery import calico_node_state
from ansible_collections.meshdoctor.calico.plugins.module_utils._common import utc_now
from ansible_collections.meshdoctor.calico.plugins.module_utils._datastore import read_datastore
from ansible_collections.meshdoctor.calico.plugins.module_utils._deadline import total_for
from ansible_collections.meshdoctor.calico.plugins.module_utils._docker_api import DockerAPI, docker_info
from ansible_collections.meshdoctor.calico.plugins.module_utils._iproute import collect_interfaces, collect_routes
from ansible_collections.meshdoctor.calico.plugins.module_utils._port_owner import listeners
from ansible_collections.meshdoctor.calico.plugins.module_utils._probe import BGP_PORT, probe_facts
from ansible_collections.meshdoctor.calico.plugins.module_utils._vxlan import collect_vxlan

SCHEMA = 1


def probe_targets(addresses, bird):
    """The addresses to probe: ADDRESSES (the peers' expected addresses, from the controller)
    plus every BGP peer BIRD is configured with (a stale or wrongly addressed peer included)."""
    out = [str(a) for a in addresses or () if a]
    for family in ("ipv4", "ipv6"):
        for proto in (bird.get(family) or {}).get("protocols") or ():
            if proto.get("peer_address"):
                out.append(proto["peer_address"])
    return out


def established_peers(bird):
    """The peer addresses BIRD has an Established BGP session with (never probed)."""
    return [proto["peer_address"] for family in ("ipv4", "ipv6") for proto in (bird.get(family) or {}).get("protocols") or ()
            if proto.get("peer_address") and proto.get("bgp_state") == "Established"]


def own_addresses(interfaces):
    return [a["address"] for iface in interfaces for fam in ("ipv4", "ipv6") for a in iface.get(fam) or ()]


def gather(run_command, bird_socket, bird6_socket, docker_socket, calico_version=None, log_lines=2000,
           route_tables=("main",), bird_timeout=2.0, docker_timeout=3.0, reach=None, datastore=None,
           get_bin_path=None, probe=True, probe_addresses=(), probe_timeout=1.0, proc="/proc"):
    """-> the facts dict (its 'warnings' list included). Never raises on what it reads.

    DATASTORE: None, or datastore_info's options (a dict): then Calico's datastore is read too,
    in the same run, exactly as datastore_info reads it (GET_BIN_PATH finds kubectl), and set
    as the facts' 'datastore'.
    PROBE: connect to TCP 179 of every peer at once (PROBE_ADDRESSES plus BIRD's peers, each
    PROBE_TIMEOUT seconds at most) and set 'probe'; False leaves 'probe' null. Either way
    'bgp_listeners' says who listens on TCP 179 here.
    """
    started = time.time()
    warnings = []
    interfaces, more = collect_interfaces(run_command)
    warnings.extend(more)
    routes, more = collect_routes(run_command, tables=route_tables or ["main"], families=("ipv4",))
    warnings.extend(more)
    vxlan, more = collect_vxlan(run_command, interfaces)
    warnings.extend(more)

    # Every Docker request of this run (bridges and calico-node) shares one deadline.
    api = DockerAPI(docker_socket, docker_timeout, total=total_for(docker_timeout))
    docker, more = docker_info(interfaces, docker_socket, docker_timeout, api=api)
    warnings.extend(more)

    bird = {"ipv4": bird_state(bird_socket, bird_timeout), "ipv6": bird_state(bird6_socket, bird_timeout)}
    bgp_listeners, more = listeners(BGP_PORT, proc)
    warnings.extend(more)
    probed = None
    if probe:
        probed = probe_facts(probe_targets(probe_addresses, bird), own_addresses(interfaces), BGP_PORT, probe_timeout,
                             established=established_peers(bird))

    calico, more = calico_node_state(run_command, docker_socket, log_lines,
                                     docker_api=api if docker["docker_available"] else None,
                                     timeout=docker_timeout)
    warnings.extend(more)
    if calico_version:
        if calico["calico_version"] and calico["calico_version"] != calico_version:
            warnings.append("calico_version=%s given, calico-node reports %s: predicting with %s"
                            % (calico_version, calico["calico_version"], calico_version))
        calico["calico_version"] = calico["calico_version"] or calico_version
    version = calico_version or calico["calico_version"]
    kwargs = {"reach": reach} if reach is not None else {}
    env = calico.get("env") or {}
    # The raw value: calico-node does not trim it (autodetection_method is the trimmed display form).
    method = env.get("IP_AUTODETECTION_METHOD") if env.get("IP_AUTODETECTION_METHOD") is not None \
        else calico["autodetection_method"]
    prediction, more = predict(interfaces, method, version, env=env,
                               bird6_running=bool(bird["ipv6"].get("running")), **kwargs)
    warnings.extend(more)

    stored = None
    if datastore is not None:
        stored, more = read_datastore(run_command, get_bin_path or (lambda name: None), datastore)
        warnings.extend(more)

    return {
        "schema": SCHEMA,
        "hostname": socket.gethostname(),
        "collected_at": utc_now(),
        "duration_s": round(time.time() - started, 3),
        "interfaces": interfaces,
        "routes": routes,
        "vxlan": vxlan,
        "docker": docker,
        "bird": bird,
        "bgp_listeners": bgp_listeners,
        "probe": probed,
        "calico_node": calico,
        "autodetection": prediction,
        "datastore": stored,
        "warnings": warnings,
    }
