#!/bin/sh
# One connection to a stand-in server (socat runs this with the socket on
# stdin and stdout): read what comes first, then greet, print one line with
# what came, drain. Reading before greeting is what an XMPP server does (the
# client speaks first: RFC 6120 §4.2,
# https://xmpp.org/rfcs/rfc6120.html#streams-open), and a client that has
# its greeting then knows its header was read here, however soon it closes.
first=$(dd bs=65536 count=1 2>/dev/null | tr -d '\000-\037\177' | head -c 2000)
echo "$1"
printf '%s port %s received: %s\n' "$1" "$2" "$first" >&2
exec cat > /dev/null
