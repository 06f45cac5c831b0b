"""`lab fault NODE FAULT` / `lab heal NODE FAULT`: break one thing on a host, and mend it.

Every fault is a pair of functions (apply, heal), both called as f(node, topo), registered
in FAULTS with what the host must have for it (a topology key that must be true) and the
words printed after it. Adding a fault: write the two functions, add one row to FAULTS; the
CLI offers every key of FAULTS. A heal must be safe to run when nothing is broken.
"""
import collections
import signal

import calico_service
import docker_engine
import etcd
import faults_mesh
import host
import netns
from state import LabError, loaded, say
from topology import node_by_name

# NEEDS: None, or (topology key of the node that must be true, message when it is not).
Fault = collections.namedtuple("Fault", "apply heal needs applied healed", defaults=(None, "stopped", "started"))


def _kill_service(name, service):
    pid = host.service_pid(name, service)
    if pid:
        netns.kill([pid], signal.SIGTERM)
        if netns.wait_gone([pid], 10):
            netns.kill([pid])
            netns.wait_gone([pid], 5)


# ------------------------------------------------------------------ the faults
def stop_sshd(node, _topo):
    _kill_service(node["name"], "sshd")


def start_sshd(node, _topo):
    if not host.service_pid(node["name"], "sshd"):
        host.start_sshd(node)


def stop_calico_node(node, _topo):
    calico_service.stop(node)


def start_calico_node(node, topo):
    if node["docker"] or not host.service_pid(node["name"], "calico-node"):
        calico_service.start(node, topo)


def stop_docker(node, _topo):
    docker_engine.stop(node["name"])
    _kill_service(node["name"], "dockerd")


def start_docker(node, _topo):
    name = node["name"]
    if not host.service_pid(name, "dockerd"):
        docker_engine.clear_runtime_state(name)
        docker_engine.start(name)
        docker_engine.wait_ready(name)


def stop_etcd(node, _topo):
    _kill_service(node["name"], "etcd")


def start_etcd(node, _topo):
    if not host.service_pid(node["name"], "etcd"):
        etcd.start(node)
        etcd.wait_ready(node["name"])


FAULTS = {
    "sshd": Fault(stop_sshd, start_sshd),
    "calico-node": Fault(stop_calico_node, start_calico_node, ("calico", "%s runs no calico-node (calico: false)")),
    "docker": Fault(stop_docker, start_docker, ("docker", "%s has no Docker engine (docker: false)")),
    "etcd": Fault(stop_etcd, start_etcd, ("control_plane", "%s does not run etcd (not the control plane)")),
}
# The mesh failures of issue 13 (faults_mesh.py): each applied and healed for real.
_NEEDS_CALICO = ("calico", "%s runs no calico-node (calico: false)")
FAULTS.update((name, Fault(apply_, heal_, None if name == "mtu" else _NEEDS_CALICO, "applied", "healed"))
              for name, (apply_, heal_) in faults_mesh.FAULTS.items())


# ------------------------------------------------------------------ the commands
def _lookup(name, fault_name):
    if fault_name not in FAULTS:
        raise LabError("unknown fault %r (one of %s)" % (fault_name, ", ".join(FAULTS)))
    topo = loaded()["topology"]
    node = node_by_name(topo, name)
    fault = FAULTS[fault_name]
    if fault.needs and not node[fault.needs[0]]:
        raise LabError(fault.needs[1] % node["name"])
    return fault, node, topo


def apply(name, fault_name):
    fault, node, topo = _lookup(name, fault_name)
    fault.apply(node, topo)
    say("%s: %s %s" % (name, fault_name, fault.applied))


def heal(name, fault_name):
    fault, node, topo = _lookup(name, fault_name)
    fault.heal(node, topo)
    say("%s: %s %s" % (name, fault_name, fault.healed))
