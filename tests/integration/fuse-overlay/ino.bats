#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ino.bats — st_ino across lower layers on different filesystems (issue 17, compat §2.8): the two
# lowers are fresh tmpfs mounts in the test's user namespace, whose inode numbers start alike, so
# L1/x and L2/y share one; the upper stays on the temp dir's filesystem.

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    OPTS="lowerdir=$T/L1:$T/L2,upperdir=$T/U,workdir=$T/W"
    echo u >"$T/U/u"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

# two_fs_in_mount MOUNT CMD: inside `unshare -rm`, mounts tmpfs on L1 and L2, fills them (the same
# creation order on both, so equal inode numbers), prints "raw: L1/x L2/y" inode numbers, then
# runs MOUNT (a command mounting $T/M with $OPTS) and CMD in $T/M. CMD may call `remount`.
two_fs_in_mount() {
    OVL_MOUNT=$1 OVL_CMD=$2 unshare -rm bash -c '
        mount -t tmpfs l1 "$T/L1" && mount -t tmpfs l2 "$T/L2" || exit 97
        echo x >"$T/L1/x"; echo y >"$T/L2/y"; mkdir "$T/L1/d1" "$T/L2/d2"
        mkdir "$T/L1/m" "$T/L2/m"; echo a >"$T/L1/m/a"; echo b >"$T/L2/m/b"
        mkdir "$T/L2/m/big"; (cd "$T/L2/m/big" && touch $(seq -f "file-with-a-long-name-%04g" 300))
        echo "raw: $(stat -c %i "$T/L1/x") $(stat -c %i "$T/L2/y")"
        remount() { cd / && umount "$T/M" && eval "$OVL_MOUNT" 2>"$T/mount.err" && cd "$T/M"; }
        eval "$OVL_MOUNT" 2>"$T/mount.err" || { cat "$T/mount.err" >&2; exit 99; }
        trap "cd /; umount \"\$T/M\"" EXIT
        cd "$T/M" && eval "$OVL_CMD"
    '
}
ours='"$FUSE_OVERLAYFS" -o "$OPTS" "$T/M"'
kernel='mount -t overlay overlay -o "$OPTS,userxattr,xino=on" "$T/M"'
export OPTS

@test "files of two lower filesystems sharing an inode number get distinct st_ino, as the kernel's xino, stable across a remount" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 shows the lower inode number as it is (upstream's newest and kernel xino do not)"
    view='stat -c "%n %i" x y u d1 d2 m/a m/b'
    run two_fs_in_mount "$ours" "$view; remount && $view"
    [ "$status" -eq 0 ]
    local raw=(${lines[0]#raw: })
    [ "${raw[0]}" = "${raw[1]}" ] || skip "the tmpfs mounts gave different inode numbers (${lines[0]})"
    local first=("${lines[@]:1:7}") second=("${lines[@]:8:7}")
    assert_equal "${second[*]}" "${first[*]}"
    # no two names share a number
    assert_equal "$(printf '%s\n' "${first[@]}" | awk '{print $2}' | sort -u | wc -l)" 7
    # the upper file (top filesystem, fsid 0) keeps its backing number
    assert_equal "${first[2]}" "u $(stat -c %i "$T/U/u")"
    # the same numbers as kernel overlayfs with xino=on where the kernel allows the mount here
    rm -rf "$T/W" && mkdir "$T/W"
    run two_fs_in_mount "$kernel" "$view"
    if [ "$status" -ne 99 ]; then
        [ "$status" -eq 0 ]
        assert_equal "${lines[*]:1}" "${first[*]}"
    fi
}

@test "readdir's d_ino matches st_ino for every entry with lowers on two filesystems" {
    command -v python3 >/dev/null || skip "needs python3 (os.scandir gives d_ino)"
    run two_fs_in_mount "$ours" 'python3 -c "
import os
for top in (\".\", \"m\", \"m/big\"):
    for e in sorted(os.scandir(top), key=lambda e: e.name):
        print(e.path, e.inode(), e.stat(follow_symlinks=False).st_ino)
"'
    [ "$status" -eq 0 ]
    # the raw line; d1 d2 m u x y; m/a m/b m/big; 300 in m/big (the kernel asks for the first page
    # of a listing with readdirplus and for later ones with plain readdir)
    [ "${#lines[@]}" -eq 310 ]
    for l in "${lines[@]:1}"; do
        read -r name d_ino st_ino <<<"$l"
        [ "$d_ino" = "$st_ino" ] || { echo "$name: d_ino $d_ino, st_ino $st_ino"; false; }
    done
}

@test "a file copied up from a lower filesystem keeps its st_ino; new upper files keep theirs" {
    # x is in the first lower (1.10 follows user.fuseoverlayfs.origin only into that one).
    run two_fs_in_mount "$ours" 'stat -c %i x; echo more >>x; touch new; stat -c %i x; remount && stat -c %i x new'
    [ "$status" -eq 0 ]
    assert_equal "${lines[2]}" "${lines[1]}"
    assert_equal "${lines[3]}" "${lines[1]}"
    assert_equal "${lines[4]}" "$(stat -c %i "$T/U/new")"
    assert_equal "$(cat "$T/U/x")" "x
more"
}
