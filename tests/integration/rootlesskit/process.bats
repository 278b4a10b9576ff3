#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# process.bats — namespaces, id maps, environment, exit codes, signals (docs/compat/rootlesskit.md §1.3, §1.4, §2)

load lib

teardown() { teardown_pids; }

setup() { require_binary "$ROOTLESSKIT"; }

@test "uid_map and gid_map are 0 <uid> 1 plus the subordinate range" {
    local sub; sub=$(awk -F: -v u="$(id -un)" -v i="$(id -u)" '$1==u || $1==i {print $2, $3; exit}' /etc/subuid)
    run "$ROOTLESSKIT" cat /proc/self/uid_map
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | awk 'NR==1{print $1,$2,$3}')" = "0 $(id -u) 1" ]
    [ "$(echo "$output" | awk 'NR==2{print $1,$2,$3}')" = "1 $sub" ]
    run "$ROOTLESSKIT" cat /proc/self/gid_map
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | awk 'NR==1{print $1,$2,$3}')" = "0 $(id -g) 1" ]
}

@test "the command runs as uid 0 with full capabilities" {
    run "$ROOTLESSKIT" sh -c 'id -u; id -g; grep CapEff /proc/self/status'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    assert_contains "${lines[2]}" "000001ffffffffff"
}

@test "--subid-source=dynamic asks getsubids, =static reads /etc/subuid and /etc/subgid" {
    local me subu subg
    me=$(id -un)
    subu=$(awk -F: -v u="$me" '$1==u {print $2, $3; exit}' /etc/subuid)
    subg=$(awk -F: -v u="$me" '$1==u {print $2, $3; exit}' /etc/subgid)
    [ -n "$subu" ] && [ -n "$subg" ] || skip "$me has no /etc/subuid and /etc/subgid entry"
    # A getsubids first in PATH answers (for the user name only) with sub-ranges of the
    # files' ranges (newuidmap still checks them there), 1000 uids and 2000 gids: each source
    # shows in the maps.
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    printf '#!/bin/sh\ncase "$*" in\n"%s") echo "0: %s %s 1000" ;;\n"-g %s") echo "0: %s %s 2000" ;;\nesac\n' \
        "$me" "$me" "${subu% *}" "$me" "$me" "${subg% *}" >"$BATS_TEST_TMPDIR/bin/getsubids"
    chmod +x "$BATS_TEST_TMPDIR/bin/getsubids"
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" run "$ROOTLESSKIT" --subid-source=dynamic cat /proc/self/uid_map /proc/self/gid_map
    [ "$status" -eq 0 ]
    assert_equal "$(echo "$output" | awk '{print $1, $2, $3}')" "0 $(id -u) 1
1 ${subu% *} 1000
0 $(id -g) 1
1 ${subg% *} 2000"
    PATH="$BATS_TEST_TMPDIR/bin:$PATH" run "$ROOTLESSKIT" --subid-source=static cat /proc/self/uid_map /proc/self/gid_map
    [ "$status" -eq 0 ]
    assert_equal "$(echo "$output" | awk '{print $1, $2, $3}')" "0 $(id -u) 1
1 $subu
0 $(id -g) 1
1 $subg"
    run "$ROOTLESSKIT" --subid-source=bogus true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'failed to compute uid/gid map: unknown subid source "bogus"'
}

@test "user and mount namespaces are new; net is shared with --net=host" {
    run "$ROOTLESSKIT" readlink /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/net /proc/self/ns/pid
    [ "$status" -eq 0 ]
    [ "${lines[0]}" != "$(readlink /proc/self/ns/user)" ]
    [ "${lines[1]}" != "$(readlink /proc/self/ns/mnt)" ]
    [ "${lines[2]}" = "$(readlink /proc/self/ns/net)" ]
    [ "${lines[3]}" = "$(readlink /proc/self/ns/pid)" ]
}

@test "--utsns, --ipcns, --cgroupns create those namespaces" {
    run "$ROOTLESSKIT" --utsns --ipcns --cgroupns readlink /proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/cgroup
    [ "$status" -eq 0 ]
    [ "${lines[0]}" != "$(readlink /proc/self/ns/uts)" ]
    [ "${lines[1]}" != "$(readlink /proc/self/ns/ipc)" ]
    [ "${lines[2]}" != "$(readlink /proc/self/ns/cgroup)" ]
    run "$ROOTLESSKIT" --utsns sh -c 'hostname rk-test && hostname'
    [ "$status" -eq 0 ]
    [ "$output" = rk-test ]
    [ "$(hostname)" != rk-test ]
}

@test "--pidns: fresh /proc, rootlesskit child is PID 1" {
    run "$ROOTLESSKIT" --pidns sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; ls /proc | grep -c "^[0-9]"'
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "--pidns"
    [ "${lines[1]}" -lt 10 ]
}

@test "environment: state dir and parent euid/egid added, the rest kept, internals removed" {
    run env FOO=bar "$ROOTLESSKIT" env
    [ "$status" -eq 0 ]
    assert_contains "$output" "FOO=bar"
    assert_contains "$output" "ROOTLESSKIT_PARENT_EUID=$(id -u)"
    assert_contains "$output" "ROOTLESSKIT_PARENT_EGID=$(id -g)"
    assert_contains "$output" "ROOTLESSKIT_STATE_DIR=/"
    assert_not_contains "$output" "_ROOTLESSKIT_PIPEFD_UNDOCUMENTED"
}

