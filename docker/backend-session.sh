#!/bin/sh
# One connection to a stand-in server (socat runs this with the socket on
# stdin and stdout): greet, print one line with what came first, drain.
echo "$1"
first=$(dd bs=65536 count=1 2>/dev/null | tr -d '\000-\037\177' | head -c 2000)
printf '%s port %s received: %s\n' "$1" "$2" "$first" >&2
exec cat > /dev/null
