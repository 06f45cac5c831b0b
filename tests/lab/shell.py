"""`lab shell -- CMD`: CMD run in the controller namespace, as Ansible's controller (the
venv first on PATH, the repository's ansible.cfg, the lab inventory in the environment)."""
import os
import subprocess

import host
from state import CONTROLLER_NS, INVENTORY, REPO, loaded


def shell(cmd):
    loaded()
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["MESHDOCTOR_LAB_INVENTORY"] = INVENTORY
    env["VIRTUAL_ENV"] = os.path.join(REPO, ".venv")
    # After the venv: ssh/scp/sftp wrappers that use the lab's key and ignore host keys, so
    # a plain `ssh root@<host ip>` works in the controller namespace.
    env["PATH"] = env["PATH"].replace(os.pathsep, os.pathsep + host.SSH_BIN + os.pathsep, 1)
    return subprocess.run(["ip", "netns", "exec", CONTROLLER_NS] + list(cmd), cwd=REPO, env=env, check=False).returncode
