#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# net.bats — network drivers host, none, slirp4netns and --detach-netns (docs/compat/rootlesskit.md §2.5, §2.6, §6.3)

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    S4N=${RK_SLIRP4NETNS:-/usr/bin/slirp4netns}
}

@test "--net=host keeps the host network namespace" {
    run "$ROOTLESSKIT" --net=host readlink /proc/self/ns/net
    [ "$status" -eq 0 ]
    [ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "--net=slirp4netns: tap0 with 10.0.2.100/24, MTU 65520, default route, lo up" {
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback \
        sh -c 'ip -o -4 addr show tap0; cat /sys/class/net/tap0/mtu; ip route show default; ip -o link show lo; readlink /proc/self/ns/net'
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "inet 10.0.2.100/24"
    [ "${lines[1]}" = 65520 ]
    assert_contains "${lines[2]}" "default via 10.0.2.2 dev tap0"
    assert_contains "${lines[3]}" "UP"
    [ "${lines[4]}" != "$(readlink /proc/self/ns/net)" ]
}

@test "--mtu, --cidr and --ifname are applied" {
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback \
        --mtu=1500 --cidr=10.0.5.0/24 --ifname=eth7 \
        sh -c 'ip -o -4 addr show eth7; cat /sys/class/net/eth7/mtu; ip route show default; cat /etc/resolv.conf'
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "inet 10.0.5.100/24"
    [ "${lines[1]}" = 1500 ]
    assert_contains "${lines[2]}" "default via 10.0.5.2 dev eth7"
    assert_contains "$output" "nameserver 10.0.5.3"
}

@test "slirp4netns reaches a host loopback server via 10.0.2.2 unless --disable-host-loopback" {
    local port; port=$(free_port)
    spawn python3 -m http.server --bind 127.0.0.1 "$port"
    wait_until 10 curl -sf "http://127.0.0.1:$port/"
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$S4N" curl -sf -o /dev/null -w '%{http_code}' "http://10.0.2.2:$port/"
    [ "$status" -eq 0 ]
    assert_contains "$output" 200
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback \
        curl -s -m 3 -o /dev/null "http://10.0.2.2:$port/"
    [ "$status" -ne 0 ]
}

@test "slirp4netns: /etc/resolv.conf and /etc/hosts come from the state dir" {
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback \
        sh -c 'cat /etc/resolv.conf; grep -c . /etc/hosts'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "nameserver 10.0.2.3" ]
}

@test "slirp4netns: resolv.conf and hosts files exist in the state dir (v2)" {
    skip_if_original "$ROOTLESSKIT" "v2-only: 1.1.0 writes them into /etc when /etc is copied up"
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback --copy-up=/etc \
        sh -c 'cat $ROOTLESSKIT_STATE_DIR/resolv.conf; tail -2 $ROOTLESSKIT_STATE_DIR/hosts; findmnt -n -o TARGET /etc/resolv.conf'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "nameserver 10.0.2.3" ]
    [ "${lines[1]}" = "127.0.0.1 $(hostname)" ]
    [ "${lines[2]}" = "::1 $(hostname)" ]
    [ "${lines[3]}" = "/etc/resolv.conf" ]
}

@test "slirp4netns: /sys is remounted for the new network namespace" {
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback ls /sys/class/net
    [ "$status" -eq 0 ]
    assert_contains "$output" tap0
    assert_not_contains "$output" "$(ls /sys/class/net | grep -v lo | head -1)"
}

@test "slirp4netns binary is looked up and checked" {
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary=/nonexistent/slirp4netns true
    [ "$status" -eq 1 ]
    assert_contains "$output" "/nonexistent/slirp4netns"
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$S4N" --slirp4netns-sandbox=bogus true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'unsupported slirp4netns-sandbox mode: "bogus"'
}

@test "slirp4netns with sandbox and seccomp still works" {
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback \
        --slirp4netns-sandbox=true --slirp4netns-seccomp=true ip -o -4 addr show tap0
    [ "$status" -eq 0 ]
    assert_contains "$output" "10.0.2.100/24"
}

