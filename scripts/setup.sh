#!/usr/bin/env bash
# Installs what the demo and the tests need, when it is missing, on Debian 12
# (or 13) as root: Debian's packages, then the npm dependencies. Safe to run
# again: it does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  nginx-light libnginx-mod-stream libnginx-mod-stream-js  # nginx with stream + njs
  haproxy                                                 # HAProxy with Lua
  lua5.3 lua5.4                                           # the Lua parity tests
  njs                                                     # njs command line (syntax check, micro-benchmarks)
  gcc libc6-dev                                           # the benchmarks' load generator (bench/loadgen.c)
  prosody ejabberd openssl                                # real XMPP servers and the test CA (end-to-end tests, demo)
  debootstrap                                             # the Debian 13 and unstable roots of the release lines (harness/lines.mjs)
  make libssl-dev libpcre2-dev liblua5.4-dev              # HAProxy 3.4 from ../shared/vendor (harness/lines.mjs)
  go-sendxmpp sendxmpp python3-slixmpp python3-aioxmpp    # real clients (test/real-clients.test.mjs)
  libstrophe-dev pkg-config                               # libstrophe, for the test's small libstrophe client
)
if [ -n "${JIDROUTE_EXTRA_PACKAGES:-}" ]; then
  read -r -a extra <<< "$JIDROUTE_EXTRA_PACKAGES"
  PACKAGES+=("${extra[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root to install Debian packages" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  # Keep package installs from starting system services (nginx on :80, haproxy).
  policy_added=
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy_added=1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
