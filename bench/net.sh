#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# net.sh — iperf3 through slirpnet and through Debian's slirp4netns, side by side.
# By hand, never in CI. Run as an unprivileged user with /dev/net/tun usable:
#   bench/net.sh [SECONDS]   (env: SLIRPNET=path/to/slirpnet ORIG=/usr/bin/slirp4netns REPEAT=1)
# Prints Gbit/s for guest→host and host→guest at MTU 1500 and 65520, over IPv4 (10.0.2.2 →
# 127.0.0.1) and IPv6 (-6, fd00::2 → ::1, after SLAAC), the ratio ours/original,
# and request/response figures: short TCP connections per second through 10.0.2.2, to a server
# that forks a shell per connection (as first measured) and to one that does not.
# The load average is printed before and after: compare ratios, not absolute figures, on a
# busy machine. ROWS=crr runs only the connection rows. SLIRPNET_VNET=0 in the environment
# runs slirpnet without IFF_VNET_HDR offload.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-5}
REPEAT=${REPEAT:-1} # runs per binary and column; the median is shown
OURS=${SLIRPNET:-$here/build/slirpnet/slirpnet}
ORIG=${ORIG:-/usr/bin/slirp4netns}
for b in "$OURS" "$ORIG" iperf3 socat python3 unshare nsenter; do
    command -v "$b" >/dev/null || { echo "missing: $b" >&2; exit 1; }
done

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# wait_for SECONDS WHAT CMD...: until CMD succeeds; else say what did not happen and exit.
wait_for() {
    local secs=$1 what=$2 end=$((SECONDS + $1)); shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || { echo "net.sh: timed out after ${secs}s waiting for $what" >&2; exit 1; }
        sleep 0.05
    done
}
netns_differs() { [ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }
# listening PORT: a TCP socket listens on PORT on this host.
listening() { ss -Hltn "sport = :$1" | grep -q .; }

# run_one BINARY MTU MODE: prints one number (Gbit/s, or connections/s for MODE=crr, crr1).
# MODE g2h6/h2g6: the same over IPv6 (slirp with -6, the guest's SLAAC address).
run_one() {
    local bin=$1 mtu=$2 mode=$3 port ns sl srv ready v6=() bind=127.0.0.1 dst=10.0.2.2
    case $mode in *6) v6=(-6); bind=::1; dst=fd00::2; mode=${mode%6} ;; esac
    port=$((10000 + RANDOM % 20000)) # below the ephemeral range (32768+)
    ready=$(mktemp)
    unshare --user --map-root-user --net sleep 600 & ns=$!; pids+=("$ns")
    wait_for 10 "netns of $ns" netns_differs "$ns"
    "$bin" -c "${v6[@]}" --mtu "$mtu" -r 5 "$ns" tap0 5>"$ready" >/dev/null 2>&1 & sl=$!; pids+=("$sl")
    wait_for 10 "$bin ready" test -s "$ready"
    local in_ns=(nsenter --preserve-credentials -U -n -t "$ns")
    if [ ${#v6[@]} -gt 0 ]; then
        wait_for 15 "SLAAC address" sh -c "$(printf '%q ' "${in_ns[@]}") ip -6 addr show dev tap0 | grep 'inet6 fd00::' | grep -qv tentative"
    fi
    if [ "$mode" = crr ] || [ "$mode" = crr1 ]; then
        if [ "$mode" = crr ]; then # a shell forked per connection: mostly measures fork+exec
            socat TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo x' & srv=$!
        else                       # one process answers every connection: measures the path
            python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
while True:
    c, _ = s.accept()
    c.sendall(b"x\n")
    c.close()
' "$port" & srv=$!
        fi
        pids+=("$srv")
        wait_for 10 "server on $port" listening "$port"
        "${in_ns[@]}" python3 - "$port" "$SECS" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
n, end = 0, time.time() + secs
while time.time() < end:
    try:
        s = socket.create_connection(("10.0.2.2", port))
    except OSError as e:  # through slirp4netns 1.2: ENETUNREACH after ~1600 connections
        sys.stderr.write(f"# crr: connect failed after {n} connections: {e}\n")
        break
    s.recv(16)
    s.close()
    n += 1
print(f"{n / secs:.0f}")
PY
    else
        iperf3 -s -B "$bind" -p "$port" -1 >/dev/null 2>&1 & srv=$!; pids+=("$srv")
        wait_for 10 "iperf3 on $port" listening "$port"
        local r=()
        [ "$mode" = h2g ] && r=(-R)
        "${in_ns[@]}" iperf3 -c "$dst" -p "$port" -t "$SECS" "${r[@]}" -J |
            python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.2f" % (e["sum_received"]["bits_per_second"]/1e9))'
    fi
    kill "$sl" "$ns" "$srv" 2>/dev/null || true
    wait "$sl" "$ns" "$srv" 2>/dev/null || true
    rm -f "$ready"
}

echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
# col LABEL MTU MODE: REPEAT runs of each binary, alternating so that a change in load hits
# both alike; prints the medians and their ratio.
col() {
    local label=$1 mtu=$2 mode=$3 i as=() bs=() a b
    for ((i = 0; i < REPEAT; i++)); do
        as+=("$(run_one "$OURS" "$mtu" "$mode")")
        bs+=("$(run_one "$ORIG" "$mtu" "$mode")")
    done
    a=$(median "${as[@]}")
    b=$(median "${bs[@]}")
    printf '%-28s %12s %12s %8s\n' "$label" "$a" "$b" "$(python3 -c "print(f'{$a/$b:.2f}x')")"
    [ "$REPEAT" -gt 1 ] && echo "#   runs: ours ${as[*]} / original ${bs[*]}"
    return 0
}
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

printf '%-28s %12s %12s %8s\n' "path" "slirpnet" "slirp4netns" "ratio"
[ "${ROWS:-all}" = crr ] || for fam in "" 6; do
    for mtu in 1500 65520; do
        for mode in g2h h2g; do
            col "$([ $mode = g2h ] && echo "guest→host" || echo "host→guest") IPv${fam:-4} MTU $mtu (Gbit/s)" \
                "$mtu" "$mode$fam"
        done
    done
done
col "TCP connect+req/resp (1/s)" 65520 crr
col "  same, no fork (1/s)" 65520 crr1
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
