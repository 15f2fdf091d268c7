#!/bin/sh
# A stand-in XMPP server for the compose demo: on each port (127.0.0.1 only)
# it reads the first bytes the proxy passes on, greets the connection with
# its name and prints those bytes, so `docker compose logs` shows which
# header landed where.
set -eu
name=${1:?usage: jidroute-backend NAME PORT...}
shift
pids=
for port in "$@"; do
  socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork EXEC:"jidroute-backend-session $name $port" &
  pids="$pids $!"
done
echo "$name: listening on 127.0.0.1 port $*"
# As PID 1 the shell ignores SIGTERM unless it traps it.
trap 'kill $pids 2>/dev/null; exit 0' INT TERM
wait
