# The stand-in XMPP servers and the client of the compose demo (compose.yaml):
# socat and two shell scripts, nothing of jidroute.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends socat \
 && rm -rf /var/lib/apt/lists/*
COPY docker/backend.sh /usr/local/bin/jidroute-backend
COPY docker/backend-session.sh /usr/local/bin/jidroute-backend-session
COPY docker/try.sh /usr/local/bin/jidroute-try
CMD ["jidroute-backend", "server-1", "5301", "5401"]
