#!/usr/bin/env bash
# The test command: type-check, import-layer lint (Biome), unused files and exports (knip), spec checks, generated/ drift, the host test suite,
# the twin device suites (container and VM), all recorded as evidence, then the
# conformance gate in --require-bound mode: it passes only when every implemented
# scenario passed at this commit, from a clean tree, on a target that proves its
# level, or is validly waived. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export DO_NOT_TRACK=1 OPENSPEC_TELEMETRY=0
bash scripts/prebuild-vm-twin.sh

status=0
step() {
  echo "== $*"
  "$@" || { echo "FAILED: $*"; status=1; }
}
step npx tsc --noEmit
step npm run lint
step npm run knip
step npx atomicnix spec check
step npx atomicnix spec compile --check
step npx vitest run
step npx tsx twin/run-suite.ts
# A suite that leaves tracked or unignored files behind makes every later run "dirty",
# and the gate refuses dirty-tree passes: name the files here.
clean_tree() {
  local left
  left=$(git status --porcelain --untracked-files=normal)
  [ -z "$left" ] || { echo "the test run left the tree dirty:"; echo "$left"; return 1; }
}
step clean_tree
step npx atomicnix conformance gate --require-bound
exit $status
