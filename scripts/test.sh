#!/usr/bin/env bash
# The test command: type-check, spec checks, generated/ drift, the host test suite,
# the twin device suites (container and VM), all recorded as evidence, then the
# conformance gate. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export DO_NOT_TRACK=1 OPENSPEC_TELEMETRY=0

status=0
step() {
  echo "== $*"
  "$@" || { echo "FAILED: $*"; status=1; }
}
step npx tsc --noEmit
step npx atomicnix spec check
step npx atomicnix spec compile --check
step npx vitest run
step npx tsx twin/run-suite.ts
step npx atomicnix conformance gate
exit $status
