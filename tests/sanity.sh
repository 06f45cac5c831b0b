#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection, with no container and no ignore file.
#
# ansible-test wants the collection at .../ansible_collections/<namespace>/<name> inside a
# git repository. This script copies the checkout's files (tracked, plus untracked files that
# are not ignored) to a temporary tree of that shape, commits them there, and runs every
# sanity test that applies with the Python of .venv (ansible-core 2.19).
#
# ansible-test bootstraps pip in its per-test virtual environments with a script it downloads
# from a host outside the package registries; where that download fails it uses a cached
# copy. This script writes a stand-in there that bootstraps pip with ensurepip and installs
# the requested packages from the machine's configured package index instead.
#
# Environment: MESHDOCTOR_SANITY_ARGS adds ansible-test arguments (e.g. "--test pep8").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${MESHDOCTOR_VENV:-$root/.venv}"
start=$(date +%s)

# The shellcheck sanity test is skipped (with only a warning) when the program is missing.
if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "sanity: installing Debian package shellcheck (needed by the shellcheck sanity test)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shellcheck >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shellcheck >/dev/null; }
  else
    echo "sanity: shellcheck is missing; the shellcheck sanity test will be skipped" >&2
  fi
fi

ns="$(sed -n 's/^namespace: *//p' galaxy.yml)"
name="$(sed -n 's/^name: *//p' galaxy.yml)"
work="$(mktemp -d /tmp/meshdoctor-sanity.XXXXXX)"
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/$ns/$name"
mkdir -p "$dest"

echo "sanity: copying the collection to $dest"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue   # deleted in the work tree, not yet in the index
  printf '%s\0' "$f"
done | rsync -a --from0 --files-from=- ./ "$dest/"

(
  cd "$dest"
  git init -q
  git -c user.name=sanity -c user.email=sanity@localhost add -A
  git -c user.name=sanity -c user.email=sanity@localhost commit -q -m "sanity snapshot"
)

# The get-pip stand-in (see the header). ansible-test runs it as __main__ with the pip
# options it would give get-pip.py, e.g. `--disable-pip-version-check pip==24.2`.
pip_version="$("$venv/bin/python" -c '
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"])' 2>/dev/null || echo 24.2)"
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
standin="$cache/get_pip_${pip_version//./_}.py"
if ! grep -q "meshdoctor get-pip stand-in" "$standin" 2>/dev/null; then
  echo "sanity: writing the get-pip stand-in $standin"
  cat > "$standin" <<'EOF'
"""meshdoctor get-pip stand-in: bootstrap pip with ensurepip, then pip install the arguments."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null, which hides the machine's pip configuration
# (index, certificates) from every later pip call in this process.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
EOF
fi

read -r -a extra <<<"${MESHDOCTOR_SANITY_ARGS:-}"
cmd=("$venv/bin/ansible-test" sanity --python 3.11 --color no "${extra[@]}")
echo "sanity: running (cd $dest && ${cmd[*]})"
rc=0
(cd "$dest" && PATH="$venv/bin:$PATH" "${cmd[@]}") || rc=$?
if [ -d "$dest/tests/output" ]; then
  mkdir -p "$root/tests/artifacts"
  rm -rf "$root/tests/artifacts/sanity"
  cp -r "$dest/tests/output" "$root/tests/artifacts/sanity" 2>/dev/null || true
fi
echo "sanity: $([ $rc = 0 ] && echo passed || echo "FAILED (exit $rc)") in $(( $(date +%s) - start ))s"
exit $rc
