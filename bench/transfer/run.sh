#!/usr/bin/env bash
# xsock-transfer against a plain byte copy over loopback, in the same run.
#
#   bench/transfer/run.sh [XSOCK_TRANSFER] [SIZE_MIB] [RUNS]
#
# Makes one random file (default 1024 MiB) in a temporary folder, then RUNS
# times (default 3) each of:
#   xsock-transfer  `send` into a `serve` on 127.0.0.1 over mutual TLS (paired
#                   with the code the server prints), SHA-256 checked on both
#                   sides, timed from the send's start to its exit (after the
#                   server has verified and renamed the file)
#   socat TLS       `socat -u FILE:src OPENSSL:...` into `socat -u OPENSSL-LISTEN
#                   ... CREATE:dst`, mutual TLS with certificates made for the
#                   run, timed from the sender's start until the receiver exits
#   socat           the same over plain TCP
#   nc              the same with netcat-openbsd (`nc -N` / `nc -l`), if installed
#   sha256          `openssl dgst -sha256` of the file alone: the checksum's own
#                   speed on this CPU, the ceiling for any transfer that hashes
# and prints the medians as MB/s (10^6 bytes per second) with the ratio to
# socat over TLS, and the CPU seconds (user + system) that both ends used together,
# which a busy shared machine disturbs less than the wall-clock time. Every copy is written to disk in the same folder, as the server's is.
# Installs socat, netcat-openbsd and openssl when they are missing.
# Not a test: CTest never runs it.
set -euo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../build/demo/transfer/xsock-transfer}
size_mib=${2:-1024}
runs=${3:-3}
[ -x "$bin" ] || { echo "no xsock-transfer at $bin (build the xsock-transfer target)" >&2; exit 2; }
"$here/../../.ci/install-packages" socat netcat-openbsd openssl

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

# Keys for the TLS contenders: xsock-transfer's are made on first use in
# their own profiles, socat's here.
export XDG_CONFIG_HOME=$work/sender-config
server_config=$work/server-config
mkdir -p "$XDG_CONFIG_HOME" "$server_config"
for side in server client; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=localhost -keyout "$work/$side.key" -out "$work/$side.pem" 2>/dev/null
done

src=$work/source.bin
echo "making a $size_mib MiB random file in $work ..."
head -c $((size_mib << 20)) /dev/urandom >"$src"
cat "$src" >/dev/null  # the same warm page cache for every contender
bytes=$(stat -c %s "$src")

run_xsock() {
    # A fresh folder and logs: a log left from the last run would give its port.
    rm -rf "$work/dst" "$work"/*.log && mkdir "$work/dst"
    XDG_CONFIG_HOME=$server_config "$bin" serve --dir "$work/dst" --listen 127.0.0.1:0 \
        >"$work/serve.log" 2>&1 &
    local server=$!
    pids+=("$server")
    local port code
    port=$(wait_for_line "$work/serve.log" 's/.* on 127\.0\.0\.1:\([0-9]*\)$/\1/p')
    code=$(wait_for_line "$work/serve.log" 's/^pairing code: \([A-Z0-9-]*\) .*/\1/p')
    local start end
    start=$(now)
    "$bin" send "$src" --to "127.0.0.1:$port" --code "$code" >/dev/null
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

run_socat_tls() {
    rm -rf "$work/dst" "$work"/*.log && mkdir "$work/dst"
    socat -d -d -u "OPENSSL-LISTEN:0,bind=127.0.0.1,cert=$work/server.pem,key=$work/server.key,cafile=$work/client.pem,verify=1" \
        "CREATE:$work/dst/copy.bin" 2>"$work/socat.log" &
    local receiver=$!
    pids+=("$receiver")
    local port
    port=$(wait_for_line "$work/socat.log" 's/.*listening on .*:\([0-9]*\)$/\1/p')
    local start end
    start=$(now)
    socat -u "FILE:$src" \
        "OPENSSL:127.0.0.1:$port,cert=$work/client.pem,key=$work/client.key,cafile=$work/server.pem,verify=1,commonname=localhost"
    wait "$receiver"
    end=$(now)
    [ "$(stat -c %s "$work/dst/copy.bin")" = "$bytes" ] || { echo "socat over TLS lost bytes" >&2; exit 1; }
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

contenders=(xsock socat_tls socat)
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
socat_s=$(median ${seconds[socat_tls]})
nc_s=
# shellcheck disable=SC2086
[ -n "${seconds[nc]:-}" ] && nc_s=$(median ${seconds[nc]})
printf '%-40s %9s %9s %13s %9s %11s\n' "what" "seconds" "MB/s" "vs socat TLS" "vs nc" "CPU s, all"
for contender in "${contenders[@]}"; do
    # shellcheck disable=SC2086
    s=$(median ${seconds[$contender]})
    case $contender in
    xsock) label="xsock-transfer (TLS, SHA-256 both ends)" ;;
    socat_tls) label="socat over TLS (OPENSSL:)" ;;
    socat) label="socat byte copy" ;;
    nc) label="nc byte copy" ;;
    sha256) label="SHA-256 alone (openssl dgst)" ;;
    esac
    # shellcheck disable=SC2086
    c=$(median ${cpus[$contender]})
    vs_nc=-
    [ -n "$nc_s" ] && vs_nc=$(awk "BEGIN { printf \"%.2fx\", $nc_s / $s }")
    printf '%-40s %9.3f %9.1f %12.2fx %9s %11.2f\n' "$label" "$s" \
        "$(awk "BEGIN { print $bytes / $s / 1000000 }")" "$(awk "BEGIN { print $socat_s / $s }")" \
        "$vs_nc" "$c"
done
