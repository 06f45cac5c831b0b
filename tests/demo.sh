#!/usr/bin/env bash
# The demo: a healthy 4-node Calico lab, the power cut that broke node `ai`, then the
# collection's diagnosis, report, remediation and verification. Tears the lab down at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ "$(id -u)" = 0 ] || { echo "demo: run as root (the lab uses network namespaces)" >&2; exit 2; }
MESHDOCTOR_SETUP_OLDEST=0 bash tests/setup.sh
lab=tests/lab/lab
trap '$lab down >/dev/null 2>&1 || true' EXIT
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
# playbook PLAYBOOK: run it in the lab's controller namespace against the lab's inventory.
# MESHDOCTOR_LAB_INVENTORY exists only in the environment `lab shell` gives the inner sh, so
# the single quotes are deliberate: the inner sh expands it, not this script.
# shellcheck disable=SC2016
playbook() { $lab shell -- sh -c 'ansible-playbook -i "$MESHDOCTOR_LAB_INVENTORY" "$@"' sh "$@"; }

step "Bringing up the seed lab: master, ai, hp, ml (Calico v3.24.5, etcd datastore)"
$lab up tests/lab/topologies/seed.yml
$lab status

step "Diagnose the healthy cluster: the stray bridge on ai is a latent risk"
playbook playbooks/diagnose.yml || true

step "Power cut on ai: it reboots and calico-node re-detects its address"
$lab outage ai
$lab status

step "Diagnose: one command instead of an afternoon"
if playbook playbooks/diagnose.yml; then
  echo "demo: diagnose should have failed on the broken mesh" >&2; exit 1
fi
echo "Reports: $root/meshdoctor-report/ (report.html, report.json, junit.xml)"

step "Remediate: remove the bridge, cycle calico-node one node at a time, prove the mesh"
playbook playbooks/remediate.yml
$lab status

step "Done: tearing the lab down"
