"""What a Calico release changes in the lab's calico-node, outside autodetection.

Each fact names where it was read: tags of projectcalico/node (v3.15-v3.19), the confd
commit that node release pins in go.mod (its templates are copied into the image), and
projectcalico/calico tags from v3.22 (the monorepo, confd/etc/calico/confd/templates/).
Only what the lab's mesh renders with default settings is here (no explicit BGPPeers,
listen port, communities, passwords or route reflectors).
"""
import re

DEFAULT = (3, 24, 5)


def parse(version):
    """'v3.24.5' -> (3, 24, 5); anything else -> DEFAULT (the lab always sets a release)."""
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", version or "")
    return tuple(int(x) for x in match.groups()) if match else DEFAULT


def has_monitor(version):
    """The runit service `monitor-addresses` (`calico-node -monitor-addresses`): first in
    node v3.15.2 (filesystem/etc/service/available/monitor-addresses, absent in v3.15.1)
    and v3.16.0; rc.local enables it on every node."""
    ver = parse(version)
    return ver >= (3, 16, 0) or (ver[:2] == (3, 15) and ver >= (3, 15, 2))


# bird.cfg.template / bird_ipam.cfg.template differences that change the rendered mesh
# config with default settings, by the first release that has them.
#
TEMPLATE_FEATURES = {
    # v3.4.0: the mesh's `passive on` when the peer's address sorts above ours (Go template
    # `gt` on strings): node commit 1183be5 "Use unidirectional BGP connections in the
    # node-to-node mesh"; every template since has it. (v3.23.0 added `passive on` for
    # explicit BGPPeers that are Calico nodes, `$data.calico_node`: not the mesh.)
    "mesh_passive": (3, 4, 0),
    # v3.16.0: `function apply_communities ()` in bird.cfg, called first by
    # calico_export_to_bgp_peers (empty without prefix advertisements).
    "apply_communities": (3, 16, 0),
    # v3.17.0: the kernel protocol has `merge paths on;` (ECMP export).
    "merge_paths": (3, 17, 0),
    # v3.18.0: `source address` moves from bgp_template into each Mesh_ protocol.
    "mesh_source_address": (3, 18, 0),
    # v3.22.0: bird_ipam's `function reject_disabled_pools ()` (empty unless a pool has
    # disableBGPExport), called first by calico_export_to_bgp_peers.
    "reject_disabled_pools": (3, 22, 0),
    # v3.25.0: `multihop` leaves bgp_template; only v3.25.x writes `multihop;
    # ttl security off;` into each Mesh_ protocol (v3.26.0 drops both from the mesh, so
    # BIRD's iBGP default, multihop, applies).
    "template_multihop_gone": (3, 25, 0),
    "mesh_multihop_gone": (3, 26, 0),
    # v3.26.0: `import all` and `export filter { calico_export_to_bgp_peers(); reject; }`
    # move into each peer; calico_export_to_bgp_peers becomes a function.
    "inline_filters": (3, 26, 0),
    # v3.27.0: calico_export_to_bgp_peers(bool internal_peer) with reject_tunnel_routes();
    # the mesh calls it with true.
    "internal_peer_arg": (3, 27, 0),
}


def template_has(version, feature):
    return parse(version) >= TEMPLATE_FEATURES[feature]
