#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# podman-network.bats — issue 4 item 7b: Debian's Podman 4.3 with containers.conf
# `network_cmd_path` = $SLIRP4NETNS runs a local busybox image that reaches a host loopback
# server through 10.0.2.2 and serves a `-p` port (port_handler=slirp4netns) that the host reaches.
# Everything lives in a short throw-away dir (tests/e2e/lib.bash); storage uses kernel overlayfs in
# the user namespace (no mount_program: this suite is about the network).

load ../integration/helpers
load lib
bats_require_minimum_version 1.5.0

# Podman 4.3 passes --enable-ipv6 unless told otherwise, and slirpnet has no IPv6 yet (it refuses
# the flag rather than ignore it), so these tests ask for enable_ipv6=false. A test of Podman's
# defaults comes with slirpnet's IPv6.
NETOPTS_NOV6=enable_ipv6=false

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
    run podman run --rm --network "slirp4netns:allow_host_loopback=true,$NETOPTS_NOV6" "$BB_IMAGE" \
        sh -c "echo ping-from-ctr | nc -w 10 10.0.2.2 $port"
    expect_ok
    assert_contains "$output" "host-got=ping-from-ctr"
    # slirp connects to the host from loopback
    assert_contains "$output" "peer=127.0.0.1"
}

@test "a -p port published with port_handler=slirp4netns is served by \$SLIRP4NETNS and reaches the container" {
    local port; port=$(free_port)
    run podman run -d --name web -p "127.0.0.1:$port:8080" \
        --network "slirp4netns:port_handler=slirp4netns,$NETOPTS_NOV6" "$BB_IMAGE" \
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
