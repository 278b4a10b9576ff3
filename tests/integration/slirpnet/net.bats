#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# net.bats — the guest's view: ping, UDP and TCP to host loopback via the gateway, DHCP

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

@test "ping to the gateway and the DNS address is answered" {
    start_slirp -c
    in_ns "$NS_PID" ping -c 2 -W 2 10.0.2.2
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.2.3
}

@test "ping to the gateway is answered even with --disable-host-loopback" {
    start_slirp -c --disable-host-loopback
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.2.2
}

@test "ARP for other subnet addresses stays unanswered" {
    start_slirp -c
    run in_ns "$NS_PID" ping -c 1 -W 1 10.0.2.5
    [ "$status" -ne 0 ]
}

@test "UDP to the gateway reaches a host loopback server and the reply comes back" {
    local port; port=$(free_port)
    bg socat -T 3 UDP4-RECVFROM:$port,bind=127.0.0.1,fork EXEC:cat
    start_slirp -c
    run in_ns "$NS_PID" sh -c "echo hello-udp | socat -t 2 - UDP4:10.0.2.2:$port"
    [ "$status" -eq 0 ]
    assert_equal "$output" "hello-udp"
}

@test "DHCP hands out 10.0.2.15 with router and DNS" {
    start_slirp
    in_ns "$NS_PID" ip link set tap0 up
    run in_ns "$NS_PID" busybox udhcpc -i tap0 -f -q -n -t 3 -T 1 -s /bin/true
    [ "$status" -eq 0 ]
    assert_contains "$output" "lease of 10.0.2.15 obtained from 10.0.2.2, lease time 86400"
}

@test "TCP to the gateway carries data both ways to a host loopback server" {
    local port; port=$(free_port)
    bg socat TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork EXEC:cat
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    start_slirp -c
    head -c 2000000 /dev/urandom >"$BATS_TEST_TMPDIR/big"
    in_ns "$NS_PID" socat -t 5 - TCP4:10.0.2.2:$port <"$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/back"
    cmp "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/back"
}

@test "the host server sees the connection from 127.0.0.1" {
    local port; port=$(free_port)
    bg socat TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr SYSTEM:'echo peer=$SOCAT_PEERADDR'
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    start_slirp -c
    run in_ns "$NS_PID" socat -t 3 - TCP4:10.0.2.2:$port </dev/null
    assert_equal "$output" "peer=127.0.0.1"
}

@test "TCP to a closed host port is refused" {
    local port; port=$(free_port)
    start_slirp -c
    run in_ns "$NS_PID" socat -t 3 - TCP4:10.0.2.2:$port </dev/null
    [ "$status" -ne 0 ]
    assert_contains "$output" "Connection refused"
}

@test "--disable-host-loopback makes the gateway unreachable for TCP" {
    local port; port=$(free_port)
    bg socat TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork EXEC:cat
    start_slirp -c --disable-host-loopback
    run in_ns "$NS_PID" socat -t 3 - TCP4:10.0.2.2:$port,connect-timeout=5 </dev/null
    [ "$status" -ne 0 ]
    assert_contains "$output" "Network is unreachable"
}

# host_ip: the host's first global IPv4 address (the upstream outbound-addr test uses it too).
host_ip() { ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1; }

@test "--outbound-addr binds outgoing connections to that address" {
    local addr; addr=$(host_ip)
    [ -n "$addr" ] || skip "this host has no global IPv4 address"
    local port; port=$(free_port)
    bg socat TCP4-LISTEN:$port,reuseaddr SYSTEM:'echo peer=$SOCAT_PEERADDR'
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    start_slirp -c --outbound-addr="$addr"
    run in_ns "$NS_PID" socat -t 3 - TCP4:10.0.2.2:$port </dev/null
    assert_equal "$output" "peer=$addr"
}

@test "TCP to an unreachable host gets ICMP host-unreachable" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns leaves the guest to time out"
    local addr; addr=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)
    [ -n "$addr" ] || skip "this host has no global IPv4 address"
    start_slirp -c
    # an unused address on the host's own subnet: ARP fails, connect() reports EHOSTUNREACH
    run in_ns "$NS_PID" socat -t 2 - TCP4:${addr%.*}.77:80,connect-timeout=20 </dev/null
    [ "$status" -ne 0 ] || skip "${addr%.*}.77 exists on this network"
    case "$output" in *"Connection refused"*) skip "${addr%.*}.77 exists on this network" ;; esac
    assert_contains "$output" "No route to host"
}
