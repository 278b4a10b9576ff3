#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# podman-network.bats — issues 4 (item 7b) and 13: Debian's Podman 4.3 with its DEFAULT
# containers.conf but for `network_cmd_path` = $SLIRP4NETNS (so Podman passes --enable-ipv6) runs
# a local busybox image that gets an fd00:: address, reaches host loopback servers through
# 10.0.2.2 and fd00::2, resolves through fd00::3 and serves `-p` ports (rootlessport, and
# port_handler=slirp4netns) that the host reaches.
# Everything lives in a short throw-away dir (tests/e2e/lib.bash); storage uses kernel overlayfs in
# the user namespace (no mount_program: this suite is about the network).

load ../integration/helpers
load lib
bats_require_minimum_version 1.5.0

setup_file() {
    require_binary "$SLIRP4NETNS"
    [ -x "$PODMAN" ] || { echo "podman not installed ($PODMAN)" >&2; return 1; }
    podman_env_setup
    make_busybox_image
}

teardown_file() {
    podman_env_teardown
}

teardown() {
    podman rm -af -t0 >/dev/null 2>&1 || true
    teardown_pids
}

@test "podman info names \$SLIRP4NETNS as its slirp4netns" {
    run podman info --format '{{.Host.Slirp4NetNS.Executable}}'
    expect_ok
    assert_equal "${lines[-1]}" "$SLIRP4NETNS"
    run podman info --format '{{.Host.Slirp4NetNS.Version}}'
    expect_ok
    if is_original "$SLIRP4NETNS"; then
        assert_contains "$output" "slirp4netns version"
    else
        assert_contains "$output" "slirpnet"
    fi
}

@test "the container reaches a host loopback server through 10.0.2.2 (allow_host_loopback=true)" {
    local port; port=$(free_port)
    spawn socat TCP4-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork \
        SYSTEM:'read l; echo "host-got=$l peer=$SOCAT_PEERADDR"'
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    run podman run --rm --network "slirp4netns:allow_host_loopback=true" "$BB_IMAGE" \
        sh -c "echo ping-from-ctr | nc -w 10 10.0.2.2 $port"
    expect_ok
    assert_contains "$output" "host-got=ping-from-ctr"
    # slirp connects to the host from loopback
    assert_contains "$output" "peer=127.0.0.1"
}

# in_ctr_v6 SCRIPT: busybox sh in a fresh container on the default network options plus
# allow_host_loopback=true, once its SLAAC fd00:: address is up (Podman does not wait for it).
in_ctr_v6() {
    podman run --rm --network slirp4netns:allow_host_loopback=true "$BB_IMAGE" sh -c '
        i=0; until ip -6 addr show | grep -q "inet6 fd00::"; do
            i=$((i+1)); [ $i -lt 50 ] || { echo "no fd00:: address" >&2; ip -6 addr >&2; exit 1; }
            sleep 0.1
        done
        '"$1"
}

@test "with the default containers.conf the container gets an fd00:: address and a default route" {
    run in_ctr_v6 'ip -6 addr show; ip -6 route show'
    expect_ok
    assert_contains "$output" "inet6 fd00::"
    assert_contains "$output" "default via fe80::2"
}

@test "the container reaches a host ::1 server through fd00::2" {
    local port; port=$(free_port)
    spawn socat TCP6-LISTEN:"$port",bind=[::1],reuseaddr,fork \
        SYSTEM:'read l; echo "host6-got=$l peer=$SOCAT_PEERADDR"'
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    run in_ctr_v6 "echo ping-from-ctr6 | nc -w 10 fd00::2 $port"
    expect_ok
    assert_contains "$output" "host6-got=ping-from-ctr6"
    # slirp connects to the host from ::1 (socat writes it out in full)
    assert_contains "$output" "peer=[0000:0000:0000:0000:0000:0000:0000:0001]"
}

@test "the container resolves through fd00::3 (the host's resolver, whatever its family)" {
    skip_if_original "$SLIRP4NETNS" "libslirp forwards fd00::3 only to an IPv6 host resolver"
    local ns; ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
    [ -n "$ns" ] || skip "the host has no nameserver"
    timeout 5 busybox nslookup localhost "$ns" >/dev/null 2>&1 ||
        timeout 5 busybox nslookup localhost "$ns" 2>&1 | grep -q NXDOMAIN ||
        skip "the host's resolver $ns does not answer"
    run in_ctr_v6 'nslookup localhost fd00::3 2>&1; true'
    expect_ok
    assert_contains "$output" "Server:		fd00::3"
    # an answer came back (NXDOMAIN or an address), not a timeout
    assert_not_contains "$output" "timed out"
    assert_not_contains "$output" "no servers could be reached"
}

@test "a -p port (default rootlessport) reaches the container over 127.0.0.1 and [::1]" {
    local port; port=$(free_port)
    run podman run -d --name web6 -p "$port:8080" "$BB_IMAGE" httpd -f -p 8080 -h /var/www
    expect_ok
    wait_until 20 curl -fsS --max-time 2 "http://127.0.0.1:$port/"
    run -0 curl -fsS --max-time 5 "http://127.0.0.1:$port/"
    assert_equal "$output" "bb-httpd-ok"
    run -0 curl -fsS --max-time 5 "http://[::1]:$port/"
    assert_equal "$output" "bb-httpd-ok"
}

@test "a -p port published with port_handler=slirp4netns is served by \$SLIRP4NETNS and reaches the container" {
    local port; port=$(free_port)
    run podman run -d --name web -p "127.0.0.1:$port:8080" \
        --network "slirp4netns:port_handler=slirp4netns" "$BB_IMAGE" \
        httpd -f -p 8080 -h /var/www
    expect_ok
    wait_until 20 curl -fsS --max-time 2 "http://127.0.0.1:$port/"
    run -0 curl -fsS --max-time 5 "http://127.0.0.1:$port/"
    assert_equal "$output" "bb-httpd-ok"

    # The network program Podman started for this container (it gets the netns path as an
    # argument) is $SLIRP4NETNS, and it is what listens on the published port (not rootlessport).
    local netns; netns=$(podman inspect --format '{{.NetworkSettings.SandboxKey}}' web)
    [ -n "$netns" ]
    local pids; pids=$(netns_program_pids "$netns")
    [ "$(echo "$pids" | grep -c .)" = 1 ] || { echo "network program for $netns: '$pids'" >&2; return 1; }
    assert_equal "$(readlink "/proc/$pids/exe")" "$(readlink -f "$SLIRP4NETNS")"
    run -0 ss -Htlnp "sport = :$port"
    assert_contains "$output" "pid=$pids,"
}
