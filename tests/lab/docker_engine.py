"""A real Docker engine per lab host, started inside the host's mount namespace.

The engine listens on the host's /var/run/docker.sock, which (thanks to the host's
bind-mounted /run) is `<state>/hosts/<name>/run/docker.sock` seen from outside: the lab
drives each engine through that path from the root namespace.
"""
import os
import shutil
import subprocess
import tarfile
import time

import host
from state import LAB_DIR, STATE, LabError, host_dir, run

IMAGE_TAR = os.path.join(STATE, "image.tar")
BASE_IMAGE = "md-lab/base:latest"
PROGRAM_DIR = os.path.join(LAB_DIR, "calico_node")
PROGRAM_IN_CONTAINER = "/calico-node-lab"


def sock(name):
    return host_dir(name, "run", "docker.sock")


def docker(name, *args, check=True):
    return run(["docker", "-H", "unix://" + sock(name)] + list(args), check=check)


def build_rootfs_tar():
    """A tarball of empty directories (plus merged-/usr symlinks): programs come from the
    host's /usr, bind-mounted read-only, since nothing can be pulled."""
    if os.path.exists(IMAGE_TAR):
        return
    tmp = IMAGE_TAR + ".tmp"
    with tarfile.open(tmp, "w") as tar:
        for directory in ("usr", "etc", "etc/calico", "proc", "sys", "dev", "tmp", "run", "var",
                          "var/log", "root", PROGRAM_IN_CONTAINER.strip("/")):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"),
                             ("lib64", "usr/lib64"), ("var/run", "../run")):
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    os.replace(tmp, IMAGE_TAR)


def start(name):
    """Start dockerd in host NAME (storage vfs: tiny images, no overlay-in-overlay issues)."""
    os.makedirs(host_dir(name, "docker"), exist_ok=True)
    host.spawn(name, "dockerd", [
        "dockerd", "--data-root", host_dir(name, "docker"), "--exec-root", "/var/run/docker",
        "--pidfile", "/var/run/docker.pid", "-H", "unix:///var/run/docker.sock",
        "--iptables=false", "--ip-masq=false", "--bridge=none", "--storage-driver", "vfs",
        "--log-level", "warn",
    ])


def wait_ready(name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(sock(name)) and docker(name, "version", "--format", "{{.Server.Version}}", check=False).returncode == 0:
            return
        pid = host.service_pid(name, "dockerd")
        if pid is None:
            break
        time.sleep(0.2)
    raise LabError("host %s: Docker engine did not come up, see %s" % (name, host_dir(name, "logs", "dockerd.log")))


def import_images(name, version):
    if docker(name, "image", "inspect", "calico/node:" + version, check=False).returncode == 0:
        return
    docker(name, "import", "-c", "ENV CALICO_VERSION=" + version,
           "-c", "LABEL org.opencontainers.image.version=" + version,
           IMAGE_TAR, "calico/node:" + version)
    docker(name, "tag", "calico/node:" + version, BASE_IMAGE)


def run_calico_node(node, topo, env):
    """`docker run` calico-node as `calicoctl node run` would: host network, privileged, the
    host's /var/log/calico (its --log-dir), /var/run/calico and /etc/calico; ENV is its
    environment (calico_service.calico_env). --uts host: calico-node names itself after
    the host's name (and sees a change of it: `lab fault NODE hostname-change`)."""
    args = ["run", "-d", "--name", "calico-node", "--network", "host", "--uts", "host",
            # --privileged fails here (no CAP_SYS_RESOURCE in the bounding set); BIRD needs these:
            "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
            "--restart", "always", "--label", "org.projectcalico.lab=true"]
    for key, value in env.items():
        args += ["-e", "%s=%s" % (key, value)]
    args += ["-v", "/usr:/usr:ro", "-v", "/var/run/calico:/var/run/calico", "-v", "/etc/calico:/etc/calico",
             "-v", "/var/log/calico:/var/log/calico",
             "-v", "%s:%s:ro" % (PROGRAM_DIR, PROGRAM_IN_CONTAINER),
             "calico/node:" + topo["calico_version"],
             "/usr/bin/python3", "-u", PROGRAM_IN_CONTAINER + "/calico-node"]
    docker(node["name"], *args)


def create_networks(node):
    """The topology's networks (created after calico-node registered, like a docker-compose
    project started later) and their containers."""
    for net in node["docker_networks"]:
        create_network(node["name"], net)


def create_network(name, net):
    """One bridge network on host NAME, labelled as docker-compose labels `<project>_default`,
    with NET["containers"] containers attached (`<network>-c<N>`, sleeping)."""
    args = ["network", "create", "--driver", "bridge", "--subnet", net["subnet"]]
    if net.get("bridge_name"):
        args += ["-o", "com.docker.network.bridge.name=" + net["bridge_name"]]
    if net["name"].endswith("_default"):  # what docker-compose labels its networks with
        project = net["name"][: -len("_default")]
        args += ["--label", "com.docker.compose.project=" + project,
                 "--label", "com.docker.compose.network=default"]
    docker(name, *(args + [net["name"]]))
    for index in range(1, net["containers"] + 1):
        cname = "%s-c%d" % (net["name"].replace("_", "-"), index)
        docker(name, "run", "-d", "--name", cname, "--network", net["name"],
               "--restart", "always", "-v", "/usr:/usr:ro", BASE_IMAGE, "sleep", "infinity")


def remove_network(name, network):
    """Remove NETWORK from host NAME with the containers attached to it (`docker compose down`)."""
    attached = docker(name, "network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", network).stdout.split()
    if attached:
        docker(name, "rm", "-f", *attached)
    docker(name, "network", "rm", network)
    return attached


def bridge_of(name, network):
    """The Linux bridge of NETWORK on host NAME (its bridge.name option, else br-<id12>)."""
    out = docker(name, "network", "inspect", "-f",
                 '{{.Id}} {{index .Options "com.docker.network.bridge.name"}}', network).stdout.split()
    return out[1] if len(out) > 1 and out[1] != "<no" else "br-" + out[0][:12]


def logs(name, container="calico-node", since=None):
    args = ["logs"] + (["--since", since] if since else []) + [container]
    proc = docker(name, *args, check=False)
    return proc.stdout + proc.stderr


def stop(name, timeout=15):
    """Stop dockerd gracefully (containers stop with it)."""
    pid = host.service_pid(name, "dockerd")
    if pid:
        subprocess.run(["kill", "-TERM", str(pid)], check=False)
        deadline = time.time() + timeout
        while time.time() < deadline and os.path.exists(os.path.join("/proc", str(pid))):
            time.sleep(0.1)


def clear_runtime_state(name):
    """What a reboot does to Docker's runtime state (/run is a tmpfs on real hosts): unmount
    the netns/rootfs mounts left in the host's mount namespace and remove the files."""
    mounts = host.in_host(name, ["cat", "/proc/self/mounts"]).stdout.splitlines()
    points = [m.split()[1] for m in mounts
              if m.split()[1].startswith(("/run/docker", "/run/containerd"))]
    for point in sorted(points, reverse=True):
        host.in_host(name, ["umount", "-l", point], check=False)
    for sub in ("docker", "containerd"):
        shutil.rmtree(host_dir(name, "run", sub), ignore_errors=True)
    for sub in ("docker.sock", "docker.pid"):
        try:
            os.unlink(host_dir(name, "run", sub))
        except OSError:
            pass
