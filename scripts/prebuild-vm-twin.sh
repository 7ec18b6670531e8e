#!/usr/bin/env bash
# Starts the arm64 VM twin's build in the background and returns at once. Its first
# build runs the root's package scripts under qemu-user, minutes on a fresh machine
# (twin/README.md), so it runs beside the host checks; twin/run-suite.ts's own build
# of arm64 waits for it (twin/build.sh locks per architecture) and reports its result.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
log=.cache/twin-build-arm64.log
nohup nice -n 5 bash twin/build.sh --arch arm64 > "$log" 2>&1 < /dev/null &
echo "arm64 VM twin building in the background (pid $!, log $log)"
