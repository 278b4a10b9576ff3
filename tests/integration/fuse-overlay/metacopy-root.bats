#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# metacopy-root.bats — the half of metacopy.bats that needs real root: Linux refuses userxattr
# together with metacopy=on, so only a kernel overlayfs mounted by real root (trusted.overlay.*)
# can read the metacopy upper that our -o metacopy=on writes. This file runs as root, not through
# bats-as-user (tests/integration/fuse-overlay/meson.build registers it like tests/e2e/dropin.bats),
# every mount in a private mount namespace; as any other user it skips.

# Root on purpose: the helpers' refusal of root does not apply to this file.
RT_ALLOW_ROOT=1
load ../helpers
load lib

setup() {
    [ "$(id -u)" = 0 ] || skip "kernel overlayfs with metacopy=on needs real root (trusted.overlay.*)"
    require_binary "$FUSE_OVERLAYFS"
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy support"
    ovl_setup
    head -c 300000 /dev/urandom >"$T/L1/big"
    echo small >"$T/L1/small"
    export OPTS="lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W"
}

# as_root_in_mount MOUNTCMD CMD: in a private mount namespace (real root, no user namespace),
# mount with the bash string MOUNTCMD at $T/M, run CMD there, unmount; CMD's status (99: no mount).
as_root_in_mount() {
    MNT=$1 CMD=$2 unshare -m --propagation private bash -c '
        eval "$MNT" || exit 99
        trap "cd /; umount \"\$T/M\"" EXIT
        cd "$T/M" && eval "$CMD"'
}

@test "as real root, kernel overlayfs -o metacopy=on reads the metacopy upper we wrote" {
    run as_root_in_mount '"$FUSE_OVERLAYFS" -o "$OPTS,metacopy=on" "$T/M"' \
        'chmod 600 big; chown 1:2 small; stat -c "%a %u:%g" big small'
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    assert_equal "$output" "600 0:0
644 1:2"
    # only metadata went up, with the kernel's own markers (trusted.* as real root)
    [ "$(stat -c %b "$T/U/big")" -le 8 ]
    getfattr -n trusted.overlay.metacopy "$T/U/big" >/dev/null
    getfattr -n trusted.overlay.metacopy "$T/U/small" >/dev/null
    rm -rf "$T/W"; mkdir "$T/W"
    run as_root_in_mount 'mount -t overlay overlay -o "$OPTS,metacopy=on" "$T/M"' \
        'md5sum <big; stat -c "%a %u:%g %s" big small; cat small'
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
    assert_equal "$output" "$(md5sum <"$T/L1/big")
600 0:0 300000
644 1:2 6
small"
    # the kernel read the data from below: the upper still holds none of it
    [ "$(stat -c %b "$T/U/big")" -le 8 ]
}
