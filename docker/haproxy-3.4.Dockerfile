# HAProxy 3.4.0 built from the vendored source (../shared/vendor, see
# harness/lines.mjs: built once on the host, cached while the tarball's
# checksum is the same), laid out as the official `haproxy` image lays out
# its files: the binary in /usr/local/sbin, the config in
# /usr/local/etc/haproxy/haproxy.cfg, the user haproxy (uid 99), workdir
# /var/lib/haproxy, graceful stop on SIGUSR1. jidroute's module and example
# config on top, as docs/docker.md tells users of the official image to add
# them. The build context is a folder harness/docker.mjs prepares
# (buildHaproxy34Image): build/haproxy is the binary.
ARG BASE=debian:trixie-slim
FROM ${BASE}
# The libraries the binary links (OpenSSL 3, PCRE2, Lua 5.4).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libssl3t64 libpcre2-8-0 liblua5.4-0 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 99 --system haproxy \
 && useradd --gid haproxy --home-dir /var/lib/haproxy --no-create-home --system --uid 99 haproxy \
 && mkdir -p /var/lib/haproxy /usr/local/etc/haproxy \
 && chown haproxy:haproxy /var/lib/haproxy
COPY build/haproxy /usr/local/sbin/haproxy
RUN haproxy -vv | grep -q 'Built with Lua version : Lua 5.4'
COPY docker/start-proxy.sh /usr/local/bin/jidroute-start
COPY dist/jidroute.lua /usr/local/lib/jidroute/jidroute.lua
COPY haproxy/haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg
# Where the Debian images keep it too, for jidroute-start.
COPY haproxy/haproxy.cfg /etc/jidroute/haproxy.cfg
STOPSIGNAL SIGUSR1
USER haproxy
WORKDIR /var/lib/haproxy
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
