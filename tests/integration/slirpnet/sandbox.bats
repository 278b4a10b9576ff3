#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# sandbox.bats — --enable-sandbox and --enable-seccomp (docs/compat/slirp4netns.md §5): the confinement is in
# place as soon as the ready fd says "1", and networking, DNS and the API keep working after it.

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() {
    require_binary "$SLIRP4NETNS"
    API_DIR=$(mktemp -d /tmp/snsbx.XXXXXX)
    API=$API_DIR/api.sock
}
teardown() {
    teardown_pids
    rm -rf "$API_DIR"
}

# status_field PID FIELD: the value of FIELD in /proc/PID/status.
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

blocked='seccomp: The following syscalls are blocked: execve lookup_dcookie pidfd_getfd ptrace process_vm_readv process_vm_writev delete_module finit_module init_module chroot fsconfig fsmount fsopen fspick mount move_mount open_tree pivot_root umount umount2 open_by_handle_at execveat pidfd_open pidfd_send_signal prctl setns unshare kexec_file_load kexec_load reboot name_to_handle_at'

@test "--enable-sandbox: no new privs, only cap_net_bind_service, root holds only etc and run" {
    start_slirp -c --enable-sandbox
    # Read right after ready: the sandbox is in place before the ready fd is written.
    assert_equal "$(status_field "$SLIRP_PID" NoNewPrivs)" 1
    assert_equal "$(status_field "$SLIRP_PID" CapEff)" 0000000000000400
    assert_equal "$(status_field "$SLIRP_PID" CapPrm)" 0000000000000400
    assert_equal "$(status_field "$SLIRP_PID" CapInh)" 0000000000000400
    assert_equal "$(status_field "$SLIRP_PID" CapBnd)" 0000000000000400
    assert_equal "$(status_field "$SLIRP_PID" Seccomp)" 0
    run ls -A "/proc/$SLIRP_PID/root"
    [ "$status" -eq 0 ]
    assert_equal "$(echo $output)" "etc run"
    [ ! -e "/proc/$SLIRP_PID/root/home" ]
    [ -e "/proc/$SLIRP_PID/root/etc/resolv.conf" ] || [ -L "/proc/$SLIRP_PID/root/etc/resolv.conf" ]
    # The new root is read-only.
    run grep -E '^[^ ]+ / [^ ]+ ro[ ,]' "/proc/$SLIRP_PID/mounts"
    [ "$status" -eq 0 ]
    # New mount namespace; as euid != 0 it joined the target's user namespace (not its netns).
    [ "$(readlink /proc/$SLIRP_PID/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
    assert_equal "$(readlink /proc/$SLIRP_PID/ns/user)" "$(readlink /proc/$NS_PID/ns/user)"
    assert_equal "$(readlink /proc/$SLIRP_PID/ns/net)" "$(readlink /proc/self/ns/net)"
}

@test "--enable-sandbox: ping, UDP and TCP to host loopback still work" {
    local port uport; port=$(free_port); uport=$(free_port)
    bg socat TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork EXEC:cat
    bg socat -T 3 UDP4-RECVFROM:$uport,bind=127.0.0.1,fork EXEC:cat
    wait_until 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
    start_slirp -c --enable-sandbox
    in_ns "$NS_PID" ping -c 2 -W 2 10.0.2.2
    run in_ns "$NS_PID" sh -c "echo hello-tcp | socat -t 2 - TCP4:10.0.2.2:$port"
    [ "$status" -eq 0 ]
    assert_equal "$output" "hello-tcp"
    run in_ns "$NS_PID" sh -c "echo hello-udp | socat -t 2 - UDP4:10.0.2.2:$uport"
    [ "$status" -eq 0 ]
    assert_equal "$output" "hello-udp"
}

@test "--create-sandbox is a deprecated alias and sandboxes too" {
    start_slirp -c --create-sandbox
    assert_equal "$(status_field "$SLIRP_PID" NoNewPrivs)" 1
    assert_equal "$(status_field "$SLIRP_PID" CapEff)" 0000000000000400
    wait_until 5 grep -q 'create-sandbox is deprecated' "$SLIRP_LOG"
    assert_contains "$(cat "$SLIRP_LOG")" "WARNING: --create-sandbox is deprecated and will be removed in future releases, please use --enable-sandbox instead."
}

@test "--enable-seccomp: filter loaded before ready, blocked list printed, networking works" {
    skip_if_original "$SLIRP4NETNS" "1.2.0 fully buffers stdout, so its seccomp line only shows at exit (docs/compat/slirp4netns.md §1.5)"
    start_slirp -c --enable-seccomp
    assert_equal "$(status_field "$SLIRP_PID" Seccomp)" 2
    # Seccomp alone: no sandbox, capabilities untouched, same mount namespace.
    [ "$(readlink /proc/$SLIRP_PID/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
    assert_contains "$(cat "$SLIRP_LOG")" "WARNING: Support for seccomp is experimental"
    assert_contains "$(cat "$SLIRP_LOG")" "$blocked"
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.2.2
}

@test "--enable-seccomp: the filter is in place at ready time (both binaries)" {
    start_slirp -c --enable-seccomp
    assert_equal "$(status_field "$SLIRP_PID" Seccomp)" 2
    assert_equal "$(status_field "$SLIRP_PID" NoNewPrivs)" 1
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.2.2
}

@test "sandbox + seccomp together (RootlessKit's auto): confined, API and hostfwd work" {
    local port; port=$(free_port)
    start_slirp -c -a "$API" --enable-sandbox --enable-seccomp
    assert_equal "$(status_field "$SLIRP_PID" Seccomp)" 2
    assert_equal "$(status_field "$SLIRP_PID" NoNewPrivs)" 1
    assert_equal "$(status_field "$SLIRP_PID" CapEff)" 0000000000000400
    assert_equal "$(echo $(ls -A /proc/$SLIRP_PID/root))" "etc run"
    # The API socket was bound before the sandbox and still answers after it.
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '$port', "guest_addr": "10.0.2.100", "guest_port": 8080}}'
    assert_equal "$output" '{"return":{"id":1}}'
    bg_in_ns "$NS_PID" socat TCP4-LISTEN:8080,bind=10.0.2.100,reuseaddr SYSTEM:'echo from-guest'
    wait_until 5 in_ns "$NS_PID" sh -c "ss -Htln 'sport = :8080' | grep -q ."
    run socat -t 3 - TCP4:127.0.0.1:$port </dev/null
    [ "$status" -eq 0 ]
    assert_equal "$output" "from-guest"
    # And it is still alive (no denied syscall on the way).
    [ -e "/proc/$SLIRP_PID" ]
    ! grep -q '^State:.*Z' "/proc/$SLIRP_PID/status"
}

