"""`tests/lab/lab`: command line of the meshdoctor test lab (see tests/lab/README.md)."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lab_ops  # noqa: E402
import topology  # noqa: E402
from state import INVENTORY, LabError  # noqa: E402


def main(argv=None):
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
    for name, text in (("fault", "stop a service on a host"), ("heal", "start a service again")):
        p = sub.add_parser(name, help=text)
        p.add_argument("node")
        p.add_argument("service", choices=lab_ops.SERVICES)
    sub.add_parser("inventory", help="print the generated inventory's path")
    p_st = sub.add_parser("status", help="hosts, addresses and BGP sessions")
    p_st.add_argument("--json", action="store_true")
    p_sh = sub.add_parser("shell", help="run a command in the controller namespace")
    p_sh.add_argument("command", nargs=argparse.REMAINDER)
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
            lab_ops.up(topo, args.topology)
        elif args.cmd == "down":
            lab_ops.down()
        elif args.cmd == "reset":
            lab_ops.reset()
        elif args.cmd == "outage":
            lab_ops.outage(args.node)
        elif args.cmd == "fault":
            lab_ops.fault(args.node, args.service)
        elif args.cmd == "heal":
            lab_ops.heal(args.node, args.service)
        elif args.cmd == "inventory":
            lab_ops.loaded()
            print(INVENTORY)
        elif args.cmd == "status":
            data = lab_ops.status()
            print(json.dumps(data, indent=2) if args.json else lab_ops.format_status(data))
        elif args.cmd == "shell":
            cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
            if not cmd:
                parser.error("shell needs a command: lab shell -- CMD ...")
            return lab_ops.shell(cmd)
    except LabError as exc:
        print("lab: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
