#!/usr/bin/env bash
# npm test: set up, build, run every test, and end with "N passed, N failed".
# With file arguments, runs just those. Without, the files that need the
# release lines' roots or Docker (they import lines.mjs or docker.mjs) run
# last, while scripts/prepare-tests.mjs makes those in the background: on a
# cold machine the downloads and builds overlap the other tests.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
node build.mjs || exit 1
log=$(mktemp)
status=0
run_tap() {
  npx tap -R tap "$@" 2>&1 | tee -a "$log"
  local s=${PIPESTATUS[0]}
  [ "$s" -ne 0 ] && status=$s
}
if [ $# -gt 0 ]; then
  run_tap "$@"
else
  prep_log=$(mktemp)
  started=$SECONDS
  node scripts/prepare-tests.mjs >"$prep_log" 2>&1 &
  prep=$!
  mapfile -t late < <(grep -lE "(lines|docker)\.mjs'" test/*.test.mjs)
  mapfile -t early < <(grep -LE "(lines|docker)\.mjs'" test/*.test.mjs)
  run_tap "${early[@]}"
  echo "# the tests that need no Debian root or Docker: $((SECONDS - started)) s"
  wait "$prep" || echo "# scripts/prepare-tests.mjs failed; the tests below make what they need themselves"
  cat "$prep_log"; rm -f "$prep_log"
  run_tap "${late[@]}"
  echo "# all tests: $((SECONDS - started)) s"
fi
pass=0; fail=0
while read -r summary; do
  p=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<< "$summary")
  f=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<< "$summary")
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
done < <(grep -E '^# \{ total: [0-9]+' "$log")
rm -f "$log"
echo "$pass passed, $fail failed"
exit "$status"
