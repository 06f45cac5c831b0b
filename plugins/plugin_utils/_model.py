# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster model: per-host facts, the datastore and the expected addresses, indexed once.

Everything the checks need is looked up here, per node, in one pass over that node's facts
(docs/facts-schema.md), so that the checks can compare whole nodes with set operations:

- ``established``: the peer addresses of the node's Established ``Mesh_`` protocols (a set);
- ``down``: peer address -> protocol, for its ``Mesh_`` protocols in any other state;
- ``route``: a RouteIndex: destination -> gateway, and the route itself by destination.

The facts themselves are never modified (the synthetic clusters share dicts between nodes).
"""
from __future__ import annotations

from . import _expected
from ._addr import bare
from ._facts_contract import contract_problem, datastore_problem
from ._identity import assign
from ._index import index_routes, index_sessions


class Node:
    """One host of the play, as the analysis sees it."""

    __slots__ = (
        "host", "name", "facts", "status", "status_msg", "inventory", "ds", "in_datastore",
        "expected", "expected_source", "expected_candidates", "expected_interface", "expected_cidr",
        "ds_address", "router_id", "router_id_is_address", "detected_address", "detected_interface",
        "calico_address", "calico_running", "calico", "bird", "bird_running", "docker",
        "iface_by_addr", "iface_by_name", "bridges", "established", "down", "mesh_count",
        "routes", "route", "blocks", "blocks_source", "autodetection", "backend", "vxlan",
    )

    def __init__(self, host):
        for slot in self.__slots__:
            setattr(self, slot, None)
        self.host = host

    def addresses(self):
        """Every address Calico or we associate with this node (expected first)."""
        seen = []
        router_id = self.router_id if self.router_id_is_address else None
        for addr in (self.expected, self.calico_address, self.ds_address, router_id, self.detected_address):
            if addr and addr not in seen:
                seen.append(addr)
        return seen

    def iface_of(self, address):
        """The interface dict holding address on this node, or None."""
        if not address or not self.iface_by_addr:
            return None
        return self.iface_by_addr.get(address)

    def ifname_of(self, address):
        iface = self.iface_of(address)
        if iface is not None:
            return iface.get("name")
        if address and address == self.detected_address:
            return self.detected_interface
        return None


class Cluster:
    """All nodes of the play plus what the datastore says."""

    def __init__(self):
        self.nodes = []                # Node, in the order of the hosts argument
        self.by_name = {}
        self.datastore = None          # the datastore result (DatastoreInfo), or None when not given
        self.datastore_reachable = False
        self.ds_nodes = {}             # datastore node name -> entry
        self.expected_index = {}       # expected address -> Node
        self.known_addresses = {}      # any address that is some node's -> node name
        self.sources = _expected.DEFAULT_SOURCES
        self.cache = {}                # values derived once per cluster by the checks
        self.name_conflicts = []       # hosts claiming one Calico node (_identity.assign)

    @property
    def size(self):
        return len(self.nodes)


def facts_of(hostvars_entry):
    """ansible_facts.meshdoctor of one host, from hostvars (either spelling), or None."""
    if not hostvars_entry:
        return None
    facts = hostvars_entry.get("meshdoctor")
    if not facts:
        facts = (hostvars_entry.get("ansible_facts") or {}).get("meshdoctor")
    return facts or None


def _index_facts(node, facts):
    """Fill the node's indexes from its facts."""
    node.iface_by_addr = {}
    node.iface_by_name = {}
    for iface in facts.get("interfaces") or ():
        node.iface_by_name[iface.get("name")] = iface
        for addr in iface.get("ipv4") or ():
            node.iface_by_addr.setdefault(addr.get("address"), iface)

    docker = facts.get("docker") or {}
    node.docker = docker
    node.bridges = {b.get("name"): b for b in docker.get("bridges") or ()}

    bird = ((facts.get("bird") or {}).get("ipv4")) or {}
    node.bird = bird
    node.bird_running = bool(bird.get("running"))
    node.router_id = bare(bird.get("router_id"))
    node.established, node.down = index_sessions(bird.get("protocols") or ())
    node.mesh_count = len(node.established) + len(node.down)

    calico = facts.get("calico_node") or {}
    node.calico = calico
    node.calico_running = calico.get("running")
    env = calico.get("env") or {}
    node.router_id_is_address = not env.get("CALICO_ROUTER_ID")
    node.detected_address = bare(calico.get("detected_address"))
    node.detected_interface = calico.get("detected_interface")
    node.autodetection = facts.get("autodetection") or {}

    node.routes = facts.get("routes") or ()
    node.route = index_routes(node.routes)
    node.vxlan = facts.get("vxlan") or None
    node.backend = networking_backend(env, node.vxlan, node.bird_running)


# CALICO_NETWORKING_BACKEND values without BIRD: VXLAN programmed by felix, or no networking.
NO_BGP = ("vxlan", "none")


