"""`lab status`: the hosts, their BIRD, router ids, BGP sessions and missing block routes."""
import bird_status
import convergence
import host
from state import INVENTORY, loaded, netns_of


def status():
    topo = loaded()["topology"]
    out = {"controller_ip": topo["controller_ip"], "inventory": INVENTORY, "hosts": []}
    for node in topo["nodes"]:
        rows = bird_status.protocols(node["name"]) if node["calico"] else None
        out["hosts"].append({
            "name": node["name"], "ip": node["ip"], "netns": netns_of(node["name"]),
            "control_plane": node["control_plane"], "calico": node["calico"], "docker": node["docker"],
            "deployment": ("docker" if node["docker"] else "process") if node["calico"] else "none",
            "running": host.holder_pid(node["name"]) is not None,
            "bird_socket": bird_status.socket_path(node["name"]),
            "bird_running": rows is not None,
            "router_id": bird_status.router_id(node["name"]) if rows is not None else None,
            "sessions": rows or [],
        })
    out["established"] = sum(1 for h in out["hosts"] for r in h["sessions"] if r["info"].startswith("Established"))
    calico = len(convergence.calico_nodes(topo))
    out["backend"] = topo.get("backend", "bird")
    # backend vxlan: no BIRD, so no sessions are expected; the routes say whether it settled.
    out["expected"] = 0 if convergence.vxlan(topo) else calico * (calico - 1)
    # Hosts whose BIRD is down make gaps of their own; these are the routes a settled mesh has.
    out["route_gaps"] = convergence.route_gaps(topo)
    return out


def format_status(data):
    lines = ["%-10s %-16s %-16s %-6s %-20s %s" % ("HOST", "ADDRESS", "ROUTER ID", "BIRD", "PEER", "STATE / INFO")]
    for h in data["hosts"]:
        first = "%-10s %-16s %-16s %-6s" % (h["name"], h["ip"], h["router_id"] or "-",
                                            "up" if h["bird_running"] else "down")
        if not h["sessions"]:
            lines.append(first + " -")
        for i, r in enumerate(h["sessions"]):
            prefix = first if i == 0 else " " * len(first)
            lines.append("%s %-20s %s %s" % (prefix, r["peer"], r["state"], r["info"]))
    lines.append("Established: %d/%d directed sessions; inventory %s" % (data["established"], data["expected"], data["inventory"]))
    lines.append("Routes: %s" % ("every host routes every other host's block" if not data["route_gaps"]
                                 else "; ".join(data["route_gaps"])))
    return "\n".join(lines)
