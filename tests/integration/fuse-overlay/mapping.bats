#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# mapping.bats — uidmapping/gidmapping (with containers/storage's empty tokens) and squash options

load ../helpers
load lib

setup() { require_binary "$FUSE_OVERLAYFS"; ovl_setup; }
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

# in_mapped_userns CMD: bash CMD as root in a user+mount namespace with the subordinate ids mapped.
in_mapped_userns() { OVL_CMD=$1 unshare --map-auto --map-root-user -m bash -c 'eval "$OVL_CMD"'; }

@test "uidmapping=0:1:1:1:0:1 swaps 0 and 1 and shows unmapped ids as the overflow id" {
    run in_mapped_userns '
        set -e
        touch "$T/L1/f0" "$T/L1/f1" "$T/L1/f2"
        chown 0:0 "$T/L1/f0"; chown 1:1 "$T/L1/f1"; chown 1000:1000 "$T/L1/f2"
        "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",uidmapping=0:1:1:1:0:1,gidmapping=0:1:1:1:0:1 "$T/M" 2>/dev/null
        stat -c "%n %u:%g" "$T/M/f0" "$T/M/f1" "$T/M/f2" | sed "s|$T/M/||"
        umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "f0 1:1
f1 0:0
f2 65534:65534"
}

@test "leading empty tokens as containers/storage sends them are accepted" {
    run in_mapped_userns '
        set -e
        touch "$T/L1/f"; chown 0:0 "$T/L1/f"
        "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",uidmapping=:0:100:1,gidmapping=:0:200:1 "$T/M" 2>/dev/null
        stat -c "%u:%g" "$T/M/f"
        umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "100:200"
}

@test "squash_to_root shows every file as 0:0" {
    touch "$T/L1/f"
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",squash_to_root "$T/M"
    [ "$status" -eq 0 ]
    assert_equal "$(stat -c %u:%g "$T/M/f" "$T/M")" "0:0
0:0"
    fusermount3 -u "$T/M"
}

@test "squash_to_uid/squash_to_gid win over squash_to_root" {
    touch "$T/L1/f"
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",squash_to_root,squash_to_uid=12,squash_to_gid=34 "$T/M"
    [ "$status" -eq 0 ]
    assert_equal "$(stat -c %u:%g "$T/M/f")" "12:34"
    fusermount3 -u "$T/M"
}

@test "squash_to_uid alone keeps the real gid" {
    touch "$T/L1/f"
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",squash_to_uid=12 "$T/M"
    [ "$status" -eq 0 ]
    assert_equal "$(stat -c %u:%g "$T/M/f")" "12:$(id -g)"
    fusermount3 -u "$T/M"
}

@test "xattr_permissions=2 reads user.containers.override_stat" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 reads user.fuseoverlayfs.override_stat in mode 2"
    touch "$T/L1/f" "$T/L1/dev"
    setfattr -n user.containers.override_stat -v 0:0:0755:dir "$T/L1"
    setfattr -n user.containers.override_stat -v 5:6:0640:file "$T/L1/f"
    setfattr -n user.containers.override_stat -v 0:0:0666:char-1-3 "$T/L1/dev"
    run in_mapped_userns '
        "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",xattr_permissions=2 "$T/M" 2>/dev/null || exit 9
        stat -c "%n %u:%g %A %t,%T" "$T/M/f" "$T/M/dev" | sed "s|$T/M/||"
        getfattr -d -m - "$T/M/f" 2>&1
        umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "f 5:6 -rw-r----- 0,0
dev 0:0 crw-rw-rw- 1,3"
}

@test "user.fuseoverlayfs.override_stat on a layer root is read in all versions" {
    touch "$T/L1/f"
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:40755 "$T/L1"
    setfattr -n user.fuseoverlayfs.override_stat -v 7:8:100600 "$T/L1/f"
    run in_mapped_userns '
        "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M" 2>/dev/null || exit 9
        stat -c "%u:%g %A" "$T/M/f"
        umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "7:8 -rw-------"
}
