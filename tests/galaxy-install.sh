#!/usr/bin/env bash
# Build the collection as Galaxy would, install the tarball into an empty collections path
# and check that it works from there alone: every module is listed and its documentation
# renders, both roles' argument specs render, and both playbooks resolve by name.
#
# Prints "installed: <collections path>" so that a caller (tests/integration/
# test_installed_collection.py) can run the playbooks from the installed copy.
# MESHDOCTOR_INSTALL_DIR: install there (kept) instead of a temporary directory (removed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${MESHDOCTOR_VENV:-$root/.venv}"
export PATH="$venv/bin:$PATH"

work="$(mktemp -d /tmp/meshdoctor-galaxy.XXXXXX)"
if [ -n "${MESHDOCTOR_INSTALL_DIR:-}" ]; then
  install_dir="$MESHDOCTOR_INSTALL_DIR"
  rm -rf "$install_dir"
  mkdir -p "$install_dir"
else
  install_dir="$work/collections"
fi
trap 'rm -rf "$work"' EXIT

echo "galaxy: ansible-galaxy collection build --output-path $work/build"
ansible-galaxy collection build --force --output-path "$work/build" . >/dev/null
tarball="$(ls "$work"/build/meshdoctor-calico-*.tar.gz)"
echo "galaxy: built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
# What must not ship: virtualenvs, the lab's state, reports, caches.
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv[^/]*|\.collections|\.lab|\.git|\.hypothesis|\.pytest_cache|\.ansible|meshdoctor-report|__pycache__|tests/output|tests/artifacts)(/|$)'; then
  echo "galaxy: the tarball contains files that build_ignore should leave out (above)" >&2
  exit 1
fi

# A configuration that knows nothing of the checkout: only the installed copy resolves.
cat > "$work/ansible.cfg" <<EOF
[defaults]
collections_path = $install_dir
roles_path = $work/no-roles
EOF
export ANSIBLE_CONFIG="$work/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$install_dir"
cd "$work"   # not the checkout: no ./ansible.cfg, no ./collections

echo "galaxy: ansible-galaxy collection install -p $install_dir $(basename "$tarball")"
ansible-galaxy collection install --force -p "$install_dir" "$tarball" >/dev/null
installed="$install_dir/ansible_collections/meshdoctor/calico"
[ -f "$installed/MANIFEST.json" ] || { echo "galaxy: nothing installed at $installed" >&2; exit 1; }
ansible-galaxy collection list -p "$install_dir" meshdoctor.calico 2>/dev/null | grep -q "meshdoctor.calico" \
  || { echo "galaxy: ansible-galaxy does not list the installed collection" >&2; exit 1; }

rc=0
modules=()
for f in "$installed"/plugins/modules/*.py; do
  [ -e "$f" ] || continue
  modules+=("meshdoctor.calico.$(basename "$f" .py)")
done
[ ${#modules[@]} -gt 0 ] || { echo "galaxy: the installed collection has no module" >&2; rc=1; }
listed="$(ansible-doc -l meshdoctor.calico 2>/dev/null | awk '{print $1}')"
for m in "${modules[@]}"; do
  if ! grep -qx "$m" <<<"$listed"; then echo "galaxy: ansible-doc -l does not list $m" >&2; rc=1; fi
  if ! ansible-doc "$m" >/dev/null 2>"$work/doc.err"; then
    echo "galaxy: ansible-doc $m failed:" >&2; cat "$work/doc.err" >&2; rc=1
  fi
done
echo "galaxy: ansible-doc -l and ansible-doc checked for ${#modules[@]} modules: ${modules[*]}"
for p in "$installed"/plugins/action/*.py; do
  [ -e "$p" ] || continue
  a="meshdoctor.calico.$(basename "$p" .py)"
  [ -e "$installed/plugins/modules/$(basename "$p")" ] \
    || { echo "galaxy: action plugin $a has no module file for its documentation" >&2; rc=1; }
done
for r in diagnose remediate; do
  ansible-doc -t role "meshdoctor.calico.$r" >/dev/null 2>"$work/doc.err" \
    || { echo "galaxy: ansible-doc -t role meshdoctor.calico.$r failed:" >&2; cat "$work/doc.err" >&2; rc=1; }
done
echo "galaxy: ansible-doc renders roles meshdoctor.calico.diagnose, meshdoctor.calico.remediate"
printf 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n' > "$work/inventory.yml"
for pb in diagnose remediate; do
  ansible-playbook -i "$work/inventory.yml" --syntax-check "meshdoctor.calico.$pb" >/dev/null 2>"$work/pb.err" \
    || { echo "galaxy: ansible-playbook --syntax-check meshdoctor.calico.$pb failed:" >&2; cat "$work/pb.err" >&2; rc=1; }
done
echo "galaxy: playbooks meshdoctor.calico.diagnose and meshdoctor.calico.remediate resolve by name"

echo "installed: $install_dir"
echo "galaxy: $([ $rc = 0 ] && echo passed || echo FAILED)"
exit $rc
