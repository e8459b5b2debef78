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
#   pairing  strangers, wrong and used-up codes refused with nothing written;
#            pairing, a code-free send, one code per sender, --list and
#            --revoke, a server whose key changed refused loudly
#   strangers
#            64 idle connections do not lock out a paired sender; a stranger
#            that dribbles its handshake is dropped at the deadline; 300
#            strangers one after the other leave at most 100 lines in the log
#   quota    a paired sender past --quota is refused before anything is
#            written, also after the server restarts
#   errors   connection refused, a missing folder, a server that cannot write
#            (file-size limit: the error reaches the sender), a partial copy
#            that no longer matches the source (the sender starts over), --help
#   logtext  names with terminal escapes, C1 controls (raw and UTF-8), bidi
#            overrides and invalid UTF-8 reach the server's log and the
#            sender's output escaped
#   space    a file larger than the free space, or one that would eat into
#            the reserve, is refused before anything is written
#   inodes   empty files and folders (no space, but inodes) past the inodes
#            the server keeps free are refused before anything is created
#   stale    part files older than --part-max-age are removed at start and
#            while the server runs; younger ones are kept
#   modes    modes pass through the server's umask; nothing a sender sends
#            becomes writable by others
#   names    a 255-byte name arrives (alone and in a folder); 256 is refused
#   limits   --max-depth and --max-entries refuse what goes past them, and
#            the entry count starts again on the next connection
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

# The server and the senders keep their keys and lists apart, as two users'
# home folders would.
server_config=$work/server-config
export XDG_CONFIG_HOME=$work/sender-config
mkdir -p "$server_config" "$XDG_CONFIG_HOME"

