#!/usr/bin/env bash
# Starts xsock-echo as a server and checks every byte comes back: a line, then
# a 256 KiB binary payload, through the demo's own blocking client
# (xsock-echo --connect, built on xsock::Socket), and for TCP also through a
# peer that is not xsock (bash's /dev/tcp, as nc would).
#
#   EchoDemoTest.sh XSOCK_ECHO ADDRESS
#
# ADDRESS is what --listen takes (127.0.0.1:0 and [::1]:0 for a free port), or
# "unix" for a socket file in this test's own temporary folder, or "abstract"
# for a fresh name in Linux's abstract namespace.
set -euo pipefail
bin=$1
address=${2:-127.0.0.1:0}
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
case $address in
unix) address="unix:$work/echo.sock" ;;
abstract) address="unix:@xsock-echo-test-$$-$RANDOM" ;;
esac

coproc SERVER { exec "$bin" --listen "$address"; }
server_pid=$SERVER_PID
read -r -t 20 -u "${SERVER[0]}" banner || { echo "no banner from xsock-echo"; exit 1; }
read -r -t 20 -u "${SERVER[0]}" hint || { echo "no hint from xsock-echo"; exit 1; }
echo "server: $banner"
echo "server: $hint"
endpoint=${banner#*listening on }
endpoint=${endpoint%% *}
head -c 262144 /dev/urandom > "$work/sent"

talk() { timeout 60 "$bin" --connect "$endpoint" --timeout 20000; }

check() {
    local how=$1 reply
    reply=$(printf 'hello, echo\n' | talk)
    [ "$reply" = "hello, echo" ] || { echo "$how: line came back as '$reply'"; exit 1; }
    talk < "$work/sent" > "$work/received"
    cmp "$work/sent" "$work/received"
    echo "$how over $endpoint: line and 256 KiB came back intact"
}

case $endpoint in
unix:@*)
    [[ $hint == *"ABSTRACT-CONNECT:${endpoint#unix:@}" ]] || { echo "the hint should name socat"; exit 1; }
    ;;
unix:/*)
    path=${endpoint#unix:}
    [ -S "$path" ] || { echo "no socket file at $path"; exit 1; }
    [[ $hint == *"nc -U $path" ]] || { echo "the hint should say 'nc -U $path'"; exit 1; }
    ;;
*)
    port=${endpoint##*:}
    host=${endpoint%:*}
    host=${host#[}
    host=${host%]}
    [[ $hint == *"nc $host $port" ]] || { echo "the hint should say 'nc $host $port'"; exit 1; }
    exec 3<>"/dev/tcp/$host/$port"
    printf 'hello, echo\n' >&3
    read -r -t 20 reply <&3
    [ "$reply" = "hello, echo" ] || { echo "/dev/tcp: line came back as '$reply'"; exit 1; }
    cat "$work/sent" >&3 &
    writer=$!
    timeout 20 head -c 262144 <&3 > "$work/received"
    wait "$writer"
    exec 3>&-
    cmp "$work/sent" "$work/received"
    echo "/dev/tcp over $endpoint: line and 256 KiB came back intact"
    ;;
esac
check "blocking client"
