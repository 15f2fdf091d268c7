#!/bin/bash
# Where nginx's idle memory per connection goes (bench/README.md, "Idle
# memory, allocation by allocation"): runs bench/cost.mjs's idle phase (2,000
# connections held after one header each) for one nginx configuration with
# every malloc of the worker logged (malloc-trace.c) and its resident pages
# read at the peak (snapshot.py); then bench/idle-memory/attribute.py DIR.
#   bench/idle-memory/run.sh DIR [CONFIG [MODULE.js]]
# CONFIG: a bench configuration id (nginx-jidroute-bare by default);
# MODULE.js: another njs module in its place (bench/peers/floor-read.js ...).
set -e
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd); config=${2:-nginx-jidroute-bare}
module=()
[ -n "$3" ] && module=(--njs-module "$(realpath "$3")")
gcc -O1 -shared -fPIC -o "$dir/malloc-trace.so" "$here/malloc-trace.c"
rm -f "$dir"/log.* "$dir"/pm.* "$dir"/maps.*
cd "$here/../.."
python3 "$here/snapshot.py" "$dir" 40 &
snap=$!
IDLE_TRACE_DIR="$dir" LD_PRELOAD="$dir/malloc-trace.so" node bench/cost.mjs --configs "$config" "${module[@]}" \
  --callgrind 0 --rounds 1 --duration 0.3 --warmup 0.2 --rate-duration 0.3 --idle 2000 --idle-hold 4 --core "" \
  --out "$dir/bench" > "$dir/bench.log" 2>&1
kill "$snap" 2>/dev/null || true
wait "$snap" 2>/dev/null || true
grep -o 'idle [0-9.]* KiB/conn' "$dir/bench.log" || true
