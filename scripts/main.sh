#!/usr/bin/env bash
# The main job: check and compile the specs, run the conformance suite on this host
# and on the twin device (built from Debian trixie if needed, cached), then write the
# evidence (NDJSON and JUnit per run, an HTML report) and name the folder.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export DO_NOT_TRACK=1 OPENSPEC_TELEMETRY=0
export ATOMICNIX_EVIDENCE="${ATOMICNIX_EVIDENCE:-$PWD/evidence}"
bash scripts/prebuild-vm-twin.sh

npx atomicnix spec check || exit 1
npx atomicnix spec compile || exit 1
npx vitest run
suite=$?
npx tsx twin/run-suite.ts
twin=$?
# With a signing key (a bench or release machine), every run of this job is exported
# as a signed in-toto statement next to its events.
if [ -n "${ATOMICNIX_ATTEST_KEY:-}" ]; then
  rev=$(git rev-parse HEAD)
  for run in "$ATOMICNIX_EVIDENCE"/runs/*/; do
    grep -q "\"revision\":\"$rev\"" "$run/events.ndjson" 2>/dev/null && npx atomicnix conformance attest "$run" --key "$ATOMICNIX_ATTEST_KEY"
  done
fi
npx atomicnix conformance coverage
npx atomicnix conformance report --out "$ATOMICNIX_EVIDENCE/report"
npx atomicnix conformance gate --require-bound
gate=$?
echo "evidence written to: $ATOMICNIX_EVIDENCE (runs/*/events.ndjson, runs/*/junit.xml, report/index.html, report/report.pdf, report/technical-file.md)"
[ $suite -eq 0 ] && [ $twin -eq 0 ] && [ $gate -eq 0 ]
