#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# gvisor.bats — --net=gvisor-tap-vsock and --port-driver=gvisor-tap-vsock served by slirpnet:
# upstream v3.0's addresses, MTU, DNS, host loopback, published ports, /v1/info
# (docs/compat/rootlesskit.md §2.7, §5.6). Debian's 1.1.0 has neither driver: every test skips there.

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    require_binary "$ROOTLESSCTL"
    skip_if_original "$ROOTLESSKIT" "v3-only: --net=gvisor-tap-vsock"
    HERE="$BATS_TEST_DIRNAME"
    GV=(--net=gvisor-tap-vsock)
}

ctl() { "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" "$@"; }

# udp_ask HOST PORT TEXT: one datagram, prints the answer (empty after 3 s without one).
udp_ask() {
    python3 - "$@" <<'PY'
import socket, sys
host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(3):
    s.sendto(text.encode(), (host, port))
    try:
        print(s.recv(65535).decode())
        break
    except socket.timeout:
        pass
PY
}

@test "gvisor-tap-vsock: tap0 with 10.0.2.100/24, MTU 65520, gateway and DNS 10.0.2.1" {
    run_rk "${GV[@]}" --disable-host-loopback \
        sh -c 'ip -o -4 addr show tap0; cat /sys/class/net/tap0/mtu; ip route show default; cat /etc/resolv.conf; ip -o link show lo'
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "inet 10.0.2.100/24"
    [ "${lines[1]}" = 65520 ]
    assert_contains "${lines[2]}" "default via 10.0.2.1 dev tap0"
    [ "${lines[3]}" = "nameserver 10.0.2.1" ]
    assert_contains "${lines[4]}" "UP"
}

@test "gvisor-tap-vsock: --mtu, --cidr and --ifname are applied (gateway and DNS at +1)" {
    run_rk "${GV[@]}" --disable-host-loopback --mtu=1500 --cidr=10.0.5.0/24 --ifname=eth7 \
        sh -c 'ip -o -4 addr show eth7; cat /sys/class/net/eth7/mtu; ip route show default; cat /etc/resolv.conf; ping -c 1 -W 3 10.0.5.1 >/dev/null && echo pong'
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "inet 10.0.5.100/24"
    [ "${lines[1]}" = 1500 ]
    assert_contains "${lines[2]}" "default via 10.0.5.1 dev eth7"
    [ "${lines[3]}" = "nameserver 10.0.5.1" ]
    [ "${lines[4]}" = pong ]
}

@test "gvisor-tap-vsock: the gateway answers ping; the namespace is not the host's" {
    run_rk "${GV[@]}" --disable-host-loopback sh -c 'ping -c 2 -W 3 10.0.2.1 | grep -c "bytes from 10.0.2.1"; readlink /proc/self/ns/net'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 2 ]
    [ "${lines[1]}" != "$(readlink /proc/self/ns/net)" ]
}

@test "gvisor-tap-vsock: TCP to the host loopback via 10.0.2.1 unless --disable-host-loopback" {
    local port; port=$(free_port)
    spawn python3 "$HERE/netserver.py" peer tcp 127.0.0.1 "$port"
    wait_until 10 sh -c "echo | socat -t 1 - TCP4:127.0.0.1:$port"
    run_rk "${GV[@]}" socat -t 2 - "TCP4:10.0.2.1:$port"
    [ "$status" -eq 0 ]
    assert_contains "$output" "peer=127.0.0.1"
    run_rk "${GV[@]}" --disable-host-loopback socat -T 3 -t 2 - "TCP4:10.0.2.1:$port,connect-timeout=3"
    [ "$status" -ne 0 ]
    assert_not_contains "$output" "peer="
}

@test "gvisor-tap-vsock: UDP to the host loopback via 10.0.2.1 unless --disable-host-loopback" {
    local port; port=$(free_port)
    spawn python3 "$HERE/netserver.py" echo udp 127.0.0.1 "$port"
    wait_until 10 test -n "$(udp_ask 127.0.0.1 "$port" x)"
    run_rk "${GV[@]}" sh -c "echo hello-udp | socat -t 2 - UDP4:10.0.2.1:$port"
    [ "$status" -eq 0 ]
    [ "$output" = hello-udp ]
    run_rk "${GV[@]}" --disable-host-loopback sh -c "echo hello-udp | socat -t 2 - UDP4:10.0.2.1:$port"
    [ "$output" = "" ]
}

@test "gvisor-tap-vsock: DNS at 10.0.2.1 goes to the host's resolver (fake resolver, private host)" {
    # slirpnet runs through a wrapper (--slirp4netns-binary) in a private user+net+mount "host"
    # whose resolv.conf names a fake resolver on its 127.0.0.1:53; the TAP fd passes through.
    export T=$BATS_TEST_TMPDIR FAKE_DNS=$SOURCE_DIR/tests/e2e/fake-dns.py SLIRPNET_BIN=$BUILD_DIR/slirpnet/slirpnet
    cat >"$T/slirpnet-wrap" <<'SH'
#!/bin/sh
exec unshare --user --map-root-user --net --mount sh -euc '
    ip link set lo up
    printf "nameserver 127.0.0.1\n" >"$T/resolv.conf"
    mount --bind "$T/resolv.conf" /etc/resolv.conf
    python3 "$FAKE_DNS" 127.0.0.1 53 192.0.2.77 </dev/null >/dev/null 2>&1 &
    for i in $(seq 100); do ss -Hlun "sport = :53" | grep -q . && break; sleep 0.05; done
    exec "$SLIRPNET_BIN" "$@"' slirpnet "$@"
SH
    chmod +x "$T/slirpnet-wrap"
    run_rk "${GV[@]}" --disable-host-loopback --slirp4netns-binary="$T/slirpnet-wrap" \
        getent ahostsv4 gvisor.example.test
    [ "$status" -eq 0 ]
    assert_contains "$output" "192.0.2.77"
}

