#!/bin/sh
# The compose demo's client: the devices of a few accounts connect through
# each proxy, each from a loopback address of its own, and a table shows the
# server each one landed on.   docker compose run --rm try
# With a JID, one connection:  docker compose run --rm try jidroute-try juliet@capulet.example 127.0.0.3:5322
set -eu
if [ "${1:-}" = --session ]; then
  # One device; socat runs this with the connection on stdin and stdout.
  from=${2#-}
  printf "<?xml version='1.0'?><stream:stream %sto='%s' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" \
    "${from:+from='$from' }" "$3"
  IFS=' ' read -r server rest || server=closed
  echo "landed=$server" >&2
  exit 0
fi

NGINX=${JIDROUTE_NGINX:-127.0.0.2}
HAPROXY=${JIDROUTE_HAPROXY:-127.0.0.3}
ACCOUNTS="juliet@capulet.example romeo@montague.example nurse@capulet.example benvolio@montague.example"
DEVICES="phone laptop tablet"
source=10

# connect ADDRESS PORT FROM TO [SOURCE]: prints the server the connection
# landed on; SOURCE is the client's own loopback address.
connect() {
  out=$(socat -T 10 TCP:"$1:$2"${5:+,bind=$5} EXEC:"jidroute-try --session -$3 $4" 2>&1 >/dev/null || true)
  case "$out" in
    *landed=*) echo "${out##*landed=}" ;;
    *) echo "error" ;;
  esac
}

# One connection by hand:   jidroute-try JID [ADDRESS:PORT]
if [ $# -ge 1 ]; then
  target=${2:-$NGINX:5222}
  domain=${1#*@}
  domain=${domain%%/*}
  echo "$1 via $target: $(connect "${target%:*}" "${target##*:}" "$1" "$domain")"
  exit 0
fi

row='%-8s %-7s %-26s %-27s %-9s %s\n'
printf "$row" proxy policy account devices together 'no from'
printf "$row" ------- ------ ------------------------- -------------------------- -------- --------
for proxy in nginx haproxy; do
  if [ $proxy = nginx ]; then address=$NGINX; else address=$HAPROXY; fi
  for listener in 5222:bare 5322:domain; do
    port=${listener%%:*}
    policy=${listener#*:}
    for jid in $ACCOUNTS; do
      domain=${jid#*@}
      landed=
      for device in $DEVICES; do
        source=$((source + 1))
        landed="$landed $(connect "$address" "$port" "$jid/$device" "$domain" 127.0.0.$source)"
      done
      landed=${landed# }
      together=NO
      [ "$(echo "$landed" | tr ' ' '\n' | sort -u | wc -l)" -eq 1 ] && together=yes
      # A client that leaves `from` out (most do before STARTTLS) is routed by
      # its address (bare policy) or by `to` (domain policy).
      source=$((source + 1))
      nofrom=$(connect "$address" "$port" "" "$domain" 127.0.0.$source)
      printf "$row" "$proxy" "$policy" "$jid" "$landed" "$together" "$nofrom"
    done
  done
done
echo
echo "bare: every device of an account on one server. domain: every account of a tenant domain on one server."
echo "nginx listens on $NGINX, HAProxy on $HAPROXY (ports 5222, 5322, 5269); 'docker compose logs' shows each"
echo "proxy's log line per connection (HAProxy's values in hex) and what each server received."
