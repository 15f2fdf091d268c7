# A clean Debian with nginx (stream + njs) and HAProxy from Debian's packages
# and no Node: where test/release.test.mjs installs the release tarball
# (npm run release) and runs both proxies from it with the example configs.
# Nothing of jidroute is copied in here.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nginx-light libnginx-mod-stream libnginx-mod-stream-js haproxy \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
