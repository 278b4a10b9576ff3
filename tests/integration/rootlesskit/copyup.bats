#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# copyup.bats — tmpfs+symlink copy-up and mount propagation (docs/compat/rootlesskit.md §6.2)

load lib

teardown() { teardown_pids; }

setup() { require_binary "$ROOTLESSKIT"; }

@test "--copy-up=/etc: /etc is a writable tmpfs of symlinks into .roNNN" {
    run "$ROOTLESSKIT" --copy-up=/etc sh -c 'findmnt -n -o FSTYPE /etc; readlink /etc/passwd; echo x > /etc/new-file && cat /etc/new-file; head -1 /etc/passwd'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = tmpfs ]
    [[ "${lines[1]}" =~ ^\.ro[A-Za-z0-9]+/passwd$ ]]
    [ "${lines[2]}" = x ]
    [ "${lines[3]}" = "$(head -1 /etc/passwd)" ]
    [ ! -e /etc/new-file ]
}

@test "copy-up keeps existing symlinks' targets verbatim" {
    local want; want=$(readlink /etc/mtab || true)
    [ -n "$want" ] || skip "host /etc/mtab is not a symlink"
    run "$ROOTLESSKIT" --copy-up=/etc readlink /etc/mtab
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
}

@test "several copy-up dirs, comma-separated" {
    skip_if_original "$ROOTLESSKIT" "v2-only: 1.1.0 does not split --copy-up on commas"
    run "$ROOTLESSKIT" --copy-up=/etc,/run sh -c 'findmnt -n -o FSTYPE /etc; findmnt -n -o FSTYPE /run'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = tmpfs ]
    [ "${lines[1]}" = tmpfs ]
}

@test "--copy-up=/tmp is rejected" {
    run "$ROOTLESSKIT" --copy-up=/tmp true
    [ "$status" -eq 1 ]
    assert_contains "$output" "/tmp cannot be copied up"
}

@test "--copy-up=/run keeps a state dir under /run reachable" {
    [ -d "${XDG_RUNTIME_DIR:-}" ] || skip "no XDG_RUNTIME_DIR"
    local st="$XDG_RUNTIME_DIR/rk-bats-$$"
    run "$ROOTLESSKIT" --state-dir="$st" --copy-up=/run sh -c 'test -S $ROOTLESSKIT_STATE_DIR/api.sock || test -f $ROOTLESSKIT_STATE_DIR/lock; echo ok'
    [ "$status" -eq 0 ]
    [ "$output" = ok ]
    [ ! -e "$st" ]
}

@test "--propagation=rprivate: host mounts made later are not seen" {
    start_rk sleep infinity
    run rk_enter findmnt -n -o PROPAGATION /
    [ "$status" -eq 0 ]
    [ "$output" = private ]
}

@test "--propagation=rslave is applied to /" {
    start_rk --propagation=rslave sleep infinity
    run rk_enter findmnt -n -o PROPAGATION /
    [ "$status" -eq 0 ]
    # "/" is not shared on the host, so a slave of it is just private.
    [ "$output" = private ] || [ "$output" = slave ]
}

@test "unknown --propagation values are ignored" {
    run "$ROOTLESSKIT" --propagation=bogus true
    [ "$status" -eq 0 ]
}

@test "a non-private propagation on a non-shared host / is warned about" {
    grep -q " / / .* shared:" /proc/self/mountinfo && skip "host / is shared"
    run "$ROOTLESSKIT" --propagation=rslave true
    [ "$status" -eq 0 ]
    assert_contains "$output" 'level=warning'
    assert_contains "$output" 'Setting child propagation to \"rslave\" is not supported.'
}
