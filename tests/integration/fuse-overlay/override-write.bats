#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# override-write.bats — what stat-override mode writes (§2.5): the upper root's override xattr
# at the first mount with xattr_permissions=N, fifos/sockets made by mknod stored as regular
# files typed by the xattr; and a metacopy stub's st_blocks (ours).

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    OPTS="lowerdir=$T/L1:$T/L2,upperdir=$T/U,workdir=$T/W"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

# xval PATH NAME: the value of xattr NAME on PATH, or "" when absent.
xval() { getfattr --absolute-names --only-values -n "$2" "$1" 2>/dev/null || true; }

@test "xattr_permissions=2 initialises a bare upper root with 0:0:555" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 writes the root's own stat to user.fuseoverlayfs.override_stat"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'stat -c "%u:%g %a %F" .'
    [ "$status" -eq 0 ]
    assert_equal "$output" "0:0 555 directory"
    assert_equal "$(xval "$T/U" user.containers.override_stat)" "0:0:555"
    assert_equal "$(xval "$T/U" user.fuseoverlayfs.override_stat)" ""
}

@test "xattr_permissions=2 copies the first lower root's value, either name" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 writes the root's own stat instead"
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:751 "$T/L2"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'stat -c "%u:%g %a" .'
    [ "$status" -eq 0 ]
    assert_equal "$output" "0:0 751"
    assert_equal "$(xval "$T/U" user.containers.override_stat)" "0:0:751"
    rm -rf "$T/U" && mkdir "$T/U"
    setfattr -n user.containers.override_stat -v 0:0:0750 "$T/L1"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'stat -c "%a" .'
    [ "$status" -eq 0 ]
    assert_equal "$output" "750"
    assert_equal "$(xval "$T/U" user.containers.override_stat)" "0:0:0750"
}

@test "an upper root that already has the older user.fuseoverlayfs name keeps it" {
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:40755 "$T/U"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'stat -c "%u:%g %a" .; touch f; stat -c %u:%g f'
    [ "$status" -eq 0 ]
    assert_equal "$output" "0:0 755
0:0"
    assert_equal "$(xval "$T/U" user.fuseoverlayfs.override_stat)" "0:0:40755"
    assert_equal "$(xval "$T/U" user.containers.override_stat)" ""
    [ -n "$(xval "$T/U/f" user.fuseoverlayfs.override_stat)" ]
}

@test "xattr_permissions=1 without the right to write security.* fails the mount cleanly" {
    run unshare -rm bash -c '"$FUSE_OVERLAYFS" -o "$0,xattr_permissions=1" "$T/M"; echo "rc=$?"
        grep -c " $T/M " /proc/self/mountinfo' "$OPTS"
    assert_equal "${lines[-3]}" 'fuse-overlayfs: write xattr `security.fuseoverlayfs.override_stat` to upperdir: Operation not permitted'
    assert_equal "${lines[-2]}" "rc=1"
    assert_equal "${lines[-1]}" "0"
    assert_equal "$(xval "$T/U" security.fuseoverlayfs.override_stat)" ""
}

@test "in override mode mknod stores fifos and sockets as regular files" {
    # Devices cannot be tested here: the kernel refuses mknod of a device without CAP_MKNOD in
    # the initial namespace before asking the daemon (unit tests cover char and block devices).
    skip_if_original "$FUSE_OVERLAYFS" "1.10 calls mknod(2) for real"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'umask 022; mknod fifo p
        python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"sock\")"
        stat -c "%n %F %a %u:%g" fifo sock'
    [ "$status" -eq 0 ]
    assert_equal "$output" "fifo fifo 644 0:0
sock socket 755 0:0"
    for f in fifo sock; do
        assert_equal "$(stat -c %F "$T/U/$f")" "regular empty file"
    done
    assert_equal "$(xval "$T/U/fifo" user.containers.override_stat)" "0:0:644:pipe"
    assert_equal "$(xval "$T/U/sock" user.containers.override_stat)" "0:0:755:socket"
    # A later mount, with or without the option, reads them back (the root carries the name).
    run ovl_in_mount "$OPTS" 'stat -c "%n %F" fifo sock; ls -l fifo | cut -c1'
    [ "$status" -eq 0 ]
    assert_equal "$output" "fifo fifo
sock socket
p"
}

@test "in override mode symlinks can still be made" {
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'ln -s target l && readlink l && stat -c %F l'
    [ "$status" -eq 0 ]
    assert_equal "$output" "target
symbolic link"
    [ -L "$T/U/l" ]
}

@test "metacopy=on: a metadata-only copy shows the data file's st_blocks" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy support"
    head -c 300000 /dev/urandom >"$T/L1/big"
    run ovl_in_mount "$OPTS,metacopy=on" 'chmod 600 big; stat -c "%b %B %s %a" big'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$(stat -c "%b %B %s" "$T/L1/big") 600"
    [ "$(stat -c %b "$T/U/big")" -le 8 ]
    getfattr -n user.overlay.metacopy "$T/U/big" >/dev/null
    # (Kernel overlayfs shows the lower file's st_blocks for a metacopy file; it refuses
    # metacopy=on together with userxattr, so an unprivileged test cannot compare directly.)
}

@test "in override mode chmod of a fifo keeps its type; a lower fifo copies up as a typed regular file" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 calls mknod(2) for real"
    mkfifo "$T/L2/lowfifo"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'umask 022; mknod fifo p; chmod 600 fifo
        chmod 640 lowfifo; stat -c "%n %F %a" fifo lowfifo; find . -type p | sort'
    [ "$status" -eq 0 ]
    assert_equal "$output" "fifo fifo 600
lowfifo fifo 640
./fifo
./lowfifo"
    assert_equal "$(xval "$T/U/fifo" user.containers.override_stat)" "0:0:600:pipe"
    assert_equal "$(stat -c %F "$T/U/lowfifo")" "regular empty file"
    assert_equal "$(xval "$T/U/lowfifo" user.containers.override_stat)" "0:0:640:pipe" # ids as the daemon in the namespace sees them
}
