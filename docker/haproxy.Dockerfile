# HAProxy (Lua) from Debian with jidroute and the example config
# haproxy/haproxy.cfg. BASE picks the generation: debian:bookworm-slim
# (HAProxy 2.6, Lua 5.3) or debian:trixie-slim (HAProxy 3.0, Lua 5.4).
# Build from the repository's top, after `npm run build`:
#   docker build --network host -f docker/haproxy.Dockerfile --build-arg BASE=debian:trixie-slim -t jidroute-haproxy:trixie .
ARG BASE=debian:bookworm-slim
FROM ${BASE}
# policy-rc.d: keep the package's postinst from starting HAProxy with Debian's
# own configuration.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
COPY docker/start-proxy.sh /usr/local/bin/jidroute-start
COPY haproxy/haproxy.cfg /etc/jidroute/haproxy.cfg
COPY dist/jidroute.lua /usr/local/lib/jidroute/jidroute.lua
# The example config logs to stdout: `docker logs` shows the routing variables.
CMD ["jidroute-start", "haproxy"]