@test "slirp4netns is stopped when rootlesskit exits" {
    start_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback sleep infinity
    local s; s=$(pgrep -P "$RK_PID" -x slirp4netns)
    [ -n "$s" ]
    kill -TERM "$RK_PID"
    wait "$RK_PID" || true
    wait_until 5 sh -c "! kill -0 $s"
}

@test "--net=none: only loopback, up" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --net=none"
    run_rk --net=none sh -c 'ls /sys/class/net; ip -o -4 addr show lo; readlink /proc/self/ns/net'
    [ "$status" -eq 0 ]
    assert_contains "$output" "127.0.0.1/8"
    [ "${lines[-1]}" != "$(readlink /proc/self/ns/net)" ]
}

@test "--detach-netns: the command stays in the host netns; \$STATE/netns holds the new one" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --detach-netns"
    run_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback --detach-netns \
        sh -c 'readlink /proc/self/ns/net; nsenter -n$ROOTLESSKIT_STATE_DIR/netns ip -o -4 addr show tap0; cat $ROOTLESSKIT_STATE_DIR/resolv.conf'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$(readlink /proc/self/ns/net)" ]
    assert_contains "${lines[1]}" "10.0.2.100/24"
    [ "${lines[2]}" = "nameserver 10.0.2.3" ]
}

@test "--net=pasta: pasta configures tap0; resolv.conf points at its DNS forwarder" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --net=pasta"
    command -v pasta >/dev/null || skip "pasta (passt) is not installed"
    run_rk --net=pasta --disable-host-loopback --copy-up=/etc \
        sh -c 'ip -o -4 addr show tap0; cat /sys/class/net/tap0/mtu; ip route show default; cat /etc/resolv.conf'
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "inet 10.0.2.100/24"
    [ "${lines[1]}" = 65520 ]
    assert_contains "${lines[2]}" "default via 10.0.2.2 dev tap0"
    [ "${lines[3]}" = "nameserver 10.0.2.3" ]
}

@test "--net=pasta: pasta is ended when rootlesskit exits" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --net=pasta"
    command -v pasta >/dev/null || skip "pasta (passt) is not installed"
    start_rk --net=pasta --disable-host-loopback sleep infinity
    local p; p=$(pgrep -u "$(id -u)" -f -- "pasta .*--pid=$RK_STATE/.pasta.pid")
    [ -n "$p" ]
    kill -TERM "$RK_PID"
    wait "$RK_PID" || true
    wait_until 5 sh -c "! kill -0 $p"
}

@test "--net=pasta --port-driver=implicit: a port listening inside is reachable from the host" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --net=pasta"
    command -v pasta >/dev/null || skip "pasta (passt) is not installed"
    local port; port=$(free_port)
    start_rk --net=pasta --port-driver=implicit --disable-host-loopback \
        python3 -m http.server --bind 0.0.0.0 "$port"
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
    run curl -s "http://rootlesskit/v1/info" --unix-socket "$RK_STATE/api.sock"
    assert_contains "$output" '"networkDriver":{"driver":"pasta","dns":["10.0.2.3"],"childIP":"10.0.2.100"}}'
}

@test "slirp4netns is started with argv[0] as given (found by name in PATH), as Go's exec.Command does" {
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    ln -s "$S4N" "$BATS_TEST_TMPDIR/bin/slirp4netns"
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" start_rk --net=slirp4netns --disable-host-loopback sleep infinity
    local p args found=
    for p in $(pgrep -P "$RK_PID"); do
        args=$(tr '\0' ' ' <"/proc/$p/cmdline")
        case "$args" in slirp4netns\ --mtu\ 65520\ *) found=$args ;; esac
    done
    [ -n "$found" ] || { echo "children of $RK_PID:"; ps -o pid=,args= --ppid "$RK_PID"; return 1; } >&2
}
