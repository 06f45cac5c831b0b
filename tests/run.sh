#!/usr/bin/env bash
# The whole test suite: what `.ci/run` calls and what the README's second command runs.
# Each stage runs even when an earlier one failed, so one run shows every problem; the
# closing line counts stages, and the exit status is non-zero when any stage failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2

if [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: the lab needs root (network namespaces, sshd, dockerd)" >&2
  exit 2
fi
bash tests/setup.sh || { echo "tests/run.sh: set-up failed" >&2; exit 1; }
mkdir -p tests/artifacts

passed=0; failed=0; failed_names=()
stage() {  # stage NAME CMD...
  local name="$1" start rc; shift
  start=$(date +%s)
  echo; echo "=== stage: $name"
  "$@"; rc=$?
  echo "=== stage: $name: $([ $rc = 0 ] && echo ok || echo "FAILED (exit $rc)") in $(( $(date +%s) - start ))s"
  if [ $rc = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("$name"); fi
}
unit() {  # unit VENV: the unit suite on one ansible-core
  "$1/bin/python" -m pytest tests/unit -q -p no:cacheprovider --junitxml="tests/artifacts/unit-$(basename "$1").xml"
}
module_docs() {  # every module's documentation renders
  local rc=0 m
  for m in plugins/modules/*.py; do
    m="$(basename "$m" .py)"
    .venv/bin/ansible-doc "meshdoctor.calico.$m" >/dev/null || { echo "ansible-doc failed: $m"; rc=1; }
  done
  [ $rc = 0 ] && echo "ansible-doc: every module renders"
  return $rc
}
lab_tests() {
  # Lab scenarios need the lab's namespaces; always leave none behind.
  .venv/bin/python -m pytest tests/integration -q -p no:cacheprovider \
      --junitxml=tests/artifacts/integration.xml "$@"
  local rc=$?
  tests/lab/lab down >/dev/null 2>&1 || true
  return $rc
}

stage "unit tests (ansible-core 2.19)" unit .venv
stage "unit tests (ansible-core 2.17)" unit .venv-2.17
stage "ansible-doc" module_docs
stage "ansible-lint and yamllint" bash tests/lint.sh
stage "changelog lint" .venv/bin/antsibull-changelog lint
stage "ansible-test sanity" bash tests/sanity.sh
stage "galaxy build and install" bash tests/galaxy-install.sh
stage "lab integration tests" lab_tests
stage "benchmark smoke run" tests/bench/bench --smoke

echo
[ $failed = 0 ] || echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed = 0 ]
