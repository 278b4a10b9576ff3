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