@test "sandbox + seccomp: closing the exit fd still exits 0, blocked list printed" {
    make_userns_netns
    mkfifo "$BATS_TEST_TMPDIR/exit"
    exec 6<>"$BATS_TEST_TMPDIR/exit"
    : >"$BATS_TEST_TMPDIR/ready"
    bg "$SLIRP4NETNS" -c -e 7 -r 5 --enable-sandbox --enable-seccomp "$NS_PID" tap0 \
        5>"$BATS_TEST_TMPDIR/ready" 7<"$BATS_TEST_TMPDIR/exit" 6>&-
    local pid=$SPAWNED_PID
    wait_until 10 test -s "$BATS_TEST_TMPDIR/ready"
    assert_equal "$(status_field "$pid" Seccomp)" 2
    exec 6>&-
    wait_exit 10 "$pid"
    wait "$pid" && rc=0 || rc=$?
    [ "$rc" -eq 0 ]
    assert_contains "$(cat "$SPAWNED_LOG")" "do_slirp is exiting"
    # Flushed at exit by both binaries: the exact list, in upstream's order.
    assert_contains "$(cat "$SPAWNED_LOG")" "$blocked"
    assert_contains "$(cat "$SPAWNED_LOG")" "WARNING: Support for seccomp is experimental"
}

