#!/usr/bin/env bash
# The main job: check and compile the specs, run the conformance suite on this
# host, and print the coverage report with the evidence folder it wrote.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export DO_NOT_TRACK=1 OPENSPEC_TELEMETRY=0
export ATOMICNIX_EVIDENCE="${ATOMICNIX_EVIDENCE:-$PWD/evidence}"

npx atomicnix spec check || exit 1
npx atomicnix spec compile || exit 1
npx vitest run
suite=$?
npx atomicnix conformance coverage
latest=$(ls -1d "$ATOMICNIX_EVIDENCE"/runs/* 2>/dev/null | tail -n 1)
echo "evidence written to: ${latest:-$ATOMICNIX_EVIDENCE} (events.ndjson, junit.xml)"
npx atomicnix conformance gate >/dev/null
gate=$?
[ $suite -eq 0 ] && [ $gate -eq 0 ]
