#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# override-write.bats — what stat-override mode writes (§2.5): the upper root's override xattr
# at the first mount with xattr_permissions=N, fifos/sockets made by mknod stored as regular
# files typed by the xattr, security.* stored as user.containers.override_security.* (1.14+);
# and a metacopy stub's st_blocks (ours).

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

@test "xattr_permissions=2: setcap stores security.capability as user.containers.override_security.capability (1.14+)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.14 added the security.* redirection"
    command -v setcap >/dev/null && command -v getcap >/dev/null || skip "needs libcap2-bin (setcap, getcap)"
    echo bin >"$T/L1/ping"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'setcap cap_net_raw+ep ping && getcap ping
        setfattr -n security.test -v one ping && getfattr --only-values -n security.test ping; echo
        getfattr -m - --absolute-names -d ping | { grep -c override_ || true; }'
    [ "$status" -eq 0 ]
    assert_equal "$output" "ping cap_net_raw=ep
one
0"
    [ -n "$(xval "$T/U/ping" user.containers.override_security.capability)" ]
    assert_equal "$(xval "$T/U/ping" user.containers.override_security.test)" "one"
    # nothing in security.* on the host: the capability never acts outside the container
    assert_equal "$(getfattr -m '^security\.' --absolute-names -d "$T/U/ping" 2>/dev/null)" ""
    assert_equal "$(xval "$T/L1/ping" user.containers.override_security.capability)" ""
}

@test "xattr_permissions=2: listxattr shows the decoded security.* names; setcap -r removes the stored one" {
    skip_if_original "$FUSE_OVERLAYFS" "1.14 added the security.* redirection"
    command -v setcap >/dev/null && command -v getcap >/dev/null || skip "needs libcap2-bin (setcap, getcap)"
    echo bin >"$T/L1/ping"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'setcap cap_net_raw+ep ping && setfattr -n user.color -v red ping
        getfattr -m - --absolute-names ping | grep -v "^#" | grep . | sort; echo --
        setcap -r ping && getcap ping; getfattr -m - --absolute-names ping | grep -v "^#" | grep . | sort'
    [ "$status" -eq 0 ]
    assert_equal "$output" "security.capability
user.color
--
user.color"
    assert_equal "$(xval "$T/U/ping" user.containers.override_security.capability)" ""
    assert_equal "$(xval "$T/U/ping" user.color)" "red"
}

@test "xattr_permissions=2: a lower file's redirected capability survives copy-up and hides raw security.*" {
    skip_if_original "$FUSE_OVERLAYFS" "1.14 added the security.* redirection"
    command -v getcap >/dev/null || skip "needs libcap2-bin (getcap)"
    # A lower layer in the containers mode (its root carries user.containers.override_stat)
    # holding a capability set through an earlier mount, as containers/storage leaves it.
    setfattr -n user.containers.override_stat -v 0:0:755 "$T/L1"
    echo bin >"$T/L1/ping"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'setcap cap_net_raw+ep ping && getcap ping'
    [ "$status" -eq 0 ]
    mv "$T/U/ping" "$T/L1/ping"
    rm -rf "$T/U" "$T/W"; mkdir "$T/U" "$T/W"
    # (a write would drop it: the kernel removes security.capability on every write, as anywhere)
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'getcap ping; touch -d @0 ping; getcap ping'
    [ "$status" -eq 0 ]
    assert_equal "$output" "ping cap_net_raw=ep
ping cap_net_raw=ep"
    [ -n "$(xval "$T/U/ping" user.containers.override_security.capability)" ]
}

@test "xattr_permissions=2: overlay-internal names set through the mount are stored encoded, as 1.14+" {
    skip_if_original "$FUSE_OVERLAYFS" "1.14 added the security.* redirection"
    echo x >"$T/L1/f"
    run ovl_in_mount "$OPTS,xattr_permissions=2" 'setfattr -n user.overlay.opaque -v y f && getfattr --only-values -n user.overlay.opaque f'
    [ "$status" -eq 0 ]
    assert_equal "$output" "y"
    assert_equal "$(xval "$T/U/f" user.containers.override_user.overlay.opaque)" "y"
    assert_equal "$(xval "$T/U/f" user.overlay.opaque)" ""
}

@test "without xattr_permissions=2 the overlay's own names stay refused (EPERM)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 lets a client set user.overlay.* (newer upstream refuses it)"
    echo x >"$T/L1/f"
    run ovl_in_mount "$OPTS" 'setfattr -n user.overlay.opaque -v y f'
    [ "$status" -ne 0 ]
    [[ "$output" == *"Operation not permitted"* ]]
}
