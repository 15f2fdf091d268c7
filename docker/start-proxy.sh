#!/bin/sh
# Starts nginx or HAProxy on jidroute's example configuration (/etc/jidroute/).
# JIDROUTE_LISTEN_ADDRESS=127.0.0.2 binds the listeners to that IPv4 address
# alone and changes nothing else: two proxies on the host's network can then
# both use the example's ports (compose.yaml does that).
set -eu
proxy=${1:?usage: jidroute-start nginx|haproxy}
addr=${JIDROUTE_LISTEN_ADDRESS:-}
case "$proxy" in
  nginx)
    conf=/etc/jidroute/nginx.conf
    if [ -n "$addr" ]; then
      sed -E "s/^([[:space:]]*listen[[:space:]]+)([0-9]+)/\\1$addr:\\2/" "$conf" > "${TMPDIR:-/tmp}/jidroute-nginx.conf"
      conf="${TMPDIR:-/tmp}/jidroute-nginx.conf"
    fi
    echo "jidroute-start: $(nginx -v 2>&1 | sed 's/^nginx version: //'), njs $(dpkg-query -W -f '${Version}' libnginx-mod-stream-js)"
    echo "jidroute-start: listening on $(sed -nE 's/^[[:space:]]*listen[[:space:]]+([^;]+);.*/\1/p' "$conf" | tr '\n' ' ')"
    exec nginx -p /var/lib/jidroute -c "$conf" -g 'daemon off;'
    ;;
  haproxy)
    conf=/etc/jidroute/haproxy.cfg
    if [ -n "$addr" ]; then
      sed -E "s/^([[:space:]]*bind[[:space:]]+):([0-9]+)/\\1$addr:\\2/" "$conf" > "${TMPDIR:-/tmp}/jidroute-haproxy.cfg"
      conf="${TMPDIR:-/tmp}/jidroute-haproxy.cfg"
    fi
    echo "jidroute-start: $(haproxy -v | head -n 1), $(haproxy -vv | sed -n 's/^Built with Lua version : //p')"
    echo "jidroute-start: listening on $(sed -nE 's/^[[:space:]]*bind[[:space:]]+([^[:space:]]+).*/\1/p' "$conf" | tr '\n' ' ')"
    exec haproxy -W -db -f "$conf"
    ;;
  *)
    echo "usage: jidroute-start nginx|haproxy" >&2
    exit 2
    ;;
esac
