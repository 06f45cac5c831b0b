# -*- coding: utf-8 -*-
# Copyright: meshdoctor maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract of docs/facts-schema.md as data, and the check of one node's facts against it.

Everything a node reports is untrusted: a node with a broken (or hostile) node_facts must cost
only its own diagnosis. ``contract_problem(facts)`` says where a node's facts break the
contract ("interfaces[0].ipv4: expected a list, got str"), or None; the model then treats that
node as one whose collection failed (COLLECTION_FAILED naming the field) and analyses the
others as usual. ``datastore_problem(result)`` does the same for a datastore result.

A field the contract marks as nullable may be null or missing (older collectors); every other
value must have the documented JSON type. Addresses must parse as addresses: the checks
compare and index them, and a name that is not an address would be taken for one.
"""
from __future__ import annotations

import functools
import ipaddress
import math
import operator
from itertools import chain
from collections.abc import Mapping

# --------------------------------------------------------------------------- value kinds
STR, INT, NUM, BOOL = "str", "int", "number", "bool"
IP, CIDR, IP_OR_CIDR = "IP address", "CIDR", "IP address or CIDR"
INT_OR_STR = "int or str"


def _ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _cidr(text):
    if "/" not in text:
        return False
    try:
        ipaddress.ip_interface(text)
        return True
    except ValueError:
        return False


def _kind_ok(kind, value):
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == INT_OR_STR:
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if not isinstance(value, str):
        return False
    if kind == IP:
        return _ip(value)
    if kind == CIDR:
        return _cidr(value)
    return _ip(value) or _cidr(value)      # IP_OR_CIDR


# --------------------------------------------------------------------------- shapes
# A shape is a value kind (str), ("list", shape), ("map", shape) (str keys) or a dict
# {field: shape}. Every field is nullable unless it is listed in REQUIRED.
def listof(shape):
    return ("list", shape)


def mapof(shape):
    return ("map", shape)


ADDRESS = {"address": IP, "prefixlen": INT, "cidr": CIDR, "scope": STR}
INTERFACE = {"index": INT, "name": STR, "kind": STR, "state": STR, "flags": listof(STR), "mtu": INT, "mac": STR,
             "master": STR, "ipv4": listof(ADDRESS), "ipv6": listof(ADDRESS)}
ROUTE = {"table": INT_OR_STR, "family": STR, "type": STR, "dst": STR, "gateway": IP, "dev": STR,
         "protocol": INT_OR_STR, "scope": STR, "prefsrc": IP, "metric": INT, "flags": listof(STR)}
CONTAINER = {"id": STR, "name": STR, "ipv4": IP_OR_CIDR}
BRIDGE = {"name": STR, "index": INT, "state": STR, "mac": STR, "ipv4": listof(CIDR), "network_id": STR,
          "network_name": STR, "compose_project": STR, "subnets": listof(STR), "containers": listof(CONTAINER),
          "container_count": INT, "default_bridge": BOOL, "orphaned": BOOL, "reason": STR}
DOCKER = {"docker_available": BOOL, "docker_reason": STR, "docker_socket": STR, "docker_version": STR,
          "bridges": listof(BRIDGE)}
PROTOCOL = {"name": STR, "proto": STR, "table": STR, "state": STR, "since": STR, "info": STR, "bgp_state": STR,
            "last_error": STR, "peer_address": IP, "peer_type": STR}
BIRD_INFO = {"socket": STR, "running": BOOL, "reason": STR, "version": STR, "router_id": IP,
             "protocols": listof(PROTOCOL)}
EVIDENCE = {"kind": STR, "line": STR, "version": INT, "address": IP_OR_CIDR, "interface": STR, "method": STR,
            "original": IP_OR_CIDR, "updated": IP_OR_CIDR}
PROCESS = {"pid": INT, "uid": INT, "argv": listof(STR)}
CALICO_NODE = {"deployment": STR, "running": BOOL, "reason": STR, "container_id": STR, "image": STR,
               "calico_version": STR, "env": mapof(STR), "autodetection_method": STR,
               "log_evidence": listof(EVIDENCE), "detected_address": IP_OR_CIDR, "detected_interface": STR,
               "process": PROCESS}
CHOICE = {"interface": STR, "address": IP_OR_CIDR, "reason": STR}
CANDIDATE = {"interface": STR, "index": INT, "address": IP_OR_CIDR, "excluded_by": STR, "state": STR}
PREDICTION = {"calico_version": STR, "method": STR, "exclusions": listof(STR), "configured": CHOICE,
              "first_found": CHOICE, "candidates": listof(CANDIDATE)}
DS_NODE = {"ipv4_address": IP_OR_CIDR, "ipv4_ipip_tunnel_addr": IP_OR_CIDR, "ipv4_vxlan_tunnel_addr": IP_OR_CIDR,
           "ipv6_address": IP_OR_CIDR, "as_number": INT_OR_STR, "internal_ip": IP_OR_CIDR, "blocks": listof(CIDR)}
POD = {"name": STR, "node": STR, "ready": BOOL, "phase": STR, "env": mapof(STR), "image": STR}
DATASTORE = {"datastore": STR, "reachable": BOOL, "reason": STR, "nodes": mapof(DS_NODE), "calico_node_pods": listof(POD)}
NODE_FACTS = {"schema": INT, "hostname": STR, "collected_at": STR, "duration_s": NUM, "interfaces": listof(INTERFACE),
              "routes": listof(ROUTE), "docker": DOCKER, "bird": {"ipv4": BIRD_INFO, "ipv6": BIRD_INFO},
              "calico_node": CALICO_NODE, "autodetection": PREDICTION, "datastore": DATASTORE,
              "warnings": listof(STR)}
SCHEMA_VERSION = 1


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return type(value).__name__


def _describe(shape):
    if isinstance(shape, dict):
        return "an object"
    if isinstance(shape, tuple):
        return "a list" if shape[0] == "list" else "an object"
    return {STR: "a string", INT: "an integer", NUM: "a finite number", BOOL: "true or false",
            INT_OR_STR: "an integer or a string"}.get(shape, "an " + shape if shape[0] in "AEIOU" else "a " + shape)


def _show(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# Checkers are compiled from the shapes once: check(value) -> None, or ([path parts, innermost
# first], what is wrong). The path is only put together for a node that breaks the contract:
# at 1000 nodes of 1000 protocols and routes each, the check runs over millions of values.
_ip_cached = functools.lru_cache(maxsize=1 << 16)(_ip)
_cidr_cached = functools.lru_cache(maxsize=1 << 16)(_cidr)
_FORMAT = {IP: _ip_cached, CIDR: _cidr_cached, IP_OR_CIDR: lambda text: _ip_cached(text) or _cidr_cached(text)}


def _scalar_checker(kind):
    expected = _describe(kind)

    def wrong(value):
        return [], "expected %s, got %s" % (expected, _show(value) if isinstance(value, str) else _type_name(value))

    if kind in _FORMAT:
        fmt = _FORMAT[kind]

        def check_format(value):
            return None if isinstance(value, str) and fmt(value) else wrong(value)
        return check_format

    def check_kind(value):
        return None if _kind_ok(kind, value) else wrong(value)
    return check_kind


# Lists of at least BULK objects (a node's protocols and routes: one per other node) are first
# checked field by field with C-level calls (map, set); only when that finds something, item by
# item, which says where. Plain dicts and plain str/int/bool values only: anything else (a str
# subclass, say) takes the item-by-item way, which decides.
BULK = 16
_TYPES = {STR: {str}, INT: {int}, BOOL: {bool}, INT_OR_STR: {int, str}, IP: {str}, CIDR: {str}, IP_OR_CIDR: {str}}


def _bulk_checker(shape):
    """check(items) -> True when every item of ITEMS (plain dicts) fits SHAPE; False: look closer."""
    fields = tuple(shape)
    plan = []
    for inner in shape.values():
        if isinstance(inner, str) and inner in _TYPES:
            plan.append((frozenset(_TYPES[inner] | {type(None)}), _FORMAT.get(inner), None))
        elif isinstance(inner, tuple) and inner[0] == "list" and isinstance(inner[1], str) and inner[1] in _FORMAT:
            plan.append((frozenset([list, type(None)]), None, (frozenset(_TYPES[inner[1]]), _FORMAT[inner[1]])))
        elif isinstance(inner, tuple) and inner[0] == "list" and isinstance(inner[1], str) and inner[1] in _TYPES:
            plan.append((frozenset([list, type(None)]), None, (frozenset(_TYPES[inner[1]]), None)))
        else:
            plan.append((None, None, _compile(inner)))
    every_field = operator.itemgetter(*fields)
    one_by_one = [operator.methodcaller("get", field) for field in fields]
    dict_only = frozenset([dict])
    none_only = frozenset([type(None)])

    def check(items):
        if not set(map(type, items)) <= dict_only:
            return False
        try:
            columns = list(zip(*map(every_field, items)))      # every item has every field (the contract's way)
        except KeyError:                                      # older collectors leave some out
            columns = [list(map(getter, items)) for getter in one_by_one]
        for values, (allowed, fmt, inner) in zip(columns, plan):
            kinds = set(map(type, values))
            if allowed is not None and not kinds <= allowed:
                return False
            if fmt is not None:
                present = set(values)
                present.discard(None)
                if not all(map(fmt, present)):
                    return False
            if isinstance(inner, tuple):                      # a list of scalars: flattened
                if kinds <= none_only:
                    continue
                elements = list(chain.from_iterable(filter(None, values)))
                if not set(map(type, elements)) <= inner[0]:
                    return False
                if inner[1] is not None and not all(map(inner[1], set(elements))):
                    return False
            elif inner is not None and any(inner(v) for v in values if v is not None):
                return False
        return True
    return check


def _compile(shape):
    if isinstance(shape, dict):
        fields = [(field, _compile(inner)) for field, inner in shape.items()]

        def check_object(value):
            if not isinstance(value, Mapping):
                return [], "expected an object, got %s" % _type_name(value)
            get = value.get
            for field, inner in fields:
                item = get(field)
                if item is not None:
                    bad = inner(item)
                    if bad is not None:
                        bad[0].append(("field", field))
                        return bad
            return None
        return check_object
    if isinstance(shape, tuple):
        container, inner_shape = shape
        inner, wanted = _compile(inner_shape), _describe(inner_shape)
        if container == "list":
            fast = _bulk_checker(inner_shape) if isinstance(inner_shape, dict) else None

            def check_list(value):
                if not isinstance(value, (list, tuple)):
                    return [], "expected a list, got %s" % _type_name(value)
                if fast is not None and len(value) >= BULK and fast(value):
                    return None
                for index, item in enumerate(value):
                    bad = ([], "expected %s, got null" % wanted) if item is None else inner(item)
                    if bad is not None:
                        bad[0].append(("index", index))
                        return bad
                return None
            return check_list

        def check_map(value):
            if not isinstance(value, Mapping):
                return [], "expected an object, got %s" % _type_name(value)
            for key, item in value.items():
                if not isinstance(key, str):
                    return [], "key %s is not a string" % _show(key)
                if item is not None:
                    bad = inner(item)
                    if bad is not None:
                        bad[0].append(("key", key))
                        return bad
            return None
        return check_map
    return _scalar_checker(shape)


def _where(parts, prefix=""):
    path = prefix
    for kind, step in reversed(parts):
        if kind == "field":
            path = "%s.%s" % (path, step) if path else step
        elif kind == "index":
            path += "[%d]" % step
        else:
            path += "[%s]" % _show(step)
    return path


def _problem(checker, value, prefix=""):
    if value is None:
        return None
    bad = checker(value)
    if bad is None:
        return None
    parts, what = bad
    return "%s: %s" % (_where(parts, prefix) or prefix or "the value", what)


_CHECK_FACTS = _compile(NODE_FACTS)
_CHECK_DATASTORE = _compile(DATASTORE)


def contract_problem(facts):
    """Where one node's ``meshdoctor`` facts break docs/facts-schema.md, or None."""
    if not isinstance(facts, Mapping):
        return "the facts: expected an object, got %s" % _type_name(facts)
    schema = facts.get("schema")
    if schema is not None and schema != SCHEMA_VERSION and _kind_ok(INT, schema):
        return "schema: version %s, this mesh_check reads version %d" % (schema, SCHEMA_VERSION)
    return _problem(_CHECK_FACTS, facts)


def datastore_problem(result):
    """Where a datastore result (DatastoreInfo) breaks docs/facts-schema.md, or None."""
    if not isinstance(result, Mapping):
        return "the datastore: expected an object, got %s" % _type_name(result)
    return _problem(_CHECK_DATASTORE, result, "datastore")
