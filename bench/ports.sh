#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ports.sh — port drivers side by side: our rootlesskit against Debian's (builtin and slirp4netns
# port drivers), through a port published with -p. By hand, never in CI; as an unprivileged user:
#   bench/ports.sh [SECONDS]   (env: OURS=build/rootlesskit/rootlesskit ORIG=/usr/bin/rootlesskit
#                               S4N=/usr/bin/slirp4netns UDP_RATE=2G)
# Columns: iperf3 TCP host→namespace and namespace→host (-R) in Gbit/s; UDP at UDP_RATE offered:
# received Gbit/s and loss %; short connections per second (connect, read one line, close); RSS
# of the rootlesskit parent (plus its helpers) in MiB with 1000 connections open. The server side
# always runs in the namespace; the client on the host, to 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-5}
OURS=${OURS:-$here/build/rootlesskit/rootlesskit}
ORIG=${ORIG:-/usr/bin/rootlesskit}
S4N=${S4N:-/usr/bin/slirp4netns}
UDP_RATE=${UDP_RATE:-2G}
for b in "$OURS" "$ORIG" "$S4N" iperf3 python3; do
    command -v "$b" >/dev/null || { echo "missing: $b" >&2; exit 1; }
done
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# start BINARY DRIVER: rootlesskit with an iperf3 server (5201), a line server (8000) and a hold
# server (8001) in the namespace, ports published on 127.0.0.1 at P, P+1, P+2 (tcp) and P (udp).
start() {
    local try
    for try in 1 2 3; do # a random port may be taken: try another
        start_once "$@" && return 0
        stop
    done
    echo "rootlesskit did not start:" >&2; cat "$tmp/rk.log" >&2; exit 1
}
start_once() {
    local bin=$1 driver=$2
    P=$((10000 + RANDOM % 20000))
    rm -rf "$tmp/st"
    "$bin" --state-dir="$tmp/st" --net=slirp4netns --slirp4netns-binary="$S4N" --mtu=65520 \
        --disable-host-loopback --port-driver="$driver" --pidns \
        -p "127.0.0.1:$P:5201/tcp" -p "127.0.0.1:$P:5201/udp" \
        -p "127.0.0.1:$((P + 1)):8000/tcp" -p "127.0.0.1:$((P + 2)):8001/tcp" \
        sh -c "iperf3 -s -D -p 5201 >/dev/null; exec python3 '$here/tests/integration/rootlesskit/netserver.py' echo tcp 0.0.0.0 8001 & exec python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"0.0.0.0\", 8000)); s.listen(1024)
while True:
    c, _ = s.accept(); c.sendall(b\"x\\n\"); c.close()'" >"$tmp/rk.log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do [ -S "$tmp/st/api.sock" ] && break; sleep 0.05; done
    [ -S "$tmp/st/api.sock" ] || return 1
    sleep 1
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }

# Each prints its figure, or err (one word per column) when iperf3 fails or times out.
tcp() { local r; r=$(timeout $((SECS + 20)) iperf3 -c 127.0.0.1 -p "$P" -t "$SECS" -J "$@" 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.2f" % (j["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null) || r=; echo "${r:-err}"; }
udp() { local r; r=$(timeout $((SECS + 20)) iperf3 -c 127.0.0.1 -p "$P" -u -b "$UDP_RATE" -l 1400 -t "$SECS" -J 2>/dev/null |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["end"]["sum"]; print("%.2f %.1f" % (s["bits_per_second"]*(1-s["lost_percent"]/100)/1e9, s["lost_percent"]))' 2>/dev/null) || r=; echo "${r:-err err}"; }
crr() { python3 - "$((P + 1))" "$SECS" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
n, end = 0, time.time() + secs
while time.time() < end:
    s = socket.create_connection(("127.0.0.1", port)); s.recv(16); s.close(); n += 1
print("%.0f" % (n / secs))
PY
}
# RSS (MiB) of the parent and its direct children other than slirp4netns, 1000 connections open
rss() { python3 - "$((P + 2))" "$pid" "$S4N" <<'PY'
import os, socket, sys, time
port, pid, s4n = int(sys.argv[1]), int(sys.argv[2]), os.path.basename(sys.argv[3])
conns = []
end = time.time() + 60  # a driver that stalls gets "err N" (connections made), not an hour
try:
    for _ in range(1000):
        c = socket.create_connection(("127.0.0.1", port), max(0.1, end - time.time()))
        c.sendall(b"x"); conns.append(c)
    for c in conns:
        c.settimeout(max(0.1, end - time.time())); c.recv(1)
except OSError:
    print("err%d" % len(conns)); sys.exit(0)
time.sleep(1)
def rss_kb(p):
    for l in open("/proc/%d/status" % p):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0
total = rss_kb(pid)
for t in os.listdir("/proc/%d/task" % pid):
    for c in open("/proc/%d/task/%s/children" % (pid, t)).read().split():
        exe = os.path.basename(os.readlink("/proc/%s/exe" % c))
        if exe not in (s4n, "slirpnet", "exe") and "rootlesskit" in exe:
            total += rss_kb(int(c))
print("%.1f" % (total / 1024))
PY
}

printf '%-26s %8s %8s %14s %9s %8s\n' "rootlesskit / port driver" "TCP in" "TCP out" "UDP Gb/s loss%" "conn/s" "RSS MiB"
for driver in ${DRIVERS:-builtin slirp4netns}; do
    for which in ours original; do
        bin=$OURS; [ $which = original ] && bin=$ORIG
        start "$bin" "$driver"
        t_in=$(tcp); t_out=$(tcp -R); u=$(udp); c=$(crr); r=$(rss)
        stop
        printf '%-26s %8s %8s %8s %5s %9s %8s\n' "$which / $driver" "$t_in" "$t_out" $u "${c:-err}" "${r:-err}"
    done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
