#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# icmp.bats — ICMP echo to other hosts (ping sockets, or the UDP-port-7 fallback) and ICMP errors
# from host sockets forwarded to the guest

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

# host_ip: the host's first global IPv4 address.
host_ip() { ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1; }

# ping_sockets_allowed: our gid is inside net.ipv4.ping_group_range (tests/prepare-host.sh sets
# the systemd default, "0 2147483647").
ping_sockets_allowed() {
    local lo hi g; read -r lo hi </proc/sys/net/ipv4/ping_group_range; g=$(id -g)
    [ "$lo" -le "$g" ] && [ "$g" -le "$hi" ]
}

@test "ping to a host address is answered through a host ping socket" {
    ping_sockets_allowed || skip "net.ipv4.ping_group_range excludes gid $(id -g) (run tests/prepare-host.sh as root)"
    local addr; addr=$(host_ip)
    [ -n "$addr" ] || skip "this host has no global IPv4 address"
    start_slirp -c
    run in_ns "$NS_PID" ping -c 2 -W 2 "$addr"
    [ "$status" -eq 0 ]
    assert_contains "$output" "2 received"
    assert_contains "$output" "64 bytes from $addr: icmp_seq=1"
}

@test "ping goes through a ping socket where the namespace allows them" {
    run in_private_host --no-net-raw 'echo "0 0" >/proc/sys/net/ipv4/ping_group_range' \
        'ping -c 2 -W 2 198.51.100.1'
    [ "$status" -eq 0 ]
    assert_contains "$output" "64 bytes from 198.51.100.1: icmp_seq=2"
}

@test "without ping sockets, ping goes through a raw socket given CAP_NET_RAW" {
    run in_private_host 'true' 'ping -c 2 -W 2 198.51.100.1'
    [ "$status" -eq 0 ]
    assert_contains "$output" "64 bytes from 198.51.100.1: icmp_seq=2"
}

@test "without ping or raw sockets, an echo service on UDP port 7 answers the ping" {
    skip_if_original "$SLIRP4NETNS" "libslirp 4.7 sends its pseudo-PING to port 7 but never reflects the reply"
    run in_private_host --no-net-raw 'socat UDP4-RECVFROM:7,bind=198.51.100.1,fork EXEC:cat &' \
        'ping -c 2 -W 2 198.51.100.1'
    [ "$status" -eq 0 ]
    assert_contains "$output" "64 bytes from 198.51.100.1: icmp_seq=2"
}

@test "without ping or raw sockets and no echo service, ping gets port unreachable" {
    run in_private_host --no-net-raw 'true' 'ping -c 1 -W 2 198.51.100.1'
    [ "$status" -ne 0 ]
    assert_contains "$output" "From 198.51.100.1 icmp_seq=1 Destination Port Unreachable"
}

@test "ping to an address the host cannot route gets unreachable" {
    run in_private_host 'echo "0 0" >/proc/sys/net/ipv4/ping_group_range' 'ping -c 1 -W 3 203.0.113.9'
    [ "$status" -ne 0 ]
    assert_contains "$output" "icmp_seq=1 Destination Net Unreachable"
}

@test "a ping socket forwards host-unreachable for a dead neighbour" {
    ping_sockets_allowed || skip "net.ipv4.ping_group_range excludes gid $(id -g)"
    skip_if_original "$SLIRP4NETNS" "libslirp 4.7 lets a ping socket's errors time out"
    local addr; addr=$(host_ip)
    [ -n "$addr" ] || skip "this host has no global IPv4 address"
    start_slirp -c
    # an unused address on the host's own subnet: ARP fails and the host reports it after ~3 s
    run in_ns "$NS_PID" ping -c 1 -W 8 "${addr%.*}.77"
    [ "$status" -ne 0 ]
    case "$output" in *"bytes from"*) skip "${addr%.*}.77 exists on this network" ;; esac
    assert_contains "$output" "Destination Host Unreachable"
}

@test "UDP to a closed port on a host address gets port unreachable (ECONNREFUSED)" {
    local addr; addr=$(host_ip)
    [ -n "$addr" ] || skip "this host has no global IPv4 address"
    local port; port=$(free_port)
    start_slirp -c
    run in_ns "$NS_PID" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"x")
try:
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
' "$addr" "$port"
    assert_equal "$output" "refused"
}

@test "UDP to a closed host loopback port via the gateway gets port unreachable" {
    skip_if_original "$SLIRP4NETNS" "libslirp reports it from 127.0.0.1, a martian source the guest drops"
    local port; port=$(free_port)
    start_slirp -c
    run in_ns "$NS_PID" sh -c "echo x | socat -t 3 - UDP4:10.0.2.2:$port"
    [ "$status" -ne 0 ]
    assert_contains "$output" "Connection refused"
}
