#!/usr/bin/env bash
# Starts xsock-echo on a free port, talks to it the way a user with nc would,
# and checks every byte comes back: a line, then a larger binary payload.
set -euo pipefail
bin=$1
address=${2:-127.0.0.1:0}
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

coproc SERVER { exec "$bin" --listen "$address"; }
server_pid=$SERVER_PID
read -r -t 20 -u "${SERVER[0]}" banner || { echo "no banner from xsock-echo"; exit 1; }
echo "server: $banner"
endpoint=${banner#*listening on }
endpoint=${endpoint%% *}
port=${endpoint##*:}
host=${endpoint%:*}
host=${host#[}
host=${host%]}

exec 3<>"/dev/tcp/$host/$port"
printf 'hello, echo\n' >&3
read -r -t 20 reply <&3
[ "$reply" = "hello, echo" ] || { echo "line came back as '$reply'"; exit 1; }

head -c 262144 /dev/urandom > "$work/sent"
cat "$work/sent" >&3 &
writer=$!
timeout 20 head -c 262144 <&3 > "$work/received"
wait "$writer"
cmp "$work/sent" "$work/received"
exec 3>&-
echo "echo over $host: line and 256 KiB came back intact"
