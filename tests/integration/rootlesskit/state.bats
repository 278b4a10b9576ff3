#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# state.bats — the state directory: files, formats, lock, clean-up, nsenter (docs/compat/rootlesskit.md §3)

load lib

teardown() { teardown_pids; }

setup() { require_binary "$ROOTLESSKIT"; }

@test "default state dir is \$TMPDIR/rootlesskitNNN, 0700, removed on exit" {
    mkdir -p "$BATS_TEST_TMPDIR/tmp"
    run env TMPDIR="$BATS_TEST_TMPDIR/tmp" "$ROOTLESSKIT" sh -c 'echo $ROOTLESSKIT_STATE_DIR; stat -c %a $ROOTLESSKIT_STATE_DIR'
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^$BATS_TEST_TMPDIR/tmp/rootlesskit[0-9]+$ ]]
    [ "${lines[1]}" = 700 ]
    [ ! -e "${lines[0]}" ]
    [ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
}

@test "--state-dir holds lock, child_pid (no newline) and api.sock while running" {
    start_rk sleep infinity
    [ -f "$RK_STATE/lock" ]
    [ "$(stat -c %a "$RK_STATE/lock")" = 600 ]
    [ -S "$RK_STATE/api.sock" ]
    [[ "$(cat "$RK_STATE/child_pid")" =~ ^[0-9]+$ ]]
    [ "$(tail -c1 "$RK_STATE/child_pid" | od -An -c | tr -d ' ')" != '\n' ]
    [ "$(stat -c %a "$RK_STATE/child_pid")" = 444 ]
    # child_pid is the rootlesskit child, whose parent is the rootlesskit parent.
    [ "$(awk '{print $4}' "/proc/$RK_CHILD/stat")" = "$RK_PID" ]
}

@test "--state-dir is made absolute" {
    cd "$BATS_TEST_TMPDIR"
    run "$ROOTLESSKIT" --state-dir=rel sh -c 'echo $ROOTLESSKIT_STATE_DIR'
    [ "$status" -eq 0 ]
    [ "$output" = "$BATS_TEST_TMPDIR/rel" ]
}

@test "the state dir is removed on exit, even when given by --state-dir" {
    run "$ROOTLESSKIT" --state-dir="$BATS_TEST_TMPDIR/st" true
    [ "$status" -eq 0 ]
    [ ! -e "$BATS_TEST_TMPDIR/st" ]
}

@test "a second rootlesskit on the same state dir fails on the lock" {
    start_rk sleep infinity
    run "$ROOTLESSKIT" --state-dir="$RK_STATE" true
    [ "$status" -eq 1 ]
    assert_contains "$output" "failed to lock $RK_STATE/lock, another RootlessKit is running with the same state directory?"
    # The running instance's files are untouched.
    [ -S "$RK_STATE/api.sock" ]
    [ -f "$RK_STATE/child_pid" ]
}

@test "stale files from a crashed run are cleaned up" {
    mkdir -p "$BATS_TEST_TMPDIR/st"
    echo 999999 >"$BATS_TEST_TMPDIR/st/child_pid"
    touch "$BATS_TEST_TMPDIR/st/api.sock" "$BATS_TEST_TMPDIR/st/junk"
    start_rk sleep infinity
    [ ! -e "$RK_STATE/junk" ]
    [ "$(cat "$RK_STATE/child_pid")" != 999999 ]
}

@test "nsenter -U --preserve-credentials -m -n -t \$(cat child_pid) enters the namespaces" {
    start_rk --net=slirp4netns --disable-host-loopback sleep infinity
    run rk_enter sh -c 'id -u; readlink /proc/self/ns/user; ip -o link show tap0'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = "$(readlink "/proc/$RK_CHILD/ns/user")" ]
    assert_contains "${lines[2]}" "tap0"
}
