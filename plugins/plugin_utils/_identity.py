# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Calico node each host is: by inventory name and reported hostname together.

The inventory is trusted, the hostname a node reports is not: a node reporting another node's
hostname must not take over that node's datastore entry and name. So a host claims the Calico
node its inventory name matches, and only when there is none the one its hostname matches.
When two hosts claim one Calico node and the inventory does not settle it, neither gets it; and
a host whose hostname names another host's Calico node keeps its own. Both are conflicts
(NODE_NAME_CONFLICT), reported rather than resolved by picking one.
"""
from __future__ import annotations


def match_ds_name(name, ds_nodes):
    """The datastore node NAME designates (exactly, else case-insensitively or by its short
    name), or None."""
    if not name or not isinstance(name, str):
        return None
    if name in ds_nodes:
        return name
    keys = (name.lower(), name.split(".", 1)[0].lower())
    for ds_name in ds_nodes:
        if ds_name.lower() in keys or ds_name.split(".", 1)[0].lower() in keys:
            return ds_name
    return None


def _conflict(host, hostname, calico_node, hosts, why):
    return {"host": host, "hostname": hostname, "calico_node": calico_node, "hosts": sorted(hosts), "why": why}


def assign(hosts, hostnames, ds_nodes):
    """HOSTS (inventory names, play order), HOSTNAMES {host: reported hostname or None} ->
    ({host: (node name, datastore node name or None)}, [conflict, ...]).

    A conflict: {host, hostname, calico_node, hosts (every host claiming it), why}."""
    by_inventory = {h: match_ds_name(h, ds_nodes) for h in hosts} if ds_nodes else {}
    by_hostname = {h: match_ds_name(hostnames.get(h), ds_nodes) for h in hosts} if ds_nodes else {}
    conflicts = []
    claims = {}
    for host in hosts:
        own, reported = by_inventory.get(host), by_hostname.get(host)
        if ds_nodes:
            claim = own or reported
        else:                          # no datastore: calico-node names itself after the hostname
            claim = hostnames.get(host) or host
        claims.setdefault(claim, []).append(host)
        if own and reported and reported != own:
            conflicts.append(_conflict(host, hostnames.get(host), reported, [host],
                                       "reports hostname %s, the Calico node of another host; analysed as %s"
                                       % (hostnames.get(host), own)))
    granted = {}
    for claim, claimants in claims.items():
        if len(claimants) == 1:
            granted[claimants[0]] = claim
            continue
        by_name = [h for h in claimants if by_inventory.get(h) == claim] if ds_nodes else \
            [h for h in claimants if h == claim]
        keeper = by_name[0] if len(by_name) == 1 else None
        for host in claimants:
            if host == keeper:
                granted[host] = claim
                continue
            granted[host] = None
            conflicts.append(_conflict(host, hostnames.get(host), claim, claimants,
                                       "claims Calico node %s like %s; %s" % (
                                           claim, ", ".join(h for h in claimants if h != host),
                                           "it stays %s's (its inventory name)" % keeper if keeper
                                           else "no host gets it")))
    out, taken = {}, set()
    for host in hosts:
        claim = granted.get(host)
        ds_name = claim if ds_nodes and claim in ds_nodes else None
        name = claim or host
        if name in taken:              # a host's own name already taken by another's claim
            name = host if host not in taken else "%s (%s)" % (name, host)
        taken.add(name)
        out[host] = (name, ds_name)
    conflicts.sort(key=lambda c: hosts.index(c["host"]))
    return out, conflicts
