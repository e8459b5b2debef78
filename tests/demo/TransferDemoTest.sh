#!/usr/bin/env bash
# Runs xsock-transfer end to end over loopback: a server on a free port
# (--listen 127.0.0.1:0, its banner read for the port) receiving into a
# temporary folder, and the sender as a separate process.
#
#   TransferDemoTest.sh XSOCK_TRANSFER CASE
#
# CASE is one of:
#   tree     a folder tree with empty files, an empty folder, spaces and UTF-8
#            names; contents, modes and modification times must match
#   large    a 200 MiB file; then a second copy whose sender is killed with
#            SIGKILL mid-file: no complete-looking file may appear, and
#            sending again must resume from what arrived and end identical
#   escape   every way out of the folder ('..', absolute, empty components,
#            symbolic links for folders, files and part files) is refused,
#            nothing appears outside, and the server keeps serving
#   concurrent
#            a second sender is served while a first one is still sending
#   errors   connection refused, a missing folder, a server that cannot write
#            (file-size limit: the error reaches the sender), a partial copy
#            that no longer matches the source (the sender starts over), --help
set -euo pipefail
bin=$1
case_name=$2
work=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL ($case_name): $*"
    for log in "$work"/*.log; do
        [ -f "$log" ] && { echo "--- $log"; cat "$log"; }
    done
    exit 1
}

# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds, 60 s at most.
wait_for() {
    local what=$1 deadline=$((SECONDS + 60))
    shift
    until "$@" 2>/dev/null; do
        ((SECONDS < deadline)) || fail "timed out waiting for $what"
        sleep 0.05
    done
}

# start_server NAME DIR [ULIMIT_F]: starts a server, sets $port.
start_server() {
    local name=$1 dir=$2 limit=${3:-unlimited}
    (
        ulimit -f "$limit"
        exec "$bin" serve --dir "$dir" --listen 127.0.0.1:0
    ) >"$work/$name.log" 2>&1 &
    pids+=($!)
    wait_for "the $name banner" grep -q "serving .* on 127.0.0.1:" "$work/$name.log"
    port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/$name.log")
    [ -n "$port" ] || fail "no port in the $name banner"
}

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# part_at_least FILE BYTES: whether FILE exists and holds at least BYTES.
part_at_least() { [ "$(size_of "$1")" -ge "$2" ]; }

case $case_name in
tree)
    mkdir -p "$work/src/tree/empty folder" "$work/src/tree/sub/deeper" "$work/dst"
    : >"$work/src/tree/empty.txt"
    : >"$work/src/tree/sub/deeper/also empty"
    printf 'hello\n' >"$work/src/tree/with spaces.txt"
    printf 'grüße\n' >"$work/src/tree/sub/Größe – ünïcödé ✓.txt"
    head -c 3000000 /dev/urandom >"$work/src/tree/sub/random.bin"
    chmod 0640 "$work/src/tree/with spaces.txt"
    chmod 0755 "$work/src/tree/sub/random.bin"
    touch -d '2001-02-03 04:05:06.789' "$work/src/tree/empty.txt"
    start_server server "$work/dst"
    "$bin" send "$work/src/tree" --to "127.0.0.1:$port" >"$work/send.log" 2>&1 ||
        fail "send exited $?"
    diff -r "$work/src/tree" "$work/dst/tree" || fail "the trees differ"
    for f in "with spaces.txt" "sub/random.bin" "empty.txt" "sub/Größe – ünïcödé ✓.txt"; do
        [ "$(stat -c '%a %s %.9Y' "$work/src/tree/$f")" = "$(stat -c '%a %s %.9Y' "$work/dst/tree/$f")" ] ||
            fail "mode, size or time of '$f' differ"
    done
    [ -d "$work/dst/tree/empty folder" ] || fail "the empty folder did not arrive"
    [ -z "$(find "$work/dst" -name '*.xsock-part')" ] || fail "part files were left behind"
    grep -q "received tree/sub/Größe – ünïcödé ✓.txt (8 bytes)" "$work/server.log" ||
        fail "the server did not log the UTF-8 file"
    [ "$(grep -c '^sent ' "$work/send.log")" = 5 ] || fail "the sender should list 5 files"
    echo "tree: 5 files, 4 folders (one empty) arrived with names, modes and times"
    ;;
large)
    mkdir -p "$work/dst"
    head -c $((200 << 20)) /dev/urandom >"$work/big.bin"
    start_server server "$work/dst"
    "$bin" send "$work/big.bin" --to "127.0.0.1:$port" >"$work/send.log" 2>&1 ||
        fail "send exited $?"
    cmp "$work/big.bin" "$work/dst/big.bin" || fail "the 200 MiB file differs"
    echo "large: 200 MiB arrived intact: $(grep '^sent' "$work/send.log")"

    # Slow the sender down so it is surely still sending when it is killed.
    part="$work/dst/.again.bin.xsock-part"
    "$bin" send "$work/big.bin" --as again.bin --limit-rate 10M --to "127.0.0.1:$port" \
        >"$work/killed.log" 2>&1 &
    sender=$!
    pids+=("$sender")
    wait_for "the part file to pass 4 MiB" part_at_least "$part" $((4 << 20))
    kill -9 "$sender"
    wait "$sender" 2>/dev/null || true
    wait_for "the server to notice the interruption" grep -q "interrupted 'again.bin'" "$work/server.log"
    [ ! -e "$work/dst/again.bin" ] || fail "a complete-looking file appeared after the kill"
    held=$(size_of "$part")
    ((held > 0 && held < (200 << 20))) || fail "the part file holds $held bytes"
    "$bin" send "$work/big.bin" --as again.bin --to "127.0.0.1:$port" >"$work/resume.log" 2>&1 ||
        fail "the resumed send exited $?"
    grep -q "^sent again.bin (209715200 bytes, resumed at [1-9]" "$work/resume.log" ||
        fail "the second send did not resume: $(cat "$work/resume.log")"
    # The server logs once it has closed the file, which may be after the
    # sender has exited.
    wait_for "the server to log the resume" \
        grep -q "received again.bin (209715200 bytes, resumed at [1-9]" "$work/server.log"
    cmp "$work/big.bin" "$work/dst/again.bin" || fail "the resumed file differs"
    [ ! -e "$part" ] || fail "the part file was left behind"
    echo "large: killed after $held bytes, no final file; resumed: $(grep '^sent' "$work/resume.log")"
    ;;
escape)
    mkdir -p "$work/dst/inside" "$work/outside"
    printf 'secret\n' >"$work/outside/target"
    printf 'payload\n' >"$work/payload"
    ln -s "$work/outside" "$work/dst/linkdir"
    ln -s "$work/outside/target" "$work/dst/linkfile"
    ln -s "$work/outside/target" "$work/dst/.planted.xsock-part"
    start_server server "$work/dst"
    attempts=("../escaped" "inside/../../escaped" "$work/outside/absolute" "inside//x"
        "inside/" "./x" "" "linkdir/escaped" "linkdir" "linkfile" "inside/../linkdir/x"
        "planted" "sneaky.xsock-part")
    for name in "${attempts[@]}"; do
        if "$bin" send "$work/payload" --as "$name" --to "127.0.0.1:$port" >"$work/attempt.log" 2>&1; then
            fail "'$name' was accepted"
        fi
        grep -q "the server refused it" "$work/attempt.log" ||
            fail "'$name': no refusal reported: $(cat "$work/attempt.log")"
        echo "refused '$name': $(sed -n 's/.*refused it: //p' "$work/attempt.log")"
    done
    [ "$(ls -A "$work/outside")" = target ] || fail "something was created outside: $(ls -A "$work/outside")"
    [ "$(cat "$work/outside/target")" = secret ] || fail "the target outside was changed"
    [ -L "$work/dst/linkfile" ] || fail "the symbolic link was replaced"
    [ "$(grep -c '^refused' "$work/server.log")" = "${#attempts[@]}" ] ||
        fail "the server should log ${#attempts[@]} refusals"
    "$bin" send "$work/payload" --as inside/ok.txt --to "127.0.0.1:$port" >/dev/null ||
        fail "the server stopped serving after the refusals"
    cmp "$work/payload" "$work/dst/inside/ok.txt"

    # In a folder: the refused entry is reported, the others still arrive,
    # and a symbolic link in the sender's tree is skipped, not followed.
    mkdir -p "$work/mixed"
    printf 'a\n' >"$work/mixed/a.txt"
    printf 'b\n' >"$work/mixed/b.xsock-part"
    printf 'c\n' >"$work/mixed/c.txt"
    ln -s "$work/outside/target" "$work/mixed/link"
    if "$bin" send "$work/mixed" --to "127.0.0.1:$port" >"$work/mixed.log" 2>&1; then
        fail "a folder with a refused entry exited 0"
    fi
    grep -q "mixed/b.xsock-part: the server refused it" "$work/mixed.log" || fail "no refusal in the folder"
    grep -q "skipping .*/mixed/link: symbolic links are not sent" "$work/mixed.log" ||
        fail "the link was not reported as skipped"
    cmp "$work/mixed/a.txt" "$work/dst/mixed/a.txt" && cmp "$work/mixed/c.txt" "$work/dst/mixed/c.txt" ||
        fail "the acceptable files in the folder did not arrive"
    [ ! -e "$work/dst/mixed/link" ] || fail "the link was sent"
    echo "escape: all ${#attempts[@]} attempts refused, the server still serves"
    ;;