# start_unpaired NAME DIR [ULIMIT_F [OPTION...]]: starts a server (under the
# umask $server_umask if set), sets $port and $code (its pairing code).
start_unpaired() {
    local name=$1 dir=$2 limit=${3:-unlimited}
    shift $(($# < 3 ? $# : 3))
    (
        ulimit -f "$limit"
        [ -z "${server_umask:-}" ] || umask "$server_umask"
        XDG_CONFIG_HOME=$server_config exec "$bin" serve --dir "$dir" --listen 127.0.0.1:0 "$@"
    ) >"$work/$name.log" 2>&1 &
    pids+=($!)
    wait_for "the $name banner" grep -q "^pairing code: " "$work/$name.log"
    port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/$name.log")
    code=$(sed -n 's/^pairing code: \([A-Z0-9-]*\) .*/\1/p' "$work/$name.log")
    [ -n "$port" ] || fail "no port in the $name banner"
    [ -n "$code" ] || fail "no pairing code in the $name banner"
}

# start_server NAME DIR [ULIMIT_F]: starts a server and pairs the senders with it.
start_server() {
    start_unpaired "$@"
    "$bin" send --to "127.0.0.1:$port" --code "$code" >"$work/pair.log" 2>&1 ||
        fail "pairing with $1 failed: $(cat "$work/pair.log")"
}

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# sender_key: the senders' key fingerprint (SHA-256 of their public key).
sender_key() {
    openssl x509 -in "$XDG_CONFIG_HOME/xsock/transfer/cert.pem" -pubkey -noout |
        openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
# part_of DIR PATH: the part file the server keeps for PATH from the senders.
part_of() { echo "$1/.xsock-parts/$(printf '%s\0%s' "$(sender_key)" "$2" | sha256sum | cut -d' ' -f1).xsock-part"; }
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
    part=$(part_of "$work/dst" again.bin)
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
    start_server server "$work/dst"  # pairing makes the senders' key, which names part files
    mkdir -p "$work/dst/.xsock-parts"
    ln -s "$work/outside/target" "$(part_of "$work/dst" planted)"
    attempts=("../escaped" "inside/../../escaped" "$work/outside/absolute" "inside//x"
        "inside/" "./x" "" "linkdir/escaped" "linkdir" "linkfile" "inside/../linkdir/x"
        "planted" "sneaky.xsock-part" ".xsock-parts/x" "inside/.xsock-parts")
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
    wait_for "the slow file to start arriving" part_at_least "$(part_of "$work/dst" slow.bin)" 1
    "$bin" send "$work/quick.txt" --to "127.0.0.1:$port" >/dev/null || fail "the second sender failed"
    cmp "$work/quick.txt" "$work/dst/quick.txt" || fail "the second sender's file differs"
    [ -e "$(part_of "$work/dst" slow.bin)" ] && [ ! -e "$work/dst/slow.bin" ] ||
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
    part=$(part_of "$work/dst" changing.bin)
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
pairing)
    mkdir -p "$work/dst"
    printf 'secret\n' >"$work/file.txt"
    start_unpaired server "$work/dst"
    first_code=$code
    # A stranger (no pairing) is refused before anything is written.
    if "$bin" send "$work/file.txt" --to "127.0.0.1:$port" >"$work/stranger.log" 2>&1; then
        fail "an unknown server was used without a code"
    fi
    grep -q "is not known yet: pair once with --code" "$work/stranger.log" ||
        fail "no advice to pair: $(cat "$work/stranger.log")"
    # A stranger that claims to pair with a wrong code: refused, nothing
    # written, and the open code is used up by the attempt.
    if "$bin" send "$work/file.txt" --to "127.0.0.1:$port" --code WRNG-C0DE-2345 \
        >"$work/wrong.log" 2>&1; then
        fail "a malformed code was accepted"
    fi
    if "$bin" send "$work/file.txt" --to "127.0.0.1:$port" --code 2345-6789-ABCD \
        >"$work/wrong.log" 2>&1; then
        fail "a wrong code paired"
    fi
    grep -q "pairing failed: the code is wrong" "$work/wrong.log" ||
        fail "no wrong-code message: $(cat "$work/wrong.log")"
    wait_for "the failed pairing in the log" grep -q "failed: it did not prove the code" \
        "$work/server.log"
    if "$bin" send "$work/file.txt" --to "127.0.0.1:$port" --code "$first_code" \
        >"$work/late.log" 2>&1; then
        fail "a code that was used up by a wrong guess still paired"
    fi
    grep -q "no pairing code is open on the server" "$work/late.log" ||
        fail "no used-up message: $(cat "$work/late.log")"
    [ -z "$(ls -A "$work/dst")" ] || fail "something was written for a stranger: $(ls -A "$work/dst")"
    # A fresh code pairs, and later sends need none.
    code=$(XDG_CONFIG_HOME=$server_config "$bin" serve --pair | sed -n 's/^pairing code: \([A-Z0-9-]*\) .*/\1/p')
    [ -n "$code" ] || fail "serve --pair printed no code"
    "$bin" send "$work/file.txt" --to "127.0.0.1:$port" --code "$code" >"$work/paired.log" 2>&1 ||
        fail "pairing with a fresh code failed: $(cat "$work/paired.log")"
    grep -q "^paired with the server at 127.0.0.1:$port, key " "$work/paired.log" || fail "no paired line"
    "$bin" send "$work/file.txt" --as again.txt --to "127.0.0.1:$port" >/dev/null 2>&1 ||
        fail "a paired sender needed a code again"
    cmp "$work/file.txt" "$work/dst/again.txt" || fail "the paired send differs"
    # The same code does not pair a second sender (another user's keys).
    if XDG_CONFIG_HOME=$work/other-config "$bin" send "$work/file.txt" --as other.txt \
        --to "127.0.0.1:$port" --code "$code" >"$work/second.log" 2>&1; then
        fail "a code paired twice"
    fi
    [ ! -e "$work/dst/other.txt" ] || fail "the second stranger wrote a file"
    # serve --list shows the paired sender; --revoke unpairs it.
    sender_key=$(sed -n 's/^\([0-9a-f]\{64\}\) .*/\1/p' "$XDG_CONFIG_HOME/xsock/transfer/known-servers.list")
    listed=$(XDG_CONFIG_HOME=$server_config "$bin" serve --list)
    [ "$(echo "$listed" | wc -l)" = 1 ] || fail "serve --list: $listed"
    XDG_CONFIG_HOME=$server_config "$bin" serve --revoke "${listed:0:12}" | grep -q "revoked 1 sender" ||
        fail "serve --revoke did not revoke"
    if "$bin" send "$work/file.txt" --as revoked.txt --to "127.0.0.1:$port" >"$work/revoked.log" 2>&1; then
        fail "a revoked sender was served"
    fi
    grep -q "the server refused this sender: this sender is not paired" "$work/revoked.log" ||
        fail "no refusal for the revoked sender: $(cat "$work/revoked.log")"
    [ -n "$sender_key" ] || fail "the sender pinned no key"
    # A server whose key changed (set up again, or someone in the middle) is
    # refused loudly, and nothing is sent.
    mv "$server_config" "$work/old-server-config"
    mkdir -p "$server_config" "$work/dst2"
    start_unpaired impostor "$work/dst2"
    impostor_port=$port
    sed -i "s/127.0.0.1:[0-9]*\$/127.0.0.1:$impostor_port/" "$XDG_CONFIG_HOME/xsock/transfer/known-servers.list"
    if "$bin" send "$work/file.txt" --to "127.0.0.1:$impostor_port" >"$work/changed.log" 2>&1; then
        fail "a server with a changed key was used"
    fi
    grep -q "WARNING: the server at 127.0.0.1:$impostor_port did not present the key" "$work/changed.log" ||
        fail "no loud warning: $(cat "$work/changed.log")"
    [ -z "$(ls -A "$work/dst2")" ] || fail "something reached the impostor"
    echo "pairing: strangers and wrong codes refused, one code per sender, revoke, changed key refused"
    ;;
strangers)
    mkdir -p "$work/dst"
    printf 'through\n' >"$work/file.txt"
    start_server server "$work/dst" unlimited --handshake-timeout 2
    # 64 connections that never speak, from the paired sender's own address.
    idle=()
    for i in $(seq 64); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "idle connection $i failed"
        idle+=("$fd")
    done
    "$bin" send "$work/file.txt" --to "127.0.0.1:$port" --timeout 20 >"$work/through.log" 2>&1 ||
        fail "the paired sender was locked out by idle connections: $(cat "$work/through.log")"
    cmp "$work/file.txt" "$work/dst/file.txt" || fail "the file differs"
    for fd in "${idle[@]}"; do exec {fd}>&-; done
    # A stranger that dribbles its handshake a byte at a time does not keep its
    # slot past the strangers' deadline (2 s here), however steadily it sends.
    (
        exec 3<>"/dev/tcp/127.0.0.1/$port"
        printf '\026\003\001\002\000' >&3 # a TLS record header announcing 512 bytes
        while printf '\001' >&3 2>/dev/null; do sleep 0.2; done
    ) &
    dribbler=$!
    pids+=("$dribbler")
    wait_for "the dribbler to be dropped" grep -q "^dropped 127.0.0.1:[0-9]*: .*did not finish in time" "$work/server.log"
    wait_for "the dribbler to see its connection end" bash -c "! kill -0 $dribbler"
    # Strangers sending garbage, each until the server has dropped it: the
    # log gets at most 100 lines about strangers a minute, however many come.
    for i in $(seq 300); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "stranger $i could not connect"
        printf 'garbage\n' >&$fd
        cat <&$fd >/dev/null || true
        exec {fd}>&-
    done
    lines=$(grep -c "^dropped \|^turned away \|^refused unpaired \|^connection from " "$work/server.log")
    ((lines <= 100)) || fail "$lines lines about strangers in the log"
    "$bin" send "$work/file.txt" --as after.txt --to "127.0.0.1:$port" >"$work/after.log" 2>&1 ||
        fail "the paired sender was refused after the strangers: $(cat "$work/after.log")"
    echo "strangers: 64 idle connections did not lock out a paired sender; a dribbler was dropped"
    ;;
logtext)
    mkdir -p "$work/dst"
    printf 'x\n' >"$work/x.txt"
    start_server server "$work/dst"
    evil=$'evil\e[2J\n* fake \xc2\x9b31m \x9b1m \u202etxt.exe \xc0\xaf'
    shown='evil\x1b[2J\x0a* fake \u009b31m \x9b1m \u202etxt.exe \xc0\xaf'
    "$bin" send "$work/x.txt" --as "$evil" --to "127.0.0.1:$port" >"$work/evil.log" 2>&1 ||
        fail "the send exited $?"
    cmp "$work/x.txt" "$work/dst/$evil" || fail "the file with the odd name did not arrive"
    wait_for "the server's line" grep -qF "received $shown (2 bytes)" "$work/server.log"
    # A refusal that quotes the name: the sender prints it escaped too.
    mkdir "$work/dst/$evil.d"
    if "$bin" send "$work/x.txt" --as "$evil.d" --to "127.0.0.1:$port" >"$work/refused.log" 2>&1; then
        fail "a file over a folder was accepted"
    fi
    grep -qF "refused it: '$shown.d' exists on the server and is not a regular file" \
        "$work/refused.log" || fail "the refusal is not escaped: $(cat -v "$work/refused.log")"
    wait_for "the server's refusal" grep -qF "refused '$shown.d' from 127.0.0.1:" "$work/server.log"
    # (The sender's own "sent NAME" line shows the name it was given.)
    for log in server refused; do
        if LC_ALL=C grep -q '[^ -~]' "$work/$log.log"; then
            fail "$log.log holds a byte that is not printable ASCII: $(cat -v "$work/$log.log")"
        fi
    done
    # The banner (address, key, code), the pairing, and the two entries.
    [ "$(wc -l <"$work/server.log")" = 6 ] || fail "the server wrote extra lines"
    echo "logtext: escapes, C1, bidi and invalid UTF-8 shown escaped in the log and by the sender"
    ;;
