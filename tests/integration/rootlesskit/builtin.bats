#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# builtin.bats — --port-driver=builtin: UDP, IPv6, the client's source IP, a flood of connections,
# a child address that drops SYNs, removing a port, rootlesskit-docker-proxy (docs/compat/rootlesskit.md §5.2, §4.2)

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    require_binary "$ROOTLESSCTL"
    S4N=${RK_SLIRP4NETNS:-/usr/bin/slirp4netns}
    HERE="$BATS_TEST_DIRNAME"
    DOCKER_PROXY=${ROOTLESSKIT_DOCKER_PROXY:-$BUILD_DIR/rootlesskit/rootlesskit-docker-proxy}
}

ctl() { "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" "$@"; }

# start_builtin ARGS... -- CMD...: rootlesskit with slirp4netns and the builtin port driver.
start_builtin() {
    # --pidns: every server the command starts ends with it
    start_rk --pidns --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback --port-driver=builtin "$@"
}

# udp_ask HOST PORT TEXT: one datagram, prints the answer (empty after 3 s without one).
udp_ask() {
    python3 - "$@" <<'PY'
import socket, sys
host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(3):
    s.sendto(text.encode(), (host, port))
    try:
        print(s.recv(65535).decode()); break
    except socket.timeout:
        pass
PY
}

# tcp_ask HOST PORT: what a TCP server sends before it closes.
tcp_ask() { python3 -c 'import socket,sys; c=socket.create_connection((sys.argv[1], int(sys.argv[2])), 5); print(c.makefile().read(), end="")' "$@"; }

# a non-loopback address of this host in family 4 or 6, or nothing
host_addr() {
    local a
    for a in $(hostname -I 2>/dev/null); do
        case "$1:$a" in 4:*.*) echo "$a"; return ;; 6:*:*) case "$a" in fe80*) ;; *) echo "$a"; return ;; esac ;; esac
    done
}

fd_count() { ls "/proc/$1/fd" | wc -l; }
# fd_count_at_most PID N: PID holds at most N fds (evaluated at each poll of wait_until).
fd_count_at_most() { [ "$(fd_count "$1")" -le "$2" ]; }

@test "builtin: UDP echo through a published port (udp, udp4)" {
    local p1 p2; p1=$(free_port); p2=$(free_port)
    start_builtin -p "127.0.0.1:$p1:8001/udp" -p "0.0.0.0:$p2:8001/udp4" python3 "$HERE/netserver.py" echo udp 0.0.0.0 8001
    wait_until 20 test -n "$(udp_ask 127.0.0.1 "$p1" ping1)"
    run udp_ask 127.0.0.1 "$p1" hello-udp
    assert_equal "$output" "hello-udp"
    run udp_ask 127.0.0.1 "$p2" hello-udp4
    assert_equal "$output" "hello-udp4"
    run ctl list-ports
    assert_contains "$output" "udp      127.0.0.1    $p1"
    assert_contains "$output" "udp4     0.0.0.0      $p2"
}

@test "builtin: /v1/info lists upstream's six protos" {
    start_builtin sleep infinity
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    assert_contains "$output" '"portDriver":{"driver":"builtin","protos":["tcp","tcp4","tcp6","udp","udp4","udp6"]}'
}

@test "builtin: IPv6 publish: tcp6 and udp6 on [::1], tcp on [::] reaches the server over IPv6" {
    local p1 p2 p3; p1=$(free_port); p2=$(free_port); p3=$(free_port)
    start_builtin -p "[::1]:$p1:8000/tcp6" -p "[::1]:$p2:8001/udp6" -p "[::]:$p3:8000/tcp" \
        sh -c "python3 '$HERE/netserver.py' peer tcp :: 8000 & exec python3 '$HERE/netserver.py' echo udp :: 8001"
    wait_until 20 tcp_ask ::1 "$p1"
    run tcp_ask ::1 "$p1"
    assert_contains "$output" "peer="
    run tcp_ask ::1 "$p3"
    assert_contains "$output" "peer="
    wait_until 10 test -n "$(udp_ask ::1 "$p2" x)"
    run udp_ask ::1 "$p2" hello-v6
    assert_equal "$output" "hello-v6"
    # tcp6 is IPv6 only
    run tcp_ask 127.0.0.1 "$p1"
    [ "$status" -ne 0 ]
}

