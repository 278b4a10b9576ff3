#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# metacopy.bats — -o metacopy=on (ours; the original ignores the option): chmod/chown/utimes of a
# lower file copy only metadata up, in kernel overlayfs' on-disk format; the data follows on the
# first open for write. Also reading metacopy uppers the kernel format describes.

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    head -c 200000 /dev/urandom >"$T/L1/big"
    echo small >"$T/L1/small"
    OPTS="lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

@test "metacopy=on: chmod, chown and touch -h copy only metadata, in the kernel's format" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy support"
    run ovl_in_mount "$OPTS,metacopy=on" 'chmod 600 big; chown 0:0 small; touch -h -d 2001-02-03 small
        stat -c %a big; md5sum <big; cat small'
    [ "$status" -eq 0 ]
    assert_equal "$output" "600
$(md5sum <"$T/L1/big")
small"
    assert_equal "$(stat -c %s "$T/U/big")" 200000
    [ "$(stat -c %b "$T/U/big")" -le 8 ]
    assert_equal "$(getfattr --only-values -n user.overlay.metacopy "$T/U/big" | wc -c)" 0
    assert_equal "$(getfattr --only-values -n user.overlay.origin "$T/U/big" | od -An -tx1 -N2 | tr -d ' ')" "00fb"
    assert_equal "$(stat -c %Y "$T/U/small")" "$(date -d 2001-02-03 +%s)"
    getfattr -n user.overlay.metacopy "$T/U/small" >/dev/null
}

@test "metacopy=on: the first open for write brings the data up" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy support"
    run ovl_in_mount "$OPTS,metacopy=on" 'chmod 600 small; echo more >>small; cat small; stat -c %a small'
    [ "$status" -eq 0 ]
    assert_equal "$output" "small
more
600"
    assert_equal "$(cat "$T/U/small")" "small
more"
    run getfattr -n user.overlay.metacopy "$T/U/small"
    [ "$status" -ne 0 ]
    assert_equal "$(cat "$T/L1/small")" "small"
}

@test "a metacopy upper reads from below after a remount, with or without the option" {
    skip_if_original "$FUSE_OVERLAYFS" "the original serves the data-less upper stub"
    run ovl_in_mount "$OPTS,metacopy=on" 'chmod 640 big'
    [ "$status" -eq 0 ]
    run ovl_in_mount "$OPTS" 'md5sum <big; stat -c "%a %s" big'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$(md5sum <"$T/L1/big")
640 200000"
}

@test "a metacopy upper written as kernel overlayfs -o userxattr does is read from below" {
    skip_if_original "$FUSE_OVERLAYFS" "the original serves the data-less upper stub"
    truncate -s 6 "$T/U/small"
    chmod 600 "$T/U/small"
    setfattr -n user.overlay.metacopy "$T/U/small"
    run ovl_in_mount "$OPTS" 'cat small; stat -c %a small'
    [ "$status" -eq 0 ]
    assert_equal "$output" "small
600"
}

@test "kernel overlayfs reads our metacopy upper, or refuses only the userxattr+metacopy pair" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy support"
    run ovl_in_mount "$OPTS,metacopy=on" 'chmod 600 big'
    [ "$status" -eq 0 ]
    rm -rf "$T/W"; mkdir "$T/W"
    run ovl_kernel_in_mount "$OPTS,metacopy=on" 'md5sum <big'
    # Linux refuses userxattr together with metacopy=on ("conflicting options"): an unprivileged
    # kernel mount cannot use metacopy at all. As real root, with trusted.overlay.*, it reads our
    # upper: metacopy-root.bats, which the harness runs as root.
    if [ "$status" -eq 99 ]; then
        # Then the refusal is the option pair, not our upper: the same layers mount without it.
        rm -rf "$T/W"; mkdir "$T/W"
        run ovl_kernel_in_mount "$OPTS" true
        [ "$status" -eq 0 ]
        return
    fi
    [ "$status" -eq 0 ]
    assert_equal "$output" "$(md5sum <"$T/L1/big")"
}

@test "without metacopy=on, chmod copies the data as the original does" {
    run ovl_in_mount "$OPTS" 'chmod 600 big'
    [ "$status" -eq 0 ]
    assert_equal "$(md5sum <"$T/U/big")" "$(md5sum <"$T/L1/big")"
    run getfattr -n user.overlay.metacopy "$T/U/big"
    [ "$status" -ne 0 ]
}