space)
    mkdir -p "$work/dst"
    # Files capped at 1 GiB: a server that failed this test would not fill the disk.
    start_server server "$work/dst" $((1 << 20))
    # Other processes may free space while this runs, so every margin below
    # is 16 GiB, not a byte (the file is sparse and costs nothing).
    free=$(df --output=avail -B1 "$work/dst" | tail -1)
    truncate -s $((free + (16 << 30))) "$work/huge.bin"
    if "$bin" send "$work/huge.bin" --to "127.0.0.1:$port" >"$work/huge.log" 2>&1; then
        fail "a file larger than the free space was accepted"
    fi
    grep -q "refused it: not enough space on the server for 'huge.bin': " "$work/huge.log" ||
        fail "no clear refusal: $(cat "$work/huge.log")"
    [ -z "$(ls -A "$work/dst")" ] || fail "something was written: $(ls -A "$work/dst")"
    # A server that keeps all of the free space (and 16 GiB more) in reserve
    # refuses even one byte.
    start_server reserved "$work/dst" unlimited --reserve $(((free >> 20) + (16 << 10)))
    printf 'x' >"$work/one.bin"
    if "$bin" send "$work/one.bin" --to "127.0.0.1:$port" >"$work/one.log" 2>&1; then
        fail "a file eating into the reserve was accepted"
    fi
    grep -q "not enough space on the server for 'one.bin': 1 bytes needed" "$work/one.log" ||
        fail "no clear refusal: $(cat "$work/one.log")"
    [ -z "$(ls -A "$work/dst")" ] || fail "something was written: $(ls -A "$work/dst")"
    echo "space: $(sed -n 's/.*refused it: //p' "$work/huge.log")"
    ;;
