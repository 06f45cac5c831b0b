#!/usr/bin/env bash
# Prepares this machine for the demo and the tests: Debian packages, the project's virtual
# environments and the collections path that makes `meshdoctor.calico.*` resolve from the
# checkout. Idempotent: a second run only checks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

debian_packages=(bird openssh-server docker.io etcd-server etcd-client iproute2 procps psmisc
                 util-linux tini git rsync chromium shellcheck python3 python3-venv ca-certificates
                 prometheus)
# Debian's kubectl (kubernetes-client) applies the collection's patches offline in the unit
# tests (`kubectl patch --local`). A kubectl from another package owns /usr/bin/kubectl and
# does the same, so it is only installed when no kubectl is there.
command -v kubectl >/dev/null 2>&1 || debian_packages+=(kubernetes-client)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The packaged services must not run in the root namespace: the lab starts its own.
# (prometheus: only its promtool is used, to check meshdoctor.prom and docs/metrics.md's alert rules.)
for svc in bird docker etcd ssh prometheus; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done

python="${MESHDOCTOR_PYTHON:-python3}"
make_venv() {  # make_venv DIR ANSIBLE_CORE_SPEC REQUIREMENTS_FILE
  local dir="$1" core="$2" reqs="$3" stamp
  stamp="$(cat "$reqs" requirements.txt | sha1sum | cut -c1-12)-$core"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then return; fi
  echo "setup: creating $dir ($core)"
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip
  "$dir/bin/python" -m pip install -q -r "$reqs" "$core"
  echo "$stamp" > "$dir/.stamp"
}
make_venv .venv "ansible-core>=2.19,<2.20" tests/requirements.txt
if [ "${MESHDOCTOR_SETUP_OLDEST:-1}" = 1 ]; then
  make_venv .venv-2.17 "ansible-core>=2.17,<2.18" tests/requirements.txt
fi

# ansible.cfg points collections_path at .collections: link the checkout in there.
mkdir -p .collections/ansible_collections/meshdoctor
ln -sfn ../../.. .collections/ansible_collections/meshdoctor/calico
echo "setup: ready ($(.venv/bin/ansible --version | sed -n 1p))"
