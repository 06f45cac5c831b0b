"""`tests/lab/lab`: command line of the meshdoctor test lab (see tests/lab/README.md).

Parses the arguments and hands each subcommand to the module of its concern."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compose  # noqa: E402
import faults  # noqa: E402
import faults_mesh  # noqa: E402
import lifecycle  # noqa: E402
import outage  # noqa: E402
import shell  # noqa: E402
import state  # noqa: E402
import status  # noqa: E402
import topology  # noqa: E402


def _parser():
    parser = argparse.ArgumentParser(prog="lab", description="Calico node-to-node mesh lab in network namespaces")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="build the lab from a topology and wait for a healthy mesh")
    p_up.add_argument("topology")
    p_val = sub.add_parser("validate", help="only validate a topology file")
    p_val.add_argument("topology")
    sub.add_parser("down", help="remove everything the lab made (idempotent)")
    sub.add_parser("reset", help="down, then up with the same topology")
    p_out = sub.add_parser("outage", help="power cut and reboot of a host")
    p_out.add_argument("node")
    for name, text in (("fault", "break one thing on a host (stop a service)"), ("heal", "mend it again")):
        p = sub.add_parser(name, help=text)
        p.add_argument("node")
        p.add_argument("fault", choices=list(faults.FAULTS))
    p_rm = sub.add_parser("remove", help="a host gone for good (its Calico node stays in the datastore)")
    p_rm.add_argument("node")
    p_co = sub.add_parser("compose", help="create (up) or remove (down) a Docker network on a host at runtime")
    p_co.add_argument("node")
    p_co.add_argument("action", choices=("up", "down"))
    p_co.add_argument("name", help="network name, e.g. gerrit_default")
    p_co.add_argument("subnet", nargs="?", help="up: its IPv4 subnet, e.g. 172.19.0.0/16")
    p_co.add_argument("--containers", type=int, default=0, help="up: containers attached to it (0-20)")
    sub.add_parser("inventory", help="print the generated inventory's path")
    p_st = sub.add_parser("status", help="hosts, addresses and BGP sessions")
    p_st.add_argument("--json", action="store_true")
    p_sh = sub.add_parser("shell", help="run a command in the controller namespace")
    p_sh.add_argument("command", nargs=argparse.REMAINDER)
    return parser


def _inventory(_args):
    state.loaded()
    print(state.INVENTORY)


def _compose(args):
    if args.action == "up":
        if not args.subnet:
            raise state.LabError("compose %s up %s: give the network's SUBNET" % (args.node, args.name))
        compose.up(args.node, args.name, args.subnet, args.containers)
    else:
        if args.subnet or args.containers:
            raise state.LabError("compose %s down %s takes no SUBNET or --containers" % (args.node, args.name))
        compose.down(args.node, args.name)


def _status(args):
    data = status.status()
    print(json.dumps(data, indent=2) if args.json else status.format_status(data))


COMMANDS = {
    "down": lambda args: lifecycle.down(),
    "reset": lambda args: lifecycle.reset(),
    "outage": lambda args: outage.outage(args.node),
    "fault": lambda args: faults.apply(args.node, args.fault),
    "heal": lambda args: faults.heal(args.node, args.fault),
    "remove": lambda args: state.say("%s: removed; its Calico node stays in etcd" % faults_mesh.remove(args.node)["name"]),
    "compose": _compose,
    "inventory": _inventory,
    "status": _status,
}


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.cmd in ("up", "validate"):
            try:
                topo = topology.load(args.topology)
            except topology.TopologyError as exc:
                print("lab: invalid topology: %s" % exc, file=sys.stderr)
                return 2
            if args.cmd == "validate":
                print("topology ok: %d nodes" % len(topo["nodes"]))
                return 0
            lifecycle.up(topo, args.topology)
        elif args.cmd == "shell":
            cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
            if not cmd:
                parser.error("shell needs a command: lab shell -- CMD ...")
            return shell.shell(cmd)
        else:
            COMMANDS[args.cmd](args)
    except state.LabError as exc:
        print("lab: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