@test "exit code N is propagated with both error lines" {
    run "$ROOTLESSKIT" sh -c 'exit 42'
    [ "$status" -eq 42 ]
    assert_contains "$output" "[rootlesskit:child ] error: command [sh -c exit 42] exited: exit status 42"
    assert_contains "$output" "[rootlesskit:parent] error: child exited: exit status 42"
    run "$ROOTLESSKIT" true
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "exit codes with --pidns and each reaper mode" {
    for flags in "--pidns" "--pidns --reaper=true" "--pidns --reaper=false"; do
        run "$ROOTLESSKIT" $flags sh -c 'exit 42'
        [ "$status" -eq 42 ]
        run "$ROOTLESSKIT" $flags true
        [ "$status" -eq 0 ]
    done
}

@test "a command killed by a signal exits 255" {
    run "$ROOTLESSKIT" sh -c 'kill -USR1 $$'
    [ "$status" -eq 255 ]
    assert_contains "$output" "user defined signal 1"
    assert_contains "$output" "child exited: exit status 255"
}

@test "a command that does not exist exits 1" {
    run "$ROOTLESSKIT" /nonexistent
    [ "$status" -eq 1 ]
    assert_contains "$output" "[rootlesskit:child ] error: command [/nonexistent] exited:"
    assert_contains "$output" "no such file or directory"
}

@test "SIGTERM to the parent reaches the command; its exit code is propagated" {
    spawn "$ROOTLESSKIT" --state-dir="$BATS_TEST_TMPDIR/st" sh -c 'trap "exit 7" TERM; touch $ROOTLESSKIT_STATE_DIR/../ready; while :; do sleep 0.1; done'
    wait_for_file 20 "$BATS_TEST_TMPDIR/ready"
    wait_for_file 20 "$BATS_TEST_TMPDIR/st/api.sock"
    kill -TERM "$SPAWNED_PID"
    local rc=0
    wait "$SPAWNED_PID" || rc=$?
    [ "$rc" -eq 7 ]
}

@test "killing the parent with SIGKILL kills the child (PDEATHSIG)" {
    for flags in "" "--pidns --reaper=true"; do
        rm -rf "$BATS_TEST_TMPDIR/st"
        spawn "$ROOTLESSKIT" --state-dir="$BATS_TEST_TMPDIR/st" $flags sleep infinity
        wait_for_file 20 "$BATS_TEST_TMPDIR/st/api.sock"
        local child; child=$(cat "$BATS_TEST_TMPDIR/st/child_pid")
        kill -0 "$child"
        kill -KILL "$SPAWNED_PID"
        wait_until 5 sh -c "! kill -0 $child"
    done
}

@test "socket activation: LISTEN_PID is rewritten to the command's pid" {
    skip_if_original "$ROOTLESSKIT" "v2-only: systemd socket activation pass-through"
    run bash -c 'exec 3</dev/null; LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" sh -c "echo \$LISTEN_PID \$\$ \$LISTEN_FDS; test -e /proc/self/fd/3 && echo fd3"' "$ROOTLESSKIT"
    [ "$status" -eq 0 ]
    read -r lp self fds <<<"${lines[0]}"
    [ "$lp" = "$self" ]
    [ "$fds" = 1 ]
    [ "${lines[1]}" = fd3 ]
}

# cgroup2_group: sets CG_MNT (the cgroup2 mount) and CG_DIR (this process's group in it).
cgroup2_group() {
    CG_MNT=$(awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
    [ -n "$CG_MNT" ] || skip "no cgroup2 mount on this host"
    CG_DIR=$CG_MNT$(sed -n 's/^0:://p' /proc/self/cgroup)
    CG_DIR=${CG_DIR%/}
}

@test "--evacuate-cgroup2 moves every process of the delegated group into <group>/evac" {
    cgroup2_group
    if [ ! -w "$CG_DIR" ] || [ ! -w "$CG_DIR/cgroup.procs" ]; then
        [ -z "${RT_CGROUP2_DELEGATED:-}" ] || { echo "$RT_CGROUP2_DELEGATED was delegated, but $CG_DIR is not writable" >&2; return 1; }
        skip "no cgroup v2 group is delegated to $(id -un) (tests/integration/bats-as-user run as root makes one)"
    fi
    run_rk --cgroupns --pidns --evacuate-cgroup2=evac sh -c 'findmnt -n -o FSTYPE /sys/fs/cgroup | tail -1; grep "^0::" /proc/self/cgroup'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = cgroup2 ]
    [ "${lines[1]}" = "0::/evac" ]
    # Everything that was in the group (this test's shell too) now lives in evac.
    [ "$(sed -n 's/^0:://p' /proc/self/cgroup)" = "${CG_DIR#"$CG_MNT"}/evac" ]
    [ -z "$(cat "$CG_DIR/cgroup.procs")" ]
}

@test "--evacuate-cgroup2 fails on mkdir where the group is not writable" {
    cgroup2_group
    local owned=
    if [ -w "$CG_DIR" ] && [ -O "$CG_DIR" ]; then
        chmod u-w "$CG_DIR"
        owned=1
    fi
    [ ! -w "$CG_DIR" ] || skip "$CG_DIR is writable and not ours to chmod"
    run_rk --cgroupns --pidns --evacuate-cgroup2=evac-denied true
    [ -z "$owned" ] || chmod u+w "$CG_DIR"
    [ "$status" -eq 1 ]
    assert_contains "$(cat "$BATS_TEST_TMPDIR/stderr")" "mkdir $CG_DIR/evac-denied: permission denied"
}
