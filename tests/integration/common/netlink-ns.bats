#!/usr/bin/env bats
# common/netlink and common/ns, exercised as the unprivileged user inside `unshare -rn`.
load ../helpers

NSTOOL=$BUILD_DIR/tests/integration/common/nstool

setup() { require_binary "$NSTOOL"; }
teardown() { teardown_pids; }

@test "integration tests run as an unprivileged user" {
    [ "$(id -u)" != 0 ]
}

@test "netlink brings lo up inside a new user+net namespace" {
    run unshare -rn sh -c "'$NSTOOL' link-up lo && ip -o link show lo"
    [ "$status" = 0 ]
    assert_contains "$output" "LOOPBACK,UP"
}

@test "netlink sets MTU, IPv4 address and default route on a TAP" {
    run unshare -rn sh -c "ip tuntap add name tap0 mode tap && '$NSTOOL' link-up tap0 &&
        '$NSTOOL' mtu tap0 65520 && '$NSTOOL' mac tap0 0e:d4:18:d9:38:fb &&
        '$NSTOOL' addr4 tap0 10.0.2.100/24 && '$NSTOOL' route4 tap0 10.0.2.2 &&
        ip -o link show tap0 && ip -o -4 addr show tap0 && ip route"
    [ "$status" = 0 ]
    assert_contains "$output" "mtu 65520"
    assert_contains "$output" "link/ether 0e:d4:18:d9:38:fb"
    assert_contains "$output" "inet 10.0.2.100/24 brd 10.0.2.255"
    assert_contains "$output" "default via 10.0.2.2 dev tap0"
}

@test "netlink adds an IPv6 address" {
    run unshare -rn sh -c "'$NSTOOL' link-up lo && '$NSTOOL' addr6 lo fd00::100/64 && ip -o -6 addr show lo"
    [ "$status" = 0 ]
    assert_contains "$output" "inet6 fd00::100/64"
}

@test "netlink errors carry the kernel's errno text" {
    run unshare -rn "$NSTOOL" link-up nosuchif0
    [ "$status" = 1 ]
    assert_contains "$output" "nstool: netlink: no such interface nosuchif0: No such device"
    run "$NSTOOL" mtu lo 1500   # host namespace, unprivileged: the kernel refuses
    [ "$status" = 1 ]
    assert_contains "$output" "nstool: netlink: set MTU: Operation not permitted"
}

@test "run_in_ns creates a TAP in another user+net namespace and passes its fd back" {
    make_userns_netns
    coproc TAPTOOL { "$NSTOOL" tap-from "$NS_PID" tap7; }
    register_pid "$TAPTOOL_PID"
    read -r -t 10 line <&"${TAPTOOL[0]}"
    assert_contains "$line" "name=tap7 tap=1"
    # The device lives in the namespace, not here, and stays while the fd is held.
    run in_ns "$NS_PID" ip -o link show tap7
    [ "$status" = 0 ]
    run ip link show tap7
    [ "$status" != 0 ]
}

@test "run_in_ns reports the child's failure" {
    run "$NSTOOL" tap-from 999999999 tap0
    [ "$status" = 1 ]
    assert_contains "$output" "/proc/999999999/ns/user: No such file or directory"
}

@test "id maps of a user namespace parse and format back" {
    run unshare -r "$NSTOOL" idmap-self
    [ "$status" = 0 ]
    assert_equal "$output" "0 $(id -u) 1"
}