@test "builtin: the server sees the client's address (TCP and UDP, IPv4 and IPv6)" {
    skip_if_original "$ROOTLESSKIT" "v3: --source-ip-transparent"
    local a4 a6; a4=$(host_addr 4); a6=$(host_addr 6)
    [ -n "$a4" ] || skip "this host has no non-loopback IPv4 address"
    local t4 u4 t6 u6; t4=$(free_port); u4=$(free_port); t6=$(free_port); u6=$(free_port)
    start_builtin -p "0.0.0.0:$t4:8000/tcp4" -p "0.0.0.0:$u4:8001/udp4" \
        -p "[::]:$t6:[::1]:8000/tcp6" -p "[::]:$u6:[::1]:8001/udp6" \
        sh -c "python3 '$HERE/netserver.py' peer tcp :: 8000 & exec python3 '$HERE/netserver.py' peer udp :: 8001"
    wait_until 20 tcp_ask 127.0.0.1 "$t4"
    run tcp_ask "$a4" "$t4"
    assert_contains "$output" "peer=::ffff:$a4"
    run udp_ask "$a4" "$u4" u
    assert_contains "$output" "peer=::ffff:$a4"
    # loopback clients are not made transparent (upstream)
    run tcp_ask 127.0.0.1 "$t4"
    assert_contains "$output" "peer=::ffff:127.0.0.1"
    if [ -n "$a6" ]; then
        run tcp_ask "$a6" "$t6"
        assert_equal "$output" "peer=$a6"
        run udp_ask "$a6" "$u6" u
        assert_equal "$output" "u peer=$a6"
    fi
    grep -q "source IP transparent" "$RK_LOG" && { cat "$RK_LOG" >&2; return 1; }
    true
}

@test "builtin: --source-ip-transparent=false shows the namespace's own address" {
    skip_if_original "$ROOTLESSKIT" "v3: --source-ip-transparent"
    local a4; a4=$(host_addr 4)
    [ -n "$a4" ] || skip "this host has no non-loopback IPv4 address"
    local t4 u4; t4=$(free_port); u4=$(free_port)
    start_builtin --source-ip-transparent=false -p "0.0.0.0:$t4:8000/tcp4" -p "0.0.0.0:$u4:8001/udp4" \
        sh -c "python3 '$HERE/netserver.py' peer tcp 0.0.0.0 8000 & exec python3 '$HERE/netserver.py' peer udp 0.0.0.0 8001"
    wait_until 20 tcp_ask 127.0.0.1 "$t4"
    run tcp_ask "$a4" "$t4"
    assert_equal "$output" "peer=127.0.0.1"
    run udp_ask "$a4" "$u4" u
    assert_equal "$output" "u peer=127.0.0.1"
}

@test "builtin: 2000 concurrent connections to one port; it still answers and the fds come back" {
    local port; port=$(free_port)
    start_builtin -p "127.0.0.1:$port:8000/tcp" python3 "$HERE/netserver.py" echo tcp 127.0.0.1 8000
    wait_until 20 sh -c "[ \"\$(python3 '$HERE/flood.py' 127.0.0.1 $port 1 5)\" = 1 ]"
    sleep 0.5
    local before; before=$(fd_count "$RK_PID")
    run python3 "$HERE/flood.py" 127.0.0.1 "$port" 2000 120
    [ "$status" -eq 0 ]
    assert_equal "$output" 2000
    run python3 "$HERE/flood.py" 127.0.0.1 "$port" 5 10
    assert_equal "$output" 5
    kill -0 "$RK_PID"
    # Debian's 1.1.0 keeps about four fds per finished connection (19 → 8014 here): ours only.
    is_original "$ROOTLESSKIT" && return 0
    wait_until 20 fd_count_at_most "$RK_PID" "$before" || {
        echo "fds: before $before, now $(fd_count "$RK_PID")" >&2; return 1; }
}

@test "builtin: a child address that drops SYNs does not stall the other ports" {
    local black ok; black=$(free_port); ok=$(free_port)
    # 127.0.0.1:9000 in the namespace listens with backlog 0 and never accepts: once its queue
    # holds a connection the kernel drops every further SYN, so those connect()s never finish.
    start_builtin -p "127.0.0.1:$ok:8000/tcp" -p "127.0.0.1:$black:9000/tcp" sh -c "
        python3 -c 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\", 9000)); s.listen(0); time.sleep(1e6)' &
        exec python3 '$HERE/netserver.py' peer tcp 127.0.0.1 8000"
    wait_until 20 tcp_ask 127.0.0.1 "$ok"
    local i
    for i in $(seq 10); do
        spawn timeout 30 python3 -c 'import socket,sys; c=socket.create_connection(("127.0.0.1", int(sys.argv[1])), 30); c.recv(1)' "$black"
    done
    sleep 1
    local t0=$SECONDS
    run timeout 5 python3 -c 'import socket,sys; c=socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5); print(c.makefile().read(), end="")' "$ok"
    [ "$status" -eq 0 ]
    assert_contains "$output" "peer="
    [ $((SECONDS - t0)) -le 3 ]
}

