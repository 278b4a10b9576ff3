#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hostile.bats — a guest or API clients that try to exhaust slirp: flow floods to a closed and a
# blackholed host port, many short connections, idle and trickling API clients. The service
# keeps answering, its CPU goes idle afterwards and its fds come back.

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() {
    require_binary "$SLIRP4NETNS"
    API_DIR=$(mktemp -d /tmp/snhostile.XXXXXX) # sun_path is 108 bytes
    API=$API_DIR/api.sock
}
teardown() {
    teardown_pids
    rm -rf "$API_DIR"
}

# cpu_ticks PID: user+system clock ticks PID has used so far (/proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# fd_count PID: open file descriptors of PID.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# fds_back PID N: PID holds at most N fds.
fds_back() { [ "$(fd_count "$1")" -le "$2" ]; }

# blackhole_port PORT: a host listener on 127.0.0.1:PORT whose accept queue is full and never
# drained, so the kernel drops every further SYN (a host port that never answers). Registered
# for teardown; returns once the queue is full.
blackhole_port() {
    bg python3 -c '
import socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(0)
fill = []
for _ in range(2):  # backlog 0 queues one connection; the next handshake never completes
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", int(sys.argv[1])))
    fill.append(c)
open(sys.argv[2], "w").write("ready")
time.sleep(120)
' "$1" "$BATS_TEST_TMPDIR/blackhole.ready"
    wait_for_file_content 5 "$BATS_TEST_TMPDIR/blackhole.ready"
}

# guest_echo_server PORT: a TCP server in the guest answering "pong" (for a hostfwd).
guest_echo_server() {
    bg_in_ns "$NS_PID" socat TCP4-LISTEN:"$1",reuseaddr,fork SYSTEM:"echo pong"
    wait_until 5 in_ns "$NS_PID" sh -c "ss -Hltn 'sport = :$1' | grep -q ."
}

# hostfwd_answers PORT: the forwarded host port reaches the guest server within 3 s.
hostfwd_answers() {
    [ "$(timeout 5 socat -T 3 - TCP4:127.0.0.1:"$1" </dev/null 2>/dev/null)" = pong ]
}

# api_answers: list_hostfwd answered within 2 s.
api_answers() {
    local out
    out=$(printf '%s\n' '{"execute":"list_hostfwd"}' | timeout 2 socat -t 2 - "UNIX-CONNECT:$API")
    [[ "$out" == '{"entries":['* ]]
}

@test "5000 guest flows to a closed and to a blackholed host port: API and hostfwd answer, CPU idles after" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns 1.2.0 keeps the soft fd limit (1024): flooded, its forwarded port stops answering"
    local closed blackhole fwd
    closed=$(free_port)
    blackhole=$(free_port)
    fwd=$(free_port)
    blackhole_port "$blackhole"
    start_slirp -c -a "$API"
    local pid=$SLIRP_PID
    wait_for_socket 5 "$API"
    guest_echo_server 8080
    run api_call "$API" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":'"$fwd"',"guest_port":8080}}'
    assert_contains "$output" '"return"'
    hostfwd_answers "$fwd"
    # the flood: 5000 non-blocking connects to each port, held open for 20 s
    bg_in_ns "$NS_PID" python3 -c '
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for port in map(int, sys.argv[2:]):
    for _ in range(int(sys.argv[1])):
        try:
            s = socket.socket()
        except OSError:
            break
        s.setblocking(False)
        s.connect_ex(("10.0.2.2", port))
        held.append(s)
print(len(held), flush=True)
time.sleep(20)
' 5000 "$closed" "$blackhole"
    local flood=$SPAWNED_PID flood_log=$SPAWNED_LOG
    wait_until 30 grep -q '^[0-9]' "$flood_log"
    echo "guest sockets opened: $(cat "$flood_log")"
    [ "$(head -n1 "$flood_log")" -ge 8000 ] # the guest's own fd limit may stop it short of 10 000
    # while the flows are held, the API and the forward keep answering
    local i
    for i in 1 2 3; do
        api_answers
        hostfwd_answers "$fwd"
        sleep 1
    done
    kill "$flood"
    # no spin: at most 10 % of one CPU over 2 s once the guest has gone quiet
    sleep 1
    local t0 t1
    t0=$(cpu_ticks "$pid")
    sleep 2
    t1=$(cpu_ticks "$pid")
    echo "cpu ticks over 2 s: $((t1 - t0))"
    [ $((t1 - t0)) -le 20 ]
    api_answers
    hostfwd_answers "$fwd"
}

