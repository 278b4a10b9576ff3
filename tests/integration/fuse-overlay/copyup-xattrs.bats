#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# copyup-xattrs.bats — what copy-up does with a lower file's security.capability (§2.4): kept where
# the daemon may set it (a user namespace that maps the capability's root, as 1.10 keeps it); where
# it may not (a plain-user mount through fusermount3), 1.10 fails the whole copy-up with EPERM,
# ours leaves that one xattr behind, names it in a warning and counts it in a debug line.

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() {
    require_binary "$FUSE_OVERLAYFS"
    command -v setcap >/dev/null && command -v getcap >/dev/null || skip "needs libcap2-bin (setcap, getcap)"
    ovl_setup
    echo bin >"$T/L1/ping"
    echo other >"$T/L1/plain"
    # As root of a user namespace: a v3 capability whose root id is our own uid.
    unshare -r setcap cap_net_raw+ep "$T/L1/ping"
    OPTS="lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W"
}
teardown() {
    ovl_unmount_if_mounted "$T/M"
    teardown_pids
}

# rawcap PATH: the raw security.capability of PATH in hex, or "" when it has none.
rawcap() { getfattr --absolute-names -e hex --only-values -n security.capability "$1" 2>/dev/null || true; }

@test "copy-up in a user namespace keeps a lower file's capability byte for byte" {
    run ovl_in_mount "$OPTS" 'touch -d @0 ping && getcap ping'
    [ "$status" -eq 0 ]
    assert_equal "$output" "ping cap_net_raw=ep"
    [ -n "$(rawcap "$T/L1/ping")" ]
    assert_equal "$(rawcap "$T/U/ping")" "$(rawcap "$T/L1/ping")"
    assert_equal "$(stat -c %Y "$T/U/ping")" "0"
}

@test "a capability the daemon may not set is left behind, named and counted; the copy-up goes on" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 fails the copy-up with EPERM"
    spawn "$FUSE_OVERLAYFS" -d -o "$OPTS" "$T/M"
    wait_until 10 ovl_is_mounted "$T/M"
    assert_equal "$(getcap "$T/M/ping")" "$T/M/ping cap_net_raw=ep"
    touch -d @0 "$T/M/ping" "$T/M/plain"
    assert_equal "$(cat "$T/M/ping")" "bin"
    assert_equal "$(getcap "$T/M/ping")" ""
    fusermount3 -u "$T/M"
    wait_until 10 sh -c "! kill -0 $SPAWNED_PID"
    assert_equal "$(stat -c %Y "$T/U/ping")" "0"
    assert_equal "$(rawcap "$T/U/ping")" ""
    assert_equal "$(grep -c 'not copied' "$SPAWNED_LOG")" "2"
    assert_contains "$(cat "$SPAWNED_LOG")" "fuse-overlayfs: copy-up of ping: xattr security.capability not copied: Operation not permitted"
    assert_contains "$(cat "$SPAWNED_LOG")" "copy-up of ping: 1 xattr(s) not copied"
    # a file without xattrs copies up without a word
    [ -f "$T/U/plain" ]
    ! grep -q 'copy-up of plain' "$SPAWNED_LOG"
}