@test "builtin: removing a port closes its open connections" {
    skip_if_original "$ROOTLESSKIT" "ours: connections end with their port"
    local port; port=$(free_port)
    start_builtin python3 "$HERE/netserver.py" echo tcp 127.0.0.1 8000
    run ctl add-ports "127.0.0.1:$port:8000/tcp"
    local id=$output
    wait_until 20 sh -c "[ \"\$(python3 '$HERE/flood.py' 127.0.0.1 $port 1 5)\" = 1 ]"
    spawn python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
c.send(b"x"); assert c.recv(1) == b"x"
open(sys.argv[2], "w").write("up")
c.settimeout(20)
print("eof" if c.recv(1) == b"" else "data")' "$port" "$BATS_TEST_TMPDIR/up"
    local client=$SPAWNED_PID log=$SPAWNED_LOG
    wait_for_file 10 "$BATS_TEST_TMPDIR/up"
    run ctl remove-ports "$id"
    [ "$status" -eq 0 ]
    wait_until 10 grep -q eof "$log"
}

@test "rootlesskit-docker-proxy registers the port, the host reaches the container, SIGTERM removes it" {
    [ -x /usr/sbin/docker-proxy ] || skip "docker-proxy (docker.io) not installed"
    local port; port=$(free_port)
    start_builtin python3 "$HERE/netserver.py" peer tcp 127.0.0.1 8000
    wait_until 10 rk_enter sh -c "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8000), 2)'"
    spawn env PATH="/usr/sbin:$PATH" ROOTLESSKIT_STATE_DIR="$RK_STATE" nsenter -U --preserve-credentials -m -n -t "$RK_CHILD" -- \
        sh -c "exec '$DOCKER_PROXY' -container-ip 127.0.0.1 -container-port 8000 -host-ip 127.0.0.1 -host-port $port -proto tcp 3>'$BATS_TEST_TMPDIR/fd3'"
    local dp=$SPAWNED_PID
    wait_until 20 tcp_ask 127.0.0.1 "$port"
    run ctl list-ports --json
    assert_contains "$output" "\"proto\":\"tcp4\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$port,\"childPort\":8000,\"childIP\":\"127.0.0.1\""
    run tcp_ask 127.0.0.1 "$port"
    assert_contains "$output" "peer="
    assert_equal "$(head -c1 "$BATS_TEST_TMPDIR/fd3")" 0
    kill -TERM "$dp"
    wait_until 10 sh -c "! kill -0 $dp 2>/dev/null"
    run ctl list-ports --json
    assert_equal "$output" ""
}

@test "rootlesskit-docker-proxy: flag errors exit 2, a missing state dir exits 1 and says so on fd 3" {
    run "$DOCKER_PROXY" -bogus
    [ "$status" -eq 2 ]
    assert_contains "$output" "flag provided but not defined: -bogus"
    run env -u ROOTLESSKIT_STATE_DIR "$DOCKER_PROXY" -host-port 1 3>"$BATS_TEST_TMPDIR/fd3"
    [ "$status" -eq 1 ]
    assert_contains "$output" '$ROOTLESSKIT_STATE_DIR needs to be set'
    assert_equal "$(cat "$BATS_TEST_TMPDIR/fd3")" "$(printf '1\n$ROOTLESSKIT_STATE_DIR needs to be set')"
}

@test "builtin with --detach-netns: TCP and UDP reach servers in the detached namespace" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --detach-netns"
    local t u; t=$(free_port); u=$(free_port)
    start_builtin --detach-netns -p "127.0.0.1:$t:8000/tcp" -p "127.0.0.1:$u:8001/udp" \
        sh -c "nsenter -n\$ROOTLESSKIT_STATE_DIR/netns python3 '$HERE/netserver.py' peer tcp 127.0.0.1 8000 &
               exec nsenter -n\$ROOTLESSKIT_STATE_DIR/netns python3 '$HERE/netserver.py' echo udp 127.0.0.1 8001"
    wait_until 20 tcp_ask 127.0.0.1 "$t"
    run tcp_ask 127.0.0.1 "$t"
    assert_equal "$output" "peer=127.0.0.1"
    run udp_ask 127.0.0.1 "$u" detached
    assert_equal "$output" detached
}
