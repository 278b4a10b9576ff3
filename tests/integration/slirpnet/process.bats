#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# process.bats — tap creation in the target namespace, --configure, ready/exit fds, lifecycle

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

@test "-c configures tap0 with the recommended address and a default route" {
    start_slirp -c
    run in_ns "$NS_PID" ip -4 addr show tap0
    assert_contains "$output" "inet 10.0.2.100/24"
    assert_contains "$output" "UP"
    run in_ns "$NS_PID" ip route
    assert_contains "$output" "default via 10.0.2.2 dev tap0"
    run in_ns "$NS_PID" ip link show lo
    assert_contains "$output" "UP"
}

@test "start-up prints the tapfd lines and the Starting slirp block" {
    start_slirp -c
    is_original "$SLIRP4NETNS" || wait_until 5 grep -q "WARNING: 127.0.0.1" "$SLIRP_LOG"
    run cat "$SLIRP_LOG"
    assert_contains "$output" "sent tapfd="
    assert_contains "$output" " for tap0"
    assert_contains "$output" "received tapfd="
    # stdout of the original is fully buffered when not a tty: only ours shows it while running.
    if ! is_original "$SLIRP4NETNS"; then
        assert_contains "$output" "Starting slirp"
        assert_contains "$output" "* Gateway:         10.0.2.2"
        assert_contains "$output" "* Recommended IP:  10.0.2.100"
        assert_contains "$output" "WARNING: 127.0.0.1:* on the host is accessible as 10.0.2.2 (set --disable-host-loopback to prohibit connecting to 127.0.0.1:*)"
    fi
}

@test "--ready-fd gets exactly 1" {
    make_userns_netns
    bg "$SLIRP4NETNS" -c -r 5 "$NS_PID" tap0 5>"$BATS_TEST_TMPDIR/ready"
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/ready")" "1"
}

@test "closing the exit fd makes it exit 0" {
    make_userns_netns
    mkfifo "$BATS_TEST_TMPDIR/exit"
    exec 6<>"$BATS_TEST_TMPDIR/exit"
    bg "$SLIRP4NETNS" -c -e 7 -r 5 "$NS_PID" tap0 5>"$BATS_TEST_TMPDIR/ready" 7<"$BATS_TEST_TMPDIR/exit" 6>&-
    local pid=$SPAWNED_PID
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    exec 6>&-
    wait_exit 10 "$pid"
    wait "$pid" && rc=0 || rc=$?
    [ "$rc" -eq 0 ]
}

@test "--mtu, --cidr and --macaddress are applied by -c" {
    start_slirp -c --mtu=9000 --cidr=10.0.135.128/25 --macaddress=0e:d4:18:d9:38:fb
    run in_ns "$NS_PID" ip addr show tap0
    assert_contains "$output" "mtu 9000"
    assert_contains "$output" "inet 10.0.135.228/25"
    assert_contains "$output" "link/ether 0e:d4:18:d9:38:fb"
    run in_ns "$NS_PID" ip route
    assert_contains "$output" "default via 10.0.135.130 dev tap0"
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.135.130
}

@test "attaches to a tap the caller created (RootlessKit does this)" {
    make_userns_netns
    in_ns "$NS_PID" ip tuntap add name tap0 mode tap
    in_ns "$NS_PID" ip link set tap0 up
    in_ns "$NS_PID" ip addr add 10.0.2.100/24 dev tap0
    bg "$SLIRP4NETNS" --mtu 65520 -r 5 "$NS_PID" tap0 5>"$BATS_TEST_TMPDIR/ready"
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    wait_for_ping 10 "$NS_PID" 10.0.2.2
}

@test "a tap already in use fails with Device or resource busy" {
    start_slirp -c
    run --separate-stderr "$SLIRP4NETNS" "$NS_PID" tap0
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "ioctl(TUNSETIFF): Device or resource busy"
}

@test "--netns-type=path with --userns-path" {
    make_userns_netns
    bg "$SLIRP4NETNS" -c -r 5 --userns-path=/proc/$NS_PID/ns/user --netns-type=path \
        /proc/$NS_PID/ns/net tap0 5>"$BATS_TEST_TMPDIR/ready"
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    wait_for_ping 10 "$NS_PID" 10.0.2.2
}

@test "exits when the namespace goes away" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns idles forever when the netns dies"
    start_slirp -c
    kill "$NS_PID"
    wait_exit 10 "$SLIRP_PID"
}