@test "gvisor-tap-vsock: /v1/info names both drivers, the DNS and the child IP" {
    start_rk "${GV[@]}" --disable-host-loopback --port-driver=gvisor-tap-vsock sleep infinity
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    [ "$status" -eq 0 ]
    assert_contains "$output" '"networkDriver":{"driver":"gvisor-tap-vsock","dns":["10.0.2.1"],"childIP":"10.0.2.100"}'
    assert_contains "$output" '"portDriver":{"driver":"gvisor-tap-vsock","protos":["tcp","tcp4","udp","udp4"],"disallowLoopbackChildIP":true}'
}

@test "gvisor-tap-vsock: -p 127.0.0.1:PORT:80/tcp serves a page from the namespace to the host" {
    local port; port=$(free_port)
    echo gvisor-page >"$BATS_TEST_TMPDIR/index.html"
    start_rk "${GV[@]}" --disable-host-loopback --port-driver=gvisor-tap-vsock \
        -p "127.0.0.1:$port:80/tcp" python3 -m http.server --bind 0.0.0.0 --directory "$BATS_TEST_TMPDIR" 80
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/index.html"
    run curl -sf "http://127.0.0.1:$port/index.html"
    [ "$status" -eq 0 ]
    [ "$output" = gvisor-page ]
    run ctl list-ports
    assert_contains "${lines[1]}" "tcp      127.0.0.1    $port"
}

@test "gvisor-tap-vsock: -p PORT/udp echoes through a published UDP port" {
    local port; port=$(free_port)
    start_rk --pidns "${GV[@]}" --disable-host-loopback --port-driver=gvisor-tap-vsock \
        -p "127.0.0.1:$port:8001/udp" python3 "$HERE/netserver.py" echo udp 0.0.0.0 8001
    wait_until 20 test -n "$(udp_ask 127.0.0.1 "$port" ping1)"
    run udp_ask 127.0.0.1 "$port" hello-udp
    assert_equal "$output" "hello-udp"
}

@test "gvisor-tap-vsock: add-ports, list-ports --json, remove-ports through rootlessctl" {
    local port; port=$(free_port)
    start_rk "${GV[@]}" --disable-host-loopback --port-driver=gvisor-tap-vsock \
        python3 -m http.server --bind 0.0.0.0 8000
    run ctl add-ports "127.0.0.1:$port:8000/tcp"
    [ "$status" -eq 0 ]
    local id=$output
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
    run ctl list-ports --json
    assert_equal "$output" "{\"id\":$id,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$port,\"childPort\":8000}}"
    run ctl remove-ports "$id"
    [ "$status" -eq 0 ]
    run curl -s -m 2 "http://127.0.0.1:$port/"
    [ "$status" -ne 0 ]
}

@test "gvisor-tap-vsock: --detach-netns puts tap0 in the detached namespace; builtin ports work too" {
    local port; port=$(free_port)
    start_rk "${GV[@]}" --disable-host-loopback --detach-netns --port-driver=builtin \
        -p "127.0.0.1:$port:8000/tcp" sh -c 'nsenter -n$ROOTLESSKIT_STATE_DIR/netns python3 -m http.server --bind 0.0.0.0 8000'
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
    run nsenter -U --preserve-credentials -m -t "$RK_CHILD" -- nsenter -n"$RK_STATE/netns" ip -o -4 addr show tap0
    [ "$status" -eq 0 ]
    assert_contains "$output" "inet 10.0.2.100/24"
}

@test "gvisor-tap-vsock: the port driver needs the gvisor-tap-vsock network" {
    run "$ROOTLESSKIT" --net=slirp4netns --port-driver=gvisor-tap-vsock true
    [ "$status" -eq 1 ]
    assert_contains "$output" "[rootlesskit:parent] error: port driver requires gvisor-tap-vsock network"
}

@test "gvisor-tap-vsock: a missing slirpnet is named with the paths tried" {
    run "$ROOTLESSKIT" "${GV[@]}" --slirp4netns-binary=/nonexistent/slirpnet true
    [ "$status" -eq 1 ]
    assert_contains "$output" "/nonexistent/slirpnet"
    # a rootlesskit with no slirpnet beside it (and none in the libexec directory)
    cp "$ROOTLESSKIT" "$BATS_TEST_TMPDIR/rootlesskit"
    run "$BATS_TEST_TMPDIR/rootlesskit" "${GV[@]}" true
    [ "$status" -eq 1 ]
    assert_contains "$output" "--net=gvisor-tap-vsock needs slirpnet (rootless-tools), which is not installed: tried $BATS_TEST_TMPDIR/slirpnet, "
    assert_contains "$output" "/rootless-tools/slirpnet; --slirp4netns-binary names its path"
}
