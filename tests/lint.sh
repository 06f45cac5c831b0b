#!/usr/bin/env bash
# ansible-lint (production profile, 0 violations) and yamllint (clean) over the collection.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${MESHDOCTOR_VENV:-$root/.venv}"
export PATH="$venv/bin:$PATH"
# ansible-lint resolves meshdoctor.calico.* from the checkout through ansible.cfg's
# collections_path (.collections, linked by tests/setup.sh).
if [ ! -e .collections/ansible_collections/meshdoctor/calico ]; then
  mkdir -p .collections/ansible_collections/meshdoctor
  ln -sfn ../../.. .collections/ansible_collections/meshdoctor/calico
fi
rc=0
# yamllint on the collection's own YAML (the lab's topologies are test data of tests/lab).
yaml_paths=(galaxy.yml meta roles playbooks inventory changelogs .ansible-lint .yamllint)
echo "lint: yamllint --strict ${yaml_paths[*]}"
yamllint --strict "${yaml_paths[@]}" || rc=1
echo "lint: ansible-lint --profile production --offline"
ansible-lint --profile production --offline --nocolor || rc=1
echo "lint: $([ $rc = 0 ] && echo passed || echo FAILED)"
exit $rc