concurrent)
    mkdir -p "$work/dst"
    head -c $((20 << 20)) /dev/urandom >"$work/slow.bin"
    printf 'quick\n' >"$work/quick.txt"
    start_server server "$work/dst"
    "$bin" send "$work/slow.bin" --limit-rate 5M --to "127.0.0.1:$port" >"$work/slow.log" 2>&1 &
    slow=$!
    pids+=("$slow")
    wait_for "the slow file to start arriving" part_at_least "$work/dst/.slow.bin.xsock-part" 1
    "$bin" send "$work/quick.txt" --to "127.0.0.1:$port" >/dev/null || fail "the second sender failed"
    cmp "$work/quick.txt" "$work/dst/quick.txt" || fail "the second sender's file differs"
    [ -e "$work/dst/.slow.bin.xsock-part" ] && [ ! -e "$work/dst/slow.bin" ] ||
        fail "the slow file finished first: the second sender was not served alongside it"
    wait "$slow" || fail "the slow sender exited $?"
    cmp "$work/slow.bin" "$work/dst/slow.bin" || fail "the slow file differs"
    echo "concurrent: a second sender was served while the first was still sending"
    ;;
errors)
    mkdir -p "$work/dst"
    printf 'x\n' >"$work/small.txt"
    "$bin" serve --help | grep -q "usage: xsock-transfer serve" || fail "serve --help"
    "$bin" send --help | grep -q "usage: xsock-transfer send" || fail "send --help"
    if "$bin" serve --dir "$work/missing" --listen 127.0.0.1:0 >"$work/missing.log" 2>&1; then
        fail "serving a missing folder succeeded"
    fi
    grep -q "cannot serve folder '$work/missing': No such file or directory" "$work/missing.log" ||
        fail "unclear message for a missing folder: $(cat "$work/missing.log")"
    if "$bin" send "$work/small.txt" >/dev/null 2>&1; then fail "send without --to succeeded"; fi

    # A port that just stopped listening.
    start_server gone "$work/dst"
    kill -9 "${pids[-1]}"
    wait "${pids[-1]}" 2>/dev/null || true
    if "$bin" send "$work/small.txt" --to "127.0.0.1:$port" >"$work/refused.log" 2>&1; then
        fail "send to a closed port succeeded"
    fi
    grep -q "cannot connect to 127.0.0.1:$port: Connection refused" "$work/refused.log" ||
        fail "unclear message for a refused connection: $(cat "$work/refused.log")"

    # A server limited to 1 MiB files: the write error must reach the sender.
    start_server limited "$work/dst" 1024
    head -c $((3 << 20)) /dev/urandom >"$work/three.bin"
    if "$bin" send "$work/three.bin" --to "127.0.0.1:$port" >"$work/limited-send.log" 2>&1; then
        fail "a file over the server's limit was accepted"
    fi
    grep -q "refused it: cannot write 'three.bin': File too large" "$work/limited-send.log" ||
        fail "the write error did not reach the sender: $(cat "$work/limited-send.log")"
    [ ! -e "$work/dst/three.bin" ] || fail "a file that could not be written appeared"
    "$bin" send "$work/small.txt" --to "127.0.0.1:$port" >/dev/null ||
        fail "the limited server stopped serving"

    # A partial copy from an older version of the file: the sender starts over.
    start_server server "$work/dst"
    head -c $((16 << 20)) /dev/urandom >"$work/changing.bin"
    part="$work/dst/.changing.bin.xsock-part"
    "$bin" send "$work/changing.bin" --limit-rate 2M --to "127.0.0.1:$port" >/dev/null 2>&1 &
    sender=$!
    pids+=("$sender")
    wait_for "the part file to pass 1 MiB" part_at_least "$part" $((1 << 20))
    kill -9 "$sender"
    wait "$sender" 2>/dev/null || true
    wait_for "the server to notice the interruption" grep -q "interrupted 'changing.bin'" "$work/server.log"
    printf 'changed' | dd of="$work/changing.bin" conv=notrunc status=none
    "$bin" send "$work/changing.bin" --to "127.0.0.1:$port" >"$work/restart.log" 2>&1 ||
        fail "the send after a change exited $?"
    grep -q "restarting changing.bin" "$work/restart.log" || fail "the sender did not start over"
    grep -q "^sent changing.bin (16777216 bytes, " "$work/restart.log" || fail "no sent line"
    if grep -q "resumed at" "$work/restart.log"; then fail "a changed file was resumed"; fi
    cmp "$work/changing.bin" "$work/dst/changing.bin" || fail "the restarted file differs"
    echo "errors: missing folder, refused connection, write error, changed source all reported"
    ;;
*)
    echo "unknown case '$case_name'"
    exit 2
    ;;
esac
