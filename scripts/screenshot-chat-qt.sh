#!/usr/bin/env bash
# Regenerates docs/chat-qt.png: xsock-chat-qt mid-conversation, under Xvfb.
# Two terminal peers (alice, carol) and the window (bob) form a mesh through
# invite codes; alice and carol talk and alice offers bob a file, then the X
# screen is saved with xwd and converted with netpbm.
#   scripts/screenshot-chat-qt.sh [BUILD_DIR]   (default ./build, built with xsock-chat-qt)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
messenger=$build/demo/messenger/xsock-messenger
window=$build/demo/chat-qt/xsock-chat-qt
if [ ! -x "$messenger" ] || [ ! -x "$window" ]; then
    echo "build xsock-messenger and xsock-chat-qt in $build first" >&2
    exit 1
fi
.ci/install-packages xvfb x11-apps netpbm

work=$(mktemp -d)
pids=()
declare -A input # each terminal peer's standard input, by name
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$work/config

# Waits (at most 30 s) for a line matching $2 in file $1; prints it.
wait_for() {
    for _ in $(seq 300); do
        if grep -m1 -E "$2" "$1"; then return 0; fi
        sleep 0.1
    done
    echo "no line matching '$2' in $1:" >&2
    cat "$1" >&2
    exit 1
}

# A terminal peer reading commands from a pipe: NAME, then its arguments.
start_peer() {
    local name=$1
    shift
    mkfifo "$work/$name.in"
    "$messenger" --name "$name" --line-mode --listen 127.0.0.1:0 --downloads "$work/$name" "$@" \
        <"$work/$name.in" >"$work/$name.out" 2>&1 &
    pids+=($!)
    local fd
    exec {fd}>"$work/$name.in"
    input[$name]=$fd
}

Xvfb -displayfd 3 -screen 0 720x480x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
DISPLAY=:$(cat "$work/display")
export DISPLAY

start_peer alice
alice_at=$(wait_for "$work/alice.out" '^\* listening on' | grep -oE '127\.0\.0\.1:[0-9]+' | head -1)
code=$(wait_for "$work/alice.out" '^\* invite code:' | grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}')

QT_QPA_PLATFORM=xcb "$window" --name bob --connect "$alice_at" --code "$code" \
    --downloads "$work/bob" >"$work/bob.out" 2>&1 &
pids+=($!)
wait_for "$work/alice.out" '^\* bob joined' >/dev/null

echo /invite >&"${input[alice]}"
code=$(wait_for "$work/alice.out" '^\* invite code: .*one peer, within 10 minutes\)$' |
    grep -oE '[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}')
start_peer carol --connect "$alice_at" --code "$code"
wait_for "$work/carol.out" '^\* bob joined' >/dev/null

echo "morning all, the io_uring numbers are in" >&"${input[alice]}"
wait_for "$work/carol.out" '^<alice> morning' >/dev/null
echo "nice, did the 64-socket run beat epoll?" >&"${input[carol]}"
wait_for "$work/alice.out" '^<carol> nice' >/dev/null
echo "by a bit; bob, here is the report" >&"${input[alice]}"
printf 'loop,sockets,round trips/s\nepoll,64,412000\nio_uring,64,447000\n' >"$work/report.csv"
echo "/send bob $work/report.csv" >&"${input[alice]}"
wait_for "$work/alice.out" '^\* offering report\.csv to bob' >/dev/null
# The window has painted what it was sent: the offer arrived a moment ago.
sleep 1
xwd -root -silent -display "$DISPLAY" | xwdtopnm 2>/dev/null | pnmtopng >docs/chat-qt.png
echo "wrote docs/chat-qt.png"
