#!/usr/bin/env bash
# The main job: check and compile the specs, run the conformance suite on this host
# and on the twin device (built from Debian trixie if needed, cached), then write the
# evidence (NDJSON and JUnit per run, an HTML report) and name the folder.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export DO_NOT_TRACK=1 OPENSPEC_TELEMETRY=0
export ATOMICNIX_EVIDENCE="${ATOMICNIX_EVIDENCE:-$PWD/evidence}"

npx atomicnix spec check || exit 1
npx atomicnix spec compile || exit 1
npx vitest run
suite=$?
npx tsx twin/run-suite.ts
twin=$?
npx atomicnix conformance coverage
npx atomicnix conformance report --out "$ATOMICNIX_EVIDENCE/report"
npx atomicnix conformance gate
gate=$?
echo "evidence written to: $ATOMICNIX_EVIDENCE (runs/*/events.ndjson, runs/*/junit.xml, report/index.html)"
[ $suite -eq 0 ] && [ $twin -eq 0 ] && [ $gate -eq 0 ]