@test "with a hard fd limit of 300, a 2000-flow flood is refused at the table's cap and the API and hostfwd still answer" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns 1.2.0 has no flow cap: out of fds it answers none of the SYNs (0 of 2000 got RST)"
    local blackhole fwd
    blackhole=$(free_port)
    fwd=$(free_port)
    blackhole_port "$blackhole"
    # prlimit execs slirp, so SLIRP_PID is slirp itself
    printf '#!/bin/sh\nexec prlimit --nofile=300:300 %q "$@"\n' "$SLIRP4NETNS" >"$BATS_TEST_TMPDIR/limited"
    chmod +x "$BATS_TEST_TMPDIR/limited"
    SLIRP4NETNS=$BATS_TEST_TMPDIR/limited start_slirp -c -a "$API"
    local pid=$SLIRP_PID
    wait_for_socket 5 "$API"
    guest_echo_server 8080
    run api_call "$API" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":'"$fwd"',"guest_port":8080}}'
    assert_contains "$output" '"return"'
    run -0 timeout 30 nsenter --preserve-credentials -U -n -t "$NS_PID" -- python3 -c '
import socket, sys, time
held, reset = [], 0
for _ in range(2000):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("10.0.2.2", int(sys.argv[1])))
    held.append(s)
time.sleep(2)
for s in held:
    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 111:  # ECONNREFUSED: our RST
        reset += 1
print(reset)
' "$blackhole"
    echo "refused at the cap: $output"
    [ "$output" -ge 1500 ]
    [ "$(fd_count "$pid")" -lt 300 ]
    api_answers
    hostfwd_answers "$fwd"
    kill -TERM "$pid"
    wait_exit 10 "$pid"
    grep -Eq 'flow-limit=[1-9]' "$SLIRP_LOG"
}

@test "10 000 short guest connections leave the fd count where it started" {
    local port
    port=$(free_port)
    bg python3 -c '
import selectors, socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(1024)
while True:
    c, _ = l.accept()
    try:
        c.sendall(b"x")
    except OSError:
        pass
    c.close()
' "$port"
    wait_until 5 sh -c "ss -Hltn 'sport = :$port' | grep -q ."
    start_slirp -c
    local pid=$SLIRP_PID
    wait_until 10 in_ns "$NS_PID" sh -c "ip -4 addr show tap0 | grep -q 10.0.2.100"
    local before
    before=$(fd_count "$pid")
    run -0 timeout 50 nsenter --preserve-credentials -U -n -t "$NS_PID" -- python3 -c '
import selectors, socket, sys
total, batch, port = int(sys.argv[1]), 100, int(sys.argv[2])
done = failed = 0
while done + failed < total:
    sel = selectors.DefaultSelector()
    for _ in range(batch):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("10.0.2.2", port))
        sel.register(s, selectors.EVENT_READ)
    left = batch
    while left:
        ev = sel.select(5)
        if not ev:
            break
        for key, _ in ev:
            try:
                key.fileobj.recv(16)
                done += 1
            except OSError:
                failed += 1
            sel.unregister(key.fileobj)
            key.fileobj.close()
            left -= 1
    for key in list(sel.get_map().values()):
        key.fileobj.close()
        failed += 1
    sel.close()
print(done, failed)
' 10000 "$port"
    echo "connections done/failed: $output"
    local done failed
    read -r done failed <<<"$output"
    [ "$done" -ge 9900 ]
    wait_until 30 fds_back "$pid" "$before" || { echo "fds: $before before, $(fd_count "$pid") after" >&2; false; }
}

@test "200 idle and trickling API clients do not keep another client waiting over 1 s" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns blocks in read() on each API connection (docs/compat/slirp4netns.md §4.1)"
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    run -0 timeout 50 python3 "$BATS_TEST_DIRNAME/../slow-api-clients.py" "$API" \
        '{"execute":"list_hostfwd"}'$'\n' '{"entries":[' ' '
    echo "$output"
}
