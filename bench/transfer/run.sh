#!/usr/bin/env bash
# xsock-transfer against a plain byte copy over loopback, in the same run.
#
#   bench/transfer/run.sh [XSOCK_TRANSFER] [SIZE_MIB] [RUNS]
#
# Makes one random file (default 1024 MiB) in a temporary folder, then RUNS
# times (default 3) each of:
#   xsock-transfer  `send` into a `serve` on 127.0.0.1, SHA-256 checked on both
#                   sides, timed from the send's start to its exit (after the
#                   server has verified and renamed the file)
#   socat           `socat -u FILE:src TCP:...` into `socat -u TCP-LISTEN ... CREATE:dst`,
#                   timed from the sender's start until the receiver has exited
#   nc              the same with netcat-openbsd (`nc -N` / `nc -l`), if installed
#   sha256          `openssl dgst -sha256` of the file alone: the checksum's own
#                   speed on this CPU, the ceiling for any transfer that hashes
# and prints the medians as MB/s (10^6 bytes per second) with the ratio to
# socat, and the CPU seconds (user + system) that both ends used together,
# which a busy shared machine disturbs less than the wall-clock time. Every copy is written to disk in the same folder, as the server's is.
# Needs socat (Debian: socat); nc (netcat-openbsd) and openssl are optional.
# Not a test: CTest never runs it.
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/demo/transfer/xsock-transfer}
size_mib=${2:-1024}
runs=${3:-3}
[ -x "$bin" ] || { echo "no xsock-transfer at $bin (build the xsock-transfer target)" >&2; exit 2; }
command -v socat >/dev/null || { echo "socat is needed: apt-get install socat" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/xsock-transfer-bench.XXXXXX")
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# wait_for_line FILE REGEX: the first match of REGEX (sed -n form) in FILE, 30 s at most.
wait_for_line() {
    local file=$1 regex=$2 deadline=$((SECONDS + 30)) found
    while ((SECONDS < deadline)); do
        found=$(sed -n "$regex" "$file" 2>/dev/null | head -n1)
        [ -n "$found" ] && { echo "$found"; return 0; }
        sleep 0.02
    done
    echo "timed out waiting in $file" >&2
    return 1
}

now() { date +%s.%N; }

src=$work/source.bin
echo "making a $size_mib MiB random file in $work ..."
head -c $((size_mib << 20)) /dev/urandom >"$src"
cat "$src" >/dev/null  # the same warm page cache for every contender
bytes=$(stat -c %s "$src")

run_xsock() {
    # A fresh folder and logs: a log left from the last run would give its port.
    rm -rf "$work/dst" "$work"/*.log && mkdir "$work/dst"
    "$bin" serve --dir "$work/dst" --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
    local server=$!
    pids+=("$server")
    local port
    port=$(wait_for_line "$work/serve.log" 's/.* on 127\.0\.0\.1:\([0-9]*\)$/\1/p')
    local start end
    start=$(now)
    "$bin" send "$src" --to "127.0.0.1:$port" >/dev/null
    end=$(now)
    kill "$server"
    wait "$server" 2>/dev/null || true
    [ "$(stat -c %s "$work/dst/source.bin")" = "$bytes" ] || { echo "xsock-transfer lost bytes" >&2; exit 1; }
    elapsed=$(awk "BEGIN { print $end - $start }")
}

run_socat() {
    # A fresh folder and logs: a log left from the last run would give its port.
    rm -rf "$work/dst" "$work"/*.log && mkdir "$work/dst"
    socat -d -d -u TCP-LISTEN:0,bind=127.0.0.1 "CREATE:$work/dst/copy.bin" 2>"$work/socat.log" &
    local receiver=$!
    pids+=("$receiver")
    local port
    port=$(wait_for_line "$work/socat.log" 's/.*listening on .*:\([0-9]*\)$/\1/p')
    local start end
    start=$(now)
    socat -u "FILE:$src" "TCP:127.0.0.1:$port"
    wait "$receiver"
    end=$(now)
    [ "$(stat -c %s "$work/dst/copy.bin")" = "$bytes" ] || { echo "socat lost bytes" >&2; exit 1; }
    elapsed=$(awk "BEGIN { print $end - $start }")
}

# netcat-openbsd cannot report a port it picked, so a port socat just freed is used.
run_nc() {
    # A fresh folder and logs: a log left from the last run would give its port.
    rm -rf "$work/dst" "$work"/*.log && mkdir "$work/dst"
    socat -d -d TCP-LISTEN:0,bind=127.0.0.1 - 2>"$work/probe.log" </dev/null &
    local probe=$!
    local port
    port=$(wait_for_line "$work/probe.log" 's/.*listening on .*:\([0-9]*\)$/\1/p')
    kill "$probe"
    wait "$probe" 2>/dev/null || true
    nc -l 127.0.0.1 "$port" >"$work/dst/copy.bin" &
    local receiver=$!
    pids+=("$receiver")
    local start end
    start=$(now)
    until nc -N 127.0.0.1 "$port" <"$src" 2>/dev/null; do
        sleep 0.01  # the listener is not up yet
    done
    wait "$receiver"
    end=$(now)
    [ "$(stat -c %s "$work/dst/copy.bin")" = "$bytes" ] || { echo "nc lost bytes" >&2; exit 1; }
    elapsed=$(awk "BEGIN { print $end - $start }")
}

run_sha256() {
    local start end
    start=$(now)
    openssl dgst -sha256 "$src" >/dev/null
    end=$(now)
    elapsed=$(awk "BEGIN { print $end - $start }")
}

# Sets $cpu to the user + system seconds of every child this shell has waited
# for so far (bash's `times`, which must run in this shell, not a subshell).
cpu_now() {
    times >"$work/times.txt"
    cpu=$(awk 'function s(t, p) { split(t, p, /[ms]/); return p[1] * 60 + p[2] }
               NR == 2 { print s($1) + s($2) }' "$work/times.txt")
}

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

contenders=(xsock socat)
command -v nc >/dev/null && nc -h 2>&1 | grep -q -- '-N' && contenders+=(nc)
command -v openssl >/dev/null && contenders+=(sha256)
declare -A seconds cpus
for ((run = 1; run <= runs; ++run)); do
    for contender in "${contenders[@]}"; do
        cpu_now
        before=$cpu
        "run_$contender"  # sets $elapsed; not in a subshell, so cleanup sees its processes
        cpu_now
        used=$(awk "BEGIN { print $cpu - $before }")
        seconds[$contender]="${seconds[$contender]:-} $elapsed"
        cpus[$contender]="${cpus[$contender]:-} $used"
        printf 'run %d  %-7s %.3f s  (%.2f s CPU)\n' "$run" "$contender" "$elapsed" "$used"
    done
done

echo
printf '%s MiB over 127.0.0.1, median of %d runs, on %s (%s cores)\n' "$size_mib" "$runs" \
    "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)" "$(nproc)"
# shellcheck disable=SC2086
socat_s=$(median ${seconds[socat]})
printf '%-34s %10s %10s %10s %12s\n' "what" "seconds" "MB/s" "vs socat" "CPU s, all"
for contender in "${contenders[@]}"; do
    # shellcheck disable=SC2086
    s=$(median ${seconds[$contender]})
    case $contender in
    xsock) label="xsock-transfer (SHA-256 both ends)" ;;
    socat) label="socat byte copy" ;;
    nc) label="nc byte copy" ;;
    sha256) label="SHA-256 alone (openssl dgst)" ;;
    esac
    # shellcheck disable=SC2086
    c=$(median ${cpus[$contender]})
    printf '%-34s %10.3f %10.1f %9.2fx %12.2f\n' "$label" "$s" \
        "$(awk "BEGIN { print $bytes / $s / 1000000 }")" "$(awk "BEGIN { print $socat_s / $s }")" "$c"
done
