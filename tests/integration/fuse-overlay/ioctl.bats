#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ioctl.bats — the FUSE ioctl op (issue 17): FS_IOC_GETFLAGS/SETFLAGS/GETVERSION as upstream
# handles them, so lsattr/chattr work in a container. The layers sit on the test host's ext4 (or
# whatever the temp dir is on): a flag the backing fs refuses gives the same errno through the
# mount as on the backing file, since the overlay passes it through.

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    command -v lsattr >/dev/null && command -v chattr >/dev/null || skip "needs e2fsprogs (lsattr, chattr)"
    ovl_setup
    echo lower >"$T/L1/f"
    echo upper >"$T/U/u"
    mkdir "$T/L1/d"
    # The backing fs must keep the nodump flag ('d') for a plain user (ext4, xfs, btrfs do).
    touch "$T/probe"
    chattr +d "$T/probe" 2>/dev/null || skip "the temp dir's filesystem has no inode flags"
    chattr +d "$T/L1/f"
    OPTS="lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

flags_of() { lsattr -d "$1" | cut -d' ' -f1; }

@test "lsattr shows a lower file's and a directory's flags through the mount" {
    want_f=$(flags_of "$T/L1/f") want_d=$(flags_of "$T/L1/d")
    run ovl_in_mount "$OPTS" 'lsattr -d f d u'
    [ "$status" -eq 0 ]
    assert_equal "$(echo "$output" | awk '{print $1}' | head -1)" "$want_f"
    assert_equal "$(echo "$output" | awk '$2 == "d" {print $1}')" "$want_d"
}

@test "chattr +d on a lower file copies it up first; the lower file keeps its flags" {
    skip_if_original "$FUSE_OVERLAYFS" "the kernel asks FS_IOC_FSGETXATTR before SETFLAGS and upstream answers ENOSYS (chattr: EOPNOTSUPP)"
    chattr -d "$T/L1/f"
    run ovl_in_mount "$OPTS" 'chattr +d f && lsattr -d f | cut -d" " -f1'
    [ "$status" -eq 0 ]
    [[ "$output" == *d* ]]
    [[ "$(flags_of "$T/U/f")" == *d* ]]
    [[ "$(flags_of "$T/L1/f")" != *d* ]]
    assert_equal "$(cat "$T/U/f")" "lower"
}

@test "chattr -d on an upper file and on a directory changes the upper object" {
    skip_if_original "$FUSE_OVERLAYFS" "the kernel asks FS_IOC_FSGETXATTR before SETFLAGS and upstream answers ENOSYS (chattr: EOPNOTSUPP)"
    chattr +d "$T/U/u"
    run ovl_in_mount "$OPTS" 'chattr -d u && chattr +d d && lsattr -d u d'
    [ "$status" -eq 0 ]
    [[ "$(flags_of "$T/U/u")" != *d* ]]
    [[ "$(flags_of "$T/U/d")" == *d* ]]
}

@test "chattr +i needs the privilege the backing fs asks for: the same errno as on the backing file" {
    skip_if_original "$FUSE_OVERLAYFS" "the kernel asks FS_IOC_FSGETXATTR before SETFLAGS and upstream answers ENOSYS (chattr: EOPNOTSUPP)"
    want=$(unshare -rm chattr +i "$T/U/u" 2>&1 | sed 's/.*: //;s/ while.*//') || true
    [ -n "$want" ] || skip "the user namespace may set the immutable flag here"
    run ovl_in_mount "$OPTS" 'chattr +i u'
    [ "$status" -ne 0 ]
    [[ "$output" == *"$want"* ]]
}

@test "lsattr -v reads the generation number (FS_IOC_GETVERSION) of the backing file" {
    want=$(lsattr -vd "$T/U/u" | cut -d' ' -f1)
    run ovl_in_mount "$OPTS" 'lsattr -vd u | cut -d" " -f1'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$want"
}

@test "ioctls other than the inode flags and version are refused" {
    command -v python3 >/dev/null || skip "needs python3"
    run ovl_in_mount "$OPTS" 'python3 -c "
import fcntl, os, errno
fd = os.open(\"u\", os.O_RDONLY)
try:
    fcntl.ioctl(fd, 0x80086601, bytearray(8)); print(\"getflags ok\")
    fcntl.ioctl(fd, 0x5421, bytearray(8))  # FIONBIO is answered by the VFS itself
    fcntl.ioctl(fd, 0x40086602 + 0x100, bytearray(8))
except OSError as e:
    print(errno.errorcode[e.errno])
"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "getflags ok
ENOTTY"
}