inodes)
    mkdir -p "$work/dst" "$work/src/folder"
    : >"$work/empty.txt"
    # A server that keeps all of the free inodes (and 1000 more) in reserve.
    ifree=$(df --output=iavail "$work/dst" | tail -1)
    start_server server "$work/dst" unlimited --reserve-inodes $((ifree + 1000))
    if "$bin" send "$work/empty.txt" --to "127.0.0.1:$port" >"$work/file.log" 2>&1; then
        fail "an empty file eating into the inodes' reserve was accepted"
    fi
    grep -q "refused it: not enough free inodes on the server for 'empty.txt': 1 needed, " \
        "$work/file.log" || fail "no clear refusal: $(cat "$work/file.log")"
    if "$bin" send "$work/src/folder" --to "127.0.0.1:$port" >"$work/folder.log" 2>&1; then
        fail "a folder eating into the inodes' reserve was accepted"
    fi
    grep -q "refused it: not enough free inodes on the server for 'folder': 1 needed, " \
        "$work/folder.log" || fail "no clear refusal: $(cat "$work/folder.log")"
    [ -z "$(ls -A "$work/dst")" ] || fail "something was created: $(ls -A "$work/dst")"
    echo "inodes: $(sed -n 's/.*refused it: //p' "$work/folder.log")"
    ;;
