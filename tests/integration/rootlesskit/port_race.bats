#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# port_race.bats — published ports that cannot race (issue 18): the builtin driver holds the host
# port from the add's reply to the remove's reply, nothing before or after (docs/compat/rootlesskit.md,
# "Port reservation")

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    require_binary "$ROOTLESSCTL"
    S4N=${RK_SLIRP4NETNS:-/usr/bin/slirp4netns}
    HERE="$BATS_TEST_DIRNAME"
}

ctl() { "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" "$@"; }

# start_servers: rootlesskit with the builtin driver; in the namespace a TCP server on 8000 that
# answers "peer=..." and a UDP echo on 8001.
start_servers() {
    start_rk --pidns --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback --port-driver=builtin \
        sh -c "python3 '$HERE/netserver.py' peer tcp 0.0.0.0 8000 & exec python3 '$HERE/netserver.py' echo udp 0.0.0.0 8001"
}

# udp_ask PORT TEXT: one datagram to 127.0.0.1:PORT, prints the answer (empty after 3 s).
udp_ask() {
    python3 - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(3):
    s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recv(65535).decode()); break
    except socket.timeout:
        pass
PY
}

tcp_ask() { python3 -c 'import socket,sys; c=socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5); print(c.makefile().read(), end="")' "$1"; }

@test "port race: rapid add/remove/add through rootlessctl never meets EADDRINUSE, and the last add serves" {
    local port; port=$(free_port)
    start_servers
    local id i proto inner
    for proto in tcp udp; do
        inner=8000; [ "$proto" = udp ] && inner=8001
        run ctl add-ports "127.0.0.1:$port:$inner/$proto"
        [ "$status" -eq 0 ] || { echo "first add: $output" >&2; false; }
        id=$output
        for i in $(seq 30); do
            run ctl remove-ports "$id"
            [ "$status" -eq 0 ] || { echo "remove $i: $output" >&2; false; }
            run ctl add-ports "127.0.0.1:$port:$inner/$proto"
            [ "$status" -eq 0 ] || { echo "re-add $i: $output" >&2; false; }
            id=$output
        done
    done
    # the last tcp and udp forwards of the port number both serve
    wait_until 20 test -n "$(udp_ask "$port" ping)"
    run udp_ask "$port" hello
    assert_equal "$output" "hello"
    run tcp_ask "$port"
    assert_contains "$output" "peer="
    run ctl list-ports
    [ "${#lines[@]}" -eq 3 ] # the header, one tcp, one udp
}

@test "port race: once remove-ports returns, another process binds the host port at once" {
    local port; port=$(free_port)
    start_servers
    run ctl add-ports "127.0.0.1:$port:8000/tcp"
    [ "$status" -eq 0 ]
    local tcp_id=$output
    run ctl add-ports "127.0.0.1:$port:8001/udp"
    [ "$status" -eq 0 ]
    local udp_id=$output
    # traffic through both first, so the forwards have had connections and flows
    wait_until 20 test -n "$(udp_ask "$port" ping)"
    run tcp_ask "$port"
    assert_contains "$output" "peer="
    # while the driver holds it, the port is taken
    run python3 -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()' "$port"
    [ "$status" -ne 0 ]
    assert_contains "$output" "Address already in use"
    run ctl remove-ports "$tcp_id" "$udp_id"
    [ "$status" -eq 0 ]
    # no wait: TCP bound and listening (SO_REUSEADDR, as Go's net.Listen and most servers), UDP bound
    run python3 -c '
import socket, sys
p = int(sys.argv[1])
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", p)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
print("bound")' "$port"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    assert_equal "$output" "bound"
}