@test "exits when the tap is deleted" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns spins printing 'do_slirp: read: File descriptor in bad state'"
    start_slirp -c
    in_ns "$NS_PID" ip link del tap0
    wait_exit 10 "$SLIRP_PID"
    wait "$SLIRP_PID" && rc=0 || rc=$?
    [ "$rc" -eq 0 ]
}

@test "--netns-type=path exits when the tap is deleted" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns spins printing 'do_slirp: read: File descriptor in bad state'"
    make_userns_netns
    bg "$SLIRP4NETNS" -c -r 5 --userns-path=/proc/$NS_PID/ns/user --netns-type=path \
        /proc/$NS_PID/ns/net tap0 5>"$BATS_TEST_TMPDIR/ready"
    local pid=$SPAWNED_PID
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    in_ns "$NS_PID" ip link del tap0
    wait_exit 10 "$pid"
}

@test "--netns-type=path keeps serving when the namespace's processes exit, as slirp4netns does" {
    # Only a PID says whose death ends the network; a path (often a bind mount that outlives every
    # process) does not, and our tap fd keeps the namespace itself alive.
    make_userns_netns
    bg "$SLIRP4NETNS" -c -r 5 --userns-path=/proc/$NS_PID/ns/user --netns-type=path \
        /proc/$NS_PID/ns/net tap0 5>"$BATS_TEST_TMPDIR/ready"
    local pid=$SPAWNED_PID
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    kill "$NS_PID"
    wait_exit 5 "$NS_PID"
    sleep 1
    kill -0 "$pid"
}

@test "--mtu below 68 fails in the child with -c, as the kernel refuses it" {
    make_userns_netns
    run --separate-stderr "$SLIRP4NETNS" -c --mtu=67 "$NS_PID" tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "$(printf 'cannot set MTU: Invalid argument\nchild failed(1)')"
}

@test "--mtu below 68 without -c fails where libslirp's slirp_new() does" {
    make_userns_netns
    in_ns "$NS_PID" ip tuntap add name tap0 mode tap
    run --separate-stderr timeout 10 "$SLIRP4NETNS" --mtu=67 "$NS_PID" tap0
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "slirp_new: assertion 'cfg->if_mtu >= IF_MTU_MIN || cfg->if_mtu == 0' failed"
    assert_contains "$stderr" "$(printf 'slirp_new failed\ncreate_slirp failed\ndo_slirp is exiting\ndo_slirp failed\nparent failed')"
    assert_contains "$output" "* MTU:             67"
}

@test "--netns-type=tapfd exits when the tap is deleted" {
    skip_if_original "$SLIRP4NETNS" "--netns-type=tapfd is new in slirp4netns 1.3"
    make_userns_netns
    bg_in_ns "$NS_PID" python3 -c '
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tap0", 0x0002 | 0x1000))  # TUNSETIFF TAP|NO_PI
os.set_inheritable(fd, True)
os.execv(sys.argv[1], [sys.argv[1], "--netns-type=tapfd", str(fd)])
' "$SLIRP4NETNS"
    local pid=$SPAWNED_PID
    wait_for_network_device 10 "$NS_PID" tap0
    in_ns "$NS_PID" ip link set tap0 up
    in_ns "$NS_PID" ip addr add 10.0.2.100/24 dev tap0
    wait_for_ping 10 "$NS_PID" 10.0.2.2
    in_ns "$NS_PID" ip link del tap0
    wait_exit 10 "$pid"
}

@test "--netns-type=tapfd uses an inherited tap fd" {
    skip_if_original "$SLIRP4NETNS" "--netns-type=tapfd is new in slirp4netns 1.3"
    make_userns_netns
    bg_in_ns "$NS_PID" python3 -c '
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tap0", 0x0002 | 0x1000))  # TUNSETIFF TAP|NO_PI
os.set_inheritable(fd, True)
os.execv(sys.argv[1], [sys.argv[1], "--netns-type=tapfd", str(fd)])
' "$SLIRP4NETNS"
    wait_for_network_device 10 "$NS_PID" tap0
    in_ns "$NS_PID" ip link set tap0 up
    in_ns "$NS_PID" ip addr add 10.0.2.100/24 dev tap0
    wait_for_ping 10 "$NS_PID" 10.0.2.2
}
