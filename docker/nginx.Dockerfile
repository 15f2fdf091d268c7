# nginx (stream + njs) from Debian with jidroute and the example config
# njs/nginx.conf. BASE picks the generation: debian:bookworm-slim (nginx 1.22,
# njs 0.7.9) or debian:trixie-slim (nginx 1.26, njs 0.8.9).
# Build from the repository's top, after `npm run build`:
#   docker build --network host -f docker/nginx.Dockerfile --build-arg BASE=debian:trixie-slim -t jidroute-nginx:trixie .
ARG BASE=debian:bookworm-slim
FROM ${BASE}
# policy-rc.d: the package's postinst would start nginx on port 80 (on the
# host's network during a `--network host` build).
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nginx-light libnginx-mod-stream libnginx-mod-stream-js \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
# Relative paths in the config (pid, logs/) are under the -p prefix; its logs
# go to the container's output, where `docker logs` shows them.
RUN mkdir -p /var/lib/jidroute/logs \
 && ln -s /dev/stdout /var/lib/jidroute/logs/xmpp.log \
 && ln -s /dev/stderr /var/lib/jidroute/logs/error.log
COPY docker/start-proxy.sh /usr/local/bin/jidroute-start
COPY njs/nginx.conf /etc/jidroute/nginx.conf
COPY dist/jidroute.js /usr/local/lib/jidroute/jidroute.js
WORKDIR /var/lib/jidroute
CMD ["jidroute-start", "nginx"]
