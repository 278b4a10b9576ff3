#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ipv6.bats — --enable-ipv6: SLAAC from our RA, ping6, TCP/UDP to host ::1 via fd00::2,
# --disable-host-loopback, --outbound-addr6, DNS via fd00::3, IPv6 port forwarding (ours only)

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

# wait_slaac PID: until the guest's tap0 has its fd00:: address (RA, then DAD).
wait_slaac() {
    wait_until 15 sh -c "nsenter --preserve-credentials -U -n -t $1 -- ip -6 addr show dev tap0 |
        grep 'inet6 fd00::' | grep -qv tentative" ||
        { in_ns "$1" ip -6 addr >&2; cat "$SLIRP_LOG" >&2; return 1; }
}

# start_slirp6 ARGS...: start_slirp -c -6 ARGS, then wait for SLAAC.
start_slirp6() {
    start_slirp -c -6 "$@"
    wait_slaac "$NS_PID"
}

@test "SLAAC gives the guest an fd00::/64 address and a default route via fe80::2" {
    start_slirp6
    run in_ns "$NS_PID" ip -6 addr show dev tap0
    assert_contains "$output" "scope global dynamic mngtmpaddr"
    assert_contains "$output" "valid_lft 86"
    run in_ns "$NS_PID" ip -6 route show
    assert_contains "$output" "fd00::/64 dev tap0 proto kernel"
    assert_contains "$output" "default via fe80::2 dev tap0 proto ra"
}

@test "-6 prints upstream's warning" {
    start_slirp -c -6
    wait_until 5 grep -q "WARNING: Support for IPv6 is experimental" "$SLIRP_LOG"
}

@test "ping6 to the router and DNS addresses is answered" {
    start_slirp6
    in_ns "$NS_PID" ping -6 -c 2 -W 2 fd00::2
    in_ns "$NS_PID" ping -6 -c 1 -W 2 fd00::3
}

@test "TCP to fd00::2 carries data both ways to a host ::1 server, seen from ::1" {
    local port; port=$(free_port)
    bg socat TCP6-LISTEN:$port,bind=[::1],reuseaddr,fork EXEC:cat
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    start_slirp6
    head -c 2000000 /dev/urandom >"$BATS_TEST_TMPDIR/big"
    in_ns "$NS_PID" socat -t 5 - TCP6:[fd00::2]:$port <"$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/back"
    cmp "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/back"
}

@test "UDP to fd00::2 reaches a host ::1 server and the reply comes back" {
    local port; port=$(free_port)
    bg socat -T 3 UDP6-RECVFROM:$port,bind=[::1],fork EXEC:cat
    start_slirp6
    run in_ns "$NS_PID" sh -c "echo hello-udp6 | socat -t 2 - UDP6:[fd00::2]:$port"
    [ "$status" -eq 0 ]
    assert_equal "$output" "hello-udp6"
}

@test "--disable-host-loopback makes fd00::2 unreachable for TCP" {
    local port; port=$(free_port)
    bg socat TCP6-LISTEN:$port,bind=[::1],reuseaddr,fork EXEC:cat
    start_slirp6 --disable-host-loopback
    run in_ns "$NS_PID" socat -t 3 - TCP6:[fd00::2]:$port,connect-timeout=5 </dev/null
    [ "$status" -ne 0 ]
    if ! is_original "$SLIRP4NETNS"; then
        assert_contains "$output" "Network is unreachable"
    fi
    in_ns "$NS_PID" ping -6 -c 1 -W 2 fd00::2 # still answered by slirp itself
}

# in_v6_host SETUP SCRIPT ARGS...: a private user+net+mount "host" with 2001:db8::1 and ::2 on lo
# (SETUP runs there), slirp -c -6 ARGS serving a guest netns in which SCRIPT runs after SLAAC.
in_v6_host() {
    export T=$BATS_TEST_TMPDIR SLIRP4NETNS
    timeout 60 unshare --user --map-root-user --net --pid --fork --mount --mount-proc sh -euc "$NS_SH"'
        setup=$1 script=$2; shift 2
        ip link set lo up
        ip addr add 2001:db8::1/128 dev lo
        ip addr add 2001:db8::2/128 dev lo
        sh -euc "$setup"
        start_guest_netns
        "$SLIRP4NETNS" -c -6 -r 5 "$@" $g tap0 5>"$T/ready" >"$T/slirp.log" 2>&1 &
        wait_ready "$T/ready" "$T/slirp.log"
        i=0; until nsenter -n -t $g ip -6 addr show dev tap0 | grep "inet6 fd00::" | grep -qv tentative; do
            i=$((i+1)); [ $i -lt 150 ] || { echo "no SLAAC" >&2; exit 1; }; sleep 0.1
        done
        nsenter -n -t $g sh -c "$script"
    ' sh "$@" 3>&-
}

