#!/bin/sh
# Installs jidroute from its release tarball, without Node:
#   tar xzf jidroute-VERSION.tar.gz && cd jidroute-VERSION && sh install.sh
# Checks SHA256SUMS, then puts the modules where the example configs load
# them from (/usr/local/lib/jidroute/, or $PREFIX/lib/jidroute/) and the
# example configs beside them (.../share/jidroute/). Changes nothing else: no
# proxy config is touched, no service restarted.
set -eu
cd "$(dirname "$0")"
prefix=${PREFIX:-/usr/local}
if command -v sha256sum >/dev/null 2>&1; then
  sha256sum --quiet -c SHA256SUMS
else
  echo "install.sh: sha256sum not found, SHA256SUMS not checked" >&2
fi
lib="$prefix/lib/jidroute"
share="$prefix/share/jidroute"
mkdir -p "$lib" "$share/njs" "$share/haproxy"
cp dist/jidroute.js dist/jidroute.lua "$lib/"
chmod 644 "$lib/jidroute.js" "$lib/jidroute.lua"
cp njs/*.conf "$share/njs/"
cp haproxy/*.cfg "$share/haproxy/"
cp README.md LICENSE "$share/"
echo "jidroute $(cat VERSION): modules in $lib, example configs in $share"