@test "sandbox + seccomp: DNS follows resolv.conf re-read after pivot_root (via the ro /etc)" {
    # UDP may lose a datagram under load: up to three tries.
    run in_fake_host --rewrite-after-ready 'sleep 1.2
        for i in 1 2 3; do
            r=$(echo q | socat -t 2 - UDP4:10.0.2.3:53 2>&1 || true)
            case $r in *dns-udp-answer*) echo "$r"; break ;; esac
        done
        socat -t 2 - TCP4:10.0.2.3:53 </dev/null' \
        --enable-sandbox --enable-seccomp
    [ "$status" -eq 0 ]
    assert_contains "$output" "dns-udp-answer"
    assert_contains "$output" "dns-tcp-answer"
    assert_contains "$output" "Seccomp:	2"
    assert_contains "$output" "NoNewPrivs:	1"
}

@test "sandbox + seccomp: still exits cleanly when the namespace goes away (pidfd opened before seccomp)" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns idles forever when the netns dies"
    start_slirp -c --enable-sandbox --enable-seccomp
    assert_equal "$(status_field "$SLIRP_PID" Seccomp)" 2
    kill "$NS_PID"
    wait_exit 10 "$SLIRP_PID"
    wait "$SLIRP_PID" && rc=0 || rc=$?
    [ "$rc" -eq 0 ] # 159 would be SIGSYS: a denied syscall (pidfd_open) on the exit path
    assert_contains "$(cat "$SLIRP_LOG")" "target process $NS_PID exited; exiting"
}

@test "--enable-sandbox with --netns-type=path and --userns-path joins that user namespace" {
    skip_if_original "$SLIRP4NETNS" "1.2.0's parent ignores --userns-path when sandboxing: setegid(0), parent failed (upstream #317)"
    make_userns_netns
    local ready="$BATS_TEST_TMPDIR/ready"
    : >"$ready"
    spawn "$SLIRP4NETNS" -c -r 5 --enable-sandbox --netns-type=path \
        --userns-path="/proc/$NS_PID/ns/user" "/proc/$NS_PID/ns/net" tap0 5>"$ready" 3>&-
    local pid=$SPAWNED_PID
    wait_until 10 test -s "$ready" || { cat "$SPAWNED_LOG" >&2; false; }
    assert_equal "$(status_field "$pid" CapEff)" 0000000000000400
    assert_equal "$(readlink /proc/$pid/ns/user)" "$(readlink /proc/$NS_PID/ns/user)"
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.2.2
}

@test "--enable-sandbox binds a resolv.conf symlinked outside /etc and /run (1.2.1 behaviour)" {
    skip_if_original "$SLIRP4NETNS" "the outside-symlink bind is new in slirp4netns 1.2.1"
    local real; real=$(mktemp -d /dev/shm/snres.XXXXXX)
    export T=$BATS_TEST_TMPDIR R=$real SLIRP4NETNS
    run timeout 60 unshare --user --map-root-user --net --mount sh -euc "$NS_SH"'
        ip link set lo up
        printf "nameserver 127.0.0.1\n" >"$R/resolv.conf"
        mount -t tmpfs tmpfs /etc
        ln -s "$R/resolv.conf" /etc/resolv.conf
        socat -T 3 UDP4-RECVFROM:53,bind=127.0.0.1,fork SYSTEM:"head -c1 >/dev/null; echo dns-udp-answer" & u=$!
        start_guest_netns
        "$SLIRP4NETNS" -c -r 5 --enable-sandbox --enable-seccomp $g tap0 5>"$T/ready" >"$T/slirp.log" 2>&1 & s=$!
        wait_ready "$T/ready" "$T/slirp.log"
        ls -A /proc/$s/root
        cat "/proc/$s/root$R/resolv.conf"
        rc=0
        nsenter -n -t $g sh -c "echo q | socat -t 5 - UDP4:10.0.2.3:53" || rc=$?
        kill $s $g $u 2>/dev/null || true
        cat "$T/slirp.log"
        exit $rc
    ' 3>&-
    rm -rf "$real"
    [ "$status" -eq 0 ]
    assert_contains "$output" "dns-udp-answer"
    assert_contains "$output" "sandbox: /etc/resolv.conf (-> $real/resolv.conf) seems a symlink to a file outside {/etc, /run}, attempting to bind it as well."
    assert_contains "$output" "nameserver 127.0.0.1"
}