@test "ping6 to a host address goes out through a host ICMPv6 socket" {
    skip_if_original "$SLIRP4NETNS" "libslirp answers ICMPv6 echo only for its own addresses"
    run in_v6_host 'true' 'ping -6 -c 1 -W 3 2001:db8::1'
    [ "$status" -eq 0 ] || { echo "$output"; cat "$BATS_TEST_TMPDIR/slirp.log"; false; }
    assert_contains "$output" "1 received"
}

@test "--outbound-addr6 binds outgoing IPv6 connections to that address" {
    run in_v6_host \
        'socat TCP6-LISTEN:8080,bind=[2001:db8::1],reuseaddr SYSTEM:"echo peer=\$SOCAT_PEERADDR" &
         sleep 0.3' \
        'socat -t 3 - TCP6:[2001:db8::1]:8080 </dev/null' --outbound-addr6=2001:db8::2
    [ "$status" -eq 0 ] || { echo "$output"; cat "$BATS_TEST_TMPDIR/slirp.log"; false; }
    assert_contains "$output" "peer=[2001:0db8:0000:0000:0000:0000:0000:0002]"
    assert_contains "$(cat "$BATS_TEST_TMPDIR/slirp.log")" "WARNING: Support for --outbound-addr6 is experimental"
}

@test "UDP and TCP DNS to fd00::3 reach the host's IPv6 loopback resolver" {
    export T=$BATS_TEST_TMPDIR SLIRP4NETNS
    run timeout 60 unshare --user --map-root-user --net --mount sh -euc "$NS_SH"'
        ip link set lo up
        printf "nameserver ::1\n" >"$T/resolv.conf"
        mount --bind "$T/resolv.conf" /etc/resolv.conf
        socat -T 3 UDP6-RECVFROM:53,bind=[::1],fork SYSTEM:"head -c1 >/dev/null; echo dns6-udp-answer" & u=$!
        socat TCP6-LISTEN:53,bind=[::1],reuseaddr,fork SYSTEM:"echo dns6-tcp-answer" & t=$!
        start_guest_netns
        "$SLIRP4NETNS" -c -6 -r 5 $g tap0 5>"$T/ready" >"$T/slirp.log" 2>&1 & s=$!
        i=0; until nsenter -n -t $g ip -6 addr show dev tap0 | grep "inet6 fd00::" | grep -qv tentative; do
            i=$((i+1)); [ $i -lt 150 ] || { echo "no SLAAC" >&2; exit 1; }; sleep 0.1
        done
        nsenter -n -t $g sh -c "echo q | socat -t 3 - UDP6:[fd00::3]:53; socat -t 3 - TCP6:[fd00::3]:53 </dev/null"
        kill $s $g $u $t 2>/dev/null || true
    ' 3>&-
    [ "$status" -eq 0 ] || { echo "$output"; cat "$BATS_TEST_TMPDIR/slirp.log"; false; }
    assert_contains "$output" "dns6-udp-answer"
    assert_contains "$output" "dns6-tcp-answer"
}

@test "an IPv6 host_addr forwards TCP and UDP to the guest's IPv6 address (ours only)" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns#253: add_hostfwd takes IPv4 host_addr only"
    local sock=$BATS_TEST_TMPDIR/api.sock
    start_slirp6 -a "$sock"
    bg_in_ns "$NS_PID" socat TCP6-LISTEN:8080,reuseaddr,fork SYSTEM:'echo guest-tcp peer=$SOCAT_PEERADDR'
    bg_in_ns "$NS_PID" socat -T 3 UDP6-RECVFROM:8081,fork SYSTEM:'head -c1 >/dev/null; echo guest-udp'
    wait_until 10 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID -- ss -Hln | grep -q ':8081 '"
    wait_until 10 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID -- ss -Hln | grep -q ':8080 '"
    local tport uport; tport=$(free_port); uport=$(free_port)
    run api_call "$sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":$tport,\"guest_port\":8080}}"
    assert_equal "$output" '{"return":{"id":1}}'
    run api_call "$sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"::\",\"host_port\":$uport,\"guest_port\":8081}}"
    assert_equal "$output" '{"return":{"id":2}}'
    run api_call "$sock" '{"execute":"list_hostfwd"}'
    assert_contains "$output" "\"host_addr\":\"::1\",\"host_port\":$tport,\"guest_addr\":\"fd00::"
    assert_contains "$output" "\"host_addr\":\"::\",\"host_port\":$uport"
    run socat -t 3 - TCP6:[::1]:$tport </dev/null
    assert_contains "$output" "guest-tcp peer=[fd00:0000:0000:0000:0000:0000:0000:0002]"
    run sh -c "echo x | socat -t 3 - UDP6:[::1]:$uport"
    assert_equal "$output" "guest-udp"
    # IPv4 replies are unchanged: an IPv4 forward still lists as before
    run api_call "$sock" "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$(free_port),\"guest_port\":80}}"
    assert_equal "$output" '{"return":{"id":3}}'
}
