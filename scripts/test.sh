#!/usr/bin/env bash
# npm test: set up, build, run every test, and end with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
node build.mjs || exit 1
log=$(mktemp)
npx tap -R tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<< "$summary")
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<< "$summary")
rm -f "$log"
echo "${pass:-0} passed, ${fail:-0} failed"
exit "$status"