stale)
    parts=$work/dst/.xsock-parts
    mkdir -p "$parts"
    printf 'old' >"$parts/old.xsock-part"
    printf 'young' >"$parts/young.xsock-part"
    touch -d '8 days ago' "$parts/old.xsock-part"
    touch -d '6 days ago' "$parts/young.xsock-part"
    start_server server "$work/dst"
    [ ! -e "$parts/old.xsock-part" ] || fail "an 8-day-old part file was kept at start"
    [ -e "$parts/young.xsock-part" ] || fail "a 6-day-old part file was removed"
    grep -q "^removed 1 partial file untouched for over 604800 s$" "$work/server.log" ||
        fail "no line about the removal"
    # A server whose part files expire after 2 s sweeps while it runs.
    start_server quick "$work/dst" unlimited --part-max-age 2
    [ ! -e "$parts/young.xsock-part" ] || fail "the quick server kept an old part file"
    printf 'later' >"$parts/later.xsock-part"
    touch -d '1 minute ago' "$parts/later.xsock-part"
    gone() { [ ! -e "$1" ]; }
    wait_for "the running server to remove a stale part file" gone "$parts/later.xsock-part"
    echo "stale: removed at start and while serving, younger kept"
    ;;
modes)
    mkdir -p "$work/src/open" "$work/dst" "$work/dst0"
    printf 'x\n' >"$work/src/open/all.txt"
    printf 'y\n' >"$work/src/open/group.txt"
    chmod 0777 "$work/src/open/all.txt" "$work/src/open"
    chmod 0664 "$work/src/open/group.txt"
    server_umask=027 start_server server "$work/dst"
    "$bin" send "$work/src/open" --to "127.0.0.1:$port" >"$work/send.log" 2>&1 || fail "send exited $?"
    [ "$(stat -c %a "$work/dst/open")" = 750 ] || fail "folder mode $(stat -c %a "$work/dst/open") under umask 027"
    [ "$(stat -c %a "$work/dst/open/all.txt")" = 750 ] || fail "file mode $(stat -c %a "$work/dst/open/all.txt") under umask 027"
    [ "$(stat -c %a "$work/dst/open/group.txt")" = 640 ] || fail "group.txt under umask 027"
    server_umask=000 start_server open "$work/dst0"
    "$bin" send "$work/src/open" --to "127.0.0.1:$port" >"$work/send0.log" 2>&1 || fail "send exited $?"
    [ "$(stat -c %a "$work/dst0/open")" = 775 ] || fail "a folder became world-writable: $(stat -c %a "$work/dst0/open")"
    [ "$(stat -c %a "$work/dst0/open/all.txt")" = 775 ] || fail "a file became world-writable"
    echo "modes: 0777 became 750 under umask 027 and 775 under umask 000"
    ;;
names)
    mkdir -p "$work/dst"
    printf 'long\n' >"$work/long.txt"
    long=$(printf 'n%.0s' {1..255})
    start_server server "$work/dst"
    "$bin" send "$work/long.txt" --as "$long" --to "127.0.0.1:$port" >"$work/send.log" 2>&1 ||
        fail "a 255-byte name was not received: $(cat "$work/send.log")"
    cmp "$work/long.txt" "$work/dst/$long" || fail "the 255-byte name differs"
    "$bin" send "$work/long.txt" --as "d/$long" --to "127.0.0.1:$port" >"$work/send.log" 2>&1 ||
        fail "a 255-byte name in a folder was not received: $(cat "$work/send.log")"
    cmp "$work/long.txt" "$work/dst/d/$long" || fail "the 255-byte name in a folder differs"
    if "$bin" send "$work/long.txt" --as "${long}n" --to "127.0.0.1:$port" >"$work/over.log" 2>&1; then
        fail "a 256-byte name was accepted"
    fi
    grep -q "refused it: a name in the path is longer than 255 bytes" "$work/over.log" ||
        fail "no clear refusal: $(cat "$work/over.log")"
    echo "names: 255 bytes received, 256 refused"
    ;;
