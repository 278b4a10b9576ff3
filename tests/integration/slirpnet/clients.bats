#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# clients.bats — real clients driving the binary under test: Debian's RootlessKit

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() {
    require_binary "$SLIRP4NETNS"
    [ -x "$ORIG_ROOTLESSKIT" ] || skip "Debian's rootlesskit is not installed"
    export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
}
teardown() { teardown_pids; }

@test "rootlesskit --net=slirp4netns gets a working network (ping, TCP to host loopback)" {
    local port; port=$(free_port)
    bg socat TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo host-hello'
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    run timeout 30 "$ORIG_ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$SLIRP4NETNS" \
        --mtu=65520 --state-dir="$BATS_TEST_TMPDIR/state" \
        sh -c "ip -4 addr show tap0; ping -c 1 -W 2 10.0.2.2; socat -t 3 - TCP4:10.0.2.2:$port </dev/null" 3>&-
    [ "$status" -eq 0 ]
    assert_contains "$output" "inet 10.0.2.100/24"
    assert_contains "$output" "1 received"
    assert_contains "$output" "host-hello"
}

# rlk_ipv6 ROOTLESSKIT PORT: that rootlesskit with --net=slirp4netns --ipv6 and $SLIRP4NETNS; the
# command waits for SLAAC, then talks to a host ::1 server through fd00::2.
rlk_ipv6() {
    timeout 40 "$1" --net=slirp4netns --slirp4netns-binary="$SLIRP4NETNS" --ipv6 \
        --state-dir="$BATS_TEST_TMPDIR/state.$RANDOM" \
        sh -c 'i=0; until ip -6 addr show dev tap0 | grep "inet6 fd00::" | grep -qv tentative; do
                   i=$((i+1)); [ $i -lt 150 ] || { ip -6 addr; exit 1; }; sleep 0.1
               done
               ip -6 addr show dev tap0; ip -6 route
               socat -t 3 - TCP6:[fd00::2]:'"$2"' </dev/null' 3>&-
}

@test "rootlesskit (Debian's and ours) --net=slirp4netns --ipv6 gets working IPv6" {
    local port; port=$(free_port)
    bg socat TCP6-LISTEN:$port,bind=[::1],reuseaddr,fork SYSTEM:'echo host6-hello'
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    local rlk
    for rlk in "$ORIG_ROOTLESSKIT" "$BUILD_DIR/rootlesskit/rootlesskit"; do
        [ -x "$rlk" ] || continue
        run rlk_ipv6 "$rlk" "$port"
        [ "$status" -eq 0 ] || { echo "$rlk: $output" >&2; return 1; }
        assert_contains "$output" "inet6 fd00::"
        assert_contains "$output" "default via fe80::2"
        assert_contains "$output" "host6-hello"
    done
}
