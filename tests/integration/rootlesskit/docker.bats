#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# docker.bats — the command line Docker's dockerd-rootless.sh builds (docs/compat/rootlesskit.md §7.1)

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    [ -d "${XDG_RUNTIME_DIR:-}" ] || skip "no XDG_RUNTIME_DIR"
    # dockerd-rootless.sh finds `slirp4netns` in PATH: put the one under test there by that name,
    # as `meson install` does with its compat link.
    S4N=${RK_SLIRP4NETNS:-$SLIRP4NETNS}
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    ln -sf "$S4N" "$BATS_TEST_TMPDIR/bin/slirp4netns"
    STATE="$XDG_RUNTIME_DIR/dockerd-rootless-bats-$$"
}

# dockerd_rootless [--detach-netns] PORT_DRIVER CMD...: the exec line of dockerd-rootless.sh.
dockerd_rootless() {
    local detach=()
    if [ "$1" = --detach-netns ]; then detach=(--detach-netns); shift; fi
    local port_driver=$1; shift
    # exec: under spawn, the registered PID must be rootlesskit itself, not a subshell
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" exec "$ROOTLESSKIT" --state-dir="$STATE" --net=slirp4netns --mtu=65520 \
        --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto --disable-host-loopback \
        --port-driver="$port_driver" --copy-up=/etc --copy-up=/run --propagation=rslave \
        "${detach[@]}" "$@"
}

@test "dockerd-rootless.sh's command line (port driver slirp4netns)" {
    run dockerd_rootless slirp4netns sh -c 'cat /proc/self/uid_map; ip -o addr show tap0; cat /etc/resolv.conf'
    [ "$status" -eq 0 ]
    echo "$output" | grep -Eq "^ *0 +$(id -u) +1$"
    assert_contains "$output" "tap0    inet 10.0.2.100/24"
    assert_contains "$output" "nameserver 10.0.2.3"
    [ ! -e "$STATE" ]
}

@test "dockerd-rootless.sh's default command line (port driver builtin) publishes a TCP port" {
    local port; port=$(free_port)
    spawn dockerd_rootless builtin python3 -m http.server --bind 127.0.0.1 8000
    wait_for_socket 20 "$STATE/api.sock"
    run curl -s -X POST --unix-socket "$STATE/api.sock" -d "{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$port,\"childPort\":8000}" http://rootlesskit/v1/ports
    assert_contains "$output" "\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$port,\"childPort\":8000}}"
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
}

@test "dockerd-rootless.sh's command line with --detach-netns (Docker >= 29.5)" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --detach-netns"
    run dockerd_rootless --detach-netns slirp4netns sh -c 'readlink /proc/self/ns/net; nsenter -n$ROOTLESSKIT_STATE_DIR/netns ip -o -4 addr show tap0'
    [ "$status" -eq 0 ]
    assert_contains "$output" "$(readlink /proc/self/ns/net)"
    assert_contains "$output" "inet 10.0.2.100/24"
}