def networking_backend(env, vxlan, bird_running):
    """'bird', 'vxlan' or 'none': CALICO_NETWORKING_BACKEND when calico-node's env says it
    (a pod spec may take it from a ConfigMap, then it is unknown); else 'vxlan' when the node
    has a vxlan.calico device and no BIRD answers, else 'bird' (Calico's default)."""
    value = (env.get("CALICO_NETWORKING_BACKEND") or "").strip().lower()
    if value in ("bird",) + NO_BGP:
        return value
    if vxlan and vxlan.get("device") and not bird_running:
        return "vxlan"
    return "bird"


def build(hosts, hostvars, datastore=None, results=None, sources=None):
    """Cluster from the play's hosts, their hostvars, the datastore result (DatastoreInfo) and the per-host results."""
    cluster = Cluster()
    cluster.sources = tuple(sources or _expected.DEFAULT_SOURCES)
    problem = datastore_problem(datastore) if datastore else None
    if problem:                        # read on a node: as untrusted as its facts
        datastore = {"datastore": None, "reachable": False, "nodes": {}, "calico_node_pods": [],
                     "reason": "the datastore result breaks the contract (docs/facts-schema.md) at %s" % problem}
    cluster.datastore = datastore or None
    if datastore and datastore.get("reachable"):
        cluster.datastore_reachable = True
        cluster.ds_nodes = datastore.get("nodes") or {}
    results = results or {}

    pending = []
    for host in hosts:
        entry = hostvars.get(host) or {}
        node = Node(host)
        facts = facts_of(entry)
        node.facts = facts
        outcome = results.get(host) or {}
        if outcome.get("unreachable"):
            node.status, node.status_msg = "unreachable", outcome.get("msg")
        elif outcome.get("failed"):
            node.status, node.status_msg = "failed", outcome.get("msg")
        elif not facts:
            node.status, node.status_msg = "failed", outcome.get("msg") or "no meshdoctor facts (node_facts did not run)"
        else:
            problem = contract_problem(facts)
            node.status, node.status_msg = ("invalid", problem) if problem else ("ok", None)
        if node.status != "ok":
            facts = node.facts = None
        pending.append((node, entry, facts))

    hostnames = {node.host: facts.get("hostname") if facts else None for node, _entry, facts in pending}
    names, cluster.name_conflicts = assign(list(hosts), hostnames, cluster.ds_nodes)
    for node, entry, facts in pending:
        node.inventory = {k: entry.get(k) for k in _expected.INVENTORY_VARS + (_expected.OVERRIDE_VAR,)}
        node.name, ds_name = names[node.host]
        node.ds = cluster.ds_nodes.get(ds_name) if ds_name else None
        node.in_datastore = node.ds is not None
        node.ds_address = bare(node.ds.get("ipv4_address")) if node.ds else None

        if facts:
            _index_facts(node, facts)
        else:
            node.iface_by_addr, node.iface_by_name, node.bridges = {}, {}, {}
            node.established, node.down, node.mesh_count = None, None, 0
            node.route, node.routes = None, ()
            node.router_id_is_address = True
            node.autodetection, node.calico, node.bird, node.docker = {}, {}, {}, {}

        node.calico_address = node.ds_address or (node.router_id if node.router_id_is_address else None) \
            or node.detected_address

        node.expected_candidates = _expected.candidates(node.inventory, node.ds)
        node.expected, node.expected_source = _expected.resolve(node.expected_candidates, cluster.sources,
                                                                local=node.iface_by_addr)
        iface = node.iface_of(node.expected)
        if iface is not None:
            node.expected_interface = iface.get("name")
            for addr in iface.get("ipv4") or ():
                if addr.get("address") == node.expected:
                    node.expected_cidr = addr.get("cidr")

        if node.ds and node.ds.get("blocks"):
            node.blocks, node.blocks_source = list(node.ds["blocks"]), "datastore"
        elif facts:
            bird_blackholes = [r.get("dst") for r in node.routes
                               if r.get("type") == "blackhole" and r.get("protocol") == "bird"]
            node.blocks, node.blocks_source = bird_blackholes, "blackhole_routes"
        else:
            node.blocks, node.blocks_source = [], None

        cluster.nodes.append(node)
        cluster.by_name[node.name] = node

    for node in cluster.nodes:
        if node.expected:
            cluster.expected_index.setdefault(node.expected, node)
    # Addresses that belong to some node: every play node's, then datastore-only nodes'.
    for node in cluster.nodes:
        for addr in node.addresses():
            cluster.known_addresses.setdefault(addr, node.name)
    for name, entry in cluster.ds_nodes.items():
        if name in cluster.by_name:
            continue
        for key in ("ipv4_address", "internal_ip"):
            addr = bare(entry.get(key))
            if addr:
                cluster.known_addresses.setdefault(addr, name)
    return cluster