limits)
    mkdir -p "$work/src/a/b/c/d" "$work/src/many" "$work/dst"
    printf 'deep\n' >"$work/src/a/b/c/d/deep.txt"
    printf 'ok\n' >"$work/src/a/b/ok.txt"
    for i in 1 2 3 4 5 6 7; do printf '%s\n' "$i" >"$work/src/many/f$i"; done
    start_server deep "$work/dst" unlimited --max-depth 3
    if "$bin" send "$work/src/a" --to "127.0.0.1:$port" >"$work/deep.log" 2>&1; then
        fail "a path past --max-depth was accepted"
    fi
    grep -q "a/b/c/d: the server refused it: the path is more than 3 levels deep" "$work/deep.log" ||
        fail "no clear refusal: $(cat "$work/deep.log")"
    cmp "$work/src/a/b/ok.txt" "$work/dst/a/b/ok.txt" || fail "a file within the depth did not arrive"
    [ ! -e "$work/dst/a/b/c/d" ] || fail "a folder past the depth was created"
    start_server server "$work/dst" unlimited --max-entries 5
    if "$bin" send "$work/src/many" --to "127.0.0.1:$port" >"$work/many.log" 2>&1; then
        fail "more than --max-entries were accepted"
    fi
    [ "$(grep -c "refused it: more than 5 files and folders on one connection" "$work/many.log")" = 3 ] ||
        fail "expected f5, f6 and f7 refused: $(cat "$work/many.log")"
    [ "$(ls "$work/dst/many" | wc -l)" = 4 ] || fail "expected 4 files: $(ls "$work/dst/many")"
    "$bin" send "$work/src/many/f7" --to "127.0.0.1:$port" >/dev/null 2>&1 ||
        fail "the count did not start again on a new connection"
    echo "limits: depth and entry count enforced per connection"
    ;;
quota)
    mkdir -p "$work/dst"
    head -c 600000 /dev/urandom >"$work/a.bin"
    start_server server "$work/dst" unlimited --quota 1
    "$bin" send "$work/a.bin" --to "127.0.0.1:$port" >/dev/null 2>&1 || fail "the first file was refused"
    if "$bin" send "$work/a.bin" --as b.bin --to "127.0.0.1:$port" >"$work/over.log" 2>&1; then
        fail "a file past the sender's quota was accepted"
    fi
    grep -q "refused it: this sender's quota of 1048576 bytes would be exceeded (602112 used" \
        "$work/over.log" || fail "no quota refusal: $(cat "$work/over.log")"
    [ ! -e "$work/dst/b.bin" ] || fail "the refused file was written"
    [ -z "$(ls -A "$work/dst/.xsock-parts" 2>/dev/null)" ] || fail "a part file was left"
    # The count outlives the server.
    kill "${pids[-1]}"
    start_server again "$work/dst" unlimited --quota 1
    if "$bin" send "$work/a.bin" --as c.bin --to "127.0.0.1:$port" >/dev/null 2>&1; then
        fail "a restart reset the quota"
    fi
    # Small files count the blocks they take: 300 one-byte files (and their
    # folder) would take 1.2 MiB of disk, far past what the quota leaves.
    mkdir -p "$work/small"
    for i in $(seq 300); do printf x >"$work/small/f$i"; done
    if "$bin" send "$work/small" --to "127.0.0.1:$port" >"$work/small.log" 2>&1; then
        fail "300 one-byte files passed the quota"
    fi
    grep -q "refused it: this sender's quota of 1048576 bytes would be exceeded" "$work/small.log" ||
        fail "no quota refusal for small files: $(tail -3 "$work/small.log")"
    received=$(ls "$work/dst/small" | wc -l)
    ((received == 107)) || fail "expected 107 one-byte files within the quota, got $received"
    echo "quota: a sender past its quota is refused before writing, across restarts"
    ;;
*)
    echo "unknown case '$case_name'"
    exit 2
    ;;
esac
