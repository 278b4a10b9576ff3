#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# merged.bats — the merged read view: precedence, whiteouts, opaque dirs, inodes, nlink, xattrs

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    local a=$T/L1 b=$T/L2
    mkdir -p "$a"/{d/sub1,op,ux,fx} "$b"/{d/sub1,d/sub2,op,ux,fx,gone}
    echo l1a >"$a/a"; echo l2a >"$b/a"; echo l2b >"$b/b"; echo l2c >"$b/c"; echo l2x >"$b/x"
    echo f1 >"$a/d/f1"; echo f2 >"$b/d/f2"
    touch "$a/op/.wh..wh..opq"; echo shown >"$a/op/shown"; echo hidden >"$b/op/hidden"
    setfattr -n user.overlay.opaque -v y "$a/ux"; echo top >"$a/ux/top"; echo low >"$b/ux/low"
    setfattr -n user.fuseoverlayfs.opaque -v y "$a/fx"; echo low >"$b/fx/low"
    touch "$a/.wh.x"
    mknod "$a/c" c 0 0
    ln -s a "$a/link"
    setfattr -n user.foo -v bar "$b/b"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

@test "the top layer wins and lower-only names show through" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'cat a b d/f1 d/f2'
    [ "$status" -eq 0 ]
    assert_equal "$output" "l1a
l2b
f1
f2"
}

@test "the union hides whiteouts of both forms and every .wh.* name" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'ls -A | tr "\n" " "; ls -A d | tr "\n" " "'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a b d fx gone link op ux f1 f2 sub1 sub2 "
}

@test "whited-out and .wh.* names are absent on lookup" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" '
        for n in c x .wh.x .wh..wh..opq op/.wh..wh..opq; do stat "$n" >/dev/null 2>&1 && echo "found $n"; done; true'
    [ "$status" -eq 0 ]
    assert_equal "$output" ""
}

@test "opaque directories in every unprivileged form hide what is below" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'ls -A op ux fx | tr "\n" " "'
    [ "$status" -eq 0 ]
    assert_equal "$output" "fx:  op: shown  ux: top "
}

@test "readdir is sorted by name (1.16)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 lists in hash order (#448)"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'ls -f -A | tr "\n" " "'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a b d fx gone link op ux "
}

@test "st_ino is the backing inode; readdir d_ino agrees; directories show the top layer's" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" '
        stat -c "%n %i" a b d
        ls -id b | cut -d" " -f1'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a $(stat -c %i "$T/L1/a")
b $(stat -c %i "$T/L2/b")
d $(stat -c %i "$T/L1/d")
$(stat -c %i "$T/L2/b")"
}

@test "st_ino follows user.fuseoverlayfs.origin and is stable across a remount" {
    echo copy >"$T/L1/b"
    setfattr -n user.fuseoverlayfs.origin -v b "$T/L1/b"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'stat -c %i b; cat b'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$(stat -c %i "$T/L2/b")
copy"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'stat -c %i b'
    assert_equal "$output" "$(stat -c %i "$T/L2/b")"
}

@test "directory nlink is 2 + subdirectories of the merged view; static_nlink gives 1" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'stat -c %h d .'
    [ "$status" -eq 0 ]
    assert_equal "$output" "4
7"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2,static_nlink" 'stat -c %h d'
    assert_equal "$output" "1"
}

@test "symlinks read back their target" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'readlink link; cat link'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a
l1a"
}

@test "user xattrs show through; the overlay's own are hidden" {
    setfattr -n user.fuseoverlayfs.origin -v b "$T/L2/b"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" '
        getfattr --absolute-names -d -m - b ux fx 2>&1
        getfattr -n user.overlay.opaque ux 2>&1 | head -1'
    [ "$status" -eq 0 ]
    assert_equal "$output" "# file: b
user.foo=\"bar\"

ux: user.overlay.opaque: No such attribute"
}

@test "noxattrs=1: xattr calls are not supported" {
    run ovl_in_mount "lowerdir=$T/L1:$T/L2,noxattrs=1" 'getfattr -n user.foo b 2>&1'
    assert_contains "$output" "Operation not supported"
}

@test "statfs: the top layer's figures with namelen reduced by 4" {
    local want=$(( $(stat -f -c %l "$T/L1") - 4 ))
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'stat -f -c "%l %S" .'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$want $(stat -f -c %S "$T/L1")"
}

@test "a large file reads back byte for byte" {
    head -c 20000000 /dev/urandom >"$T/L2/big"
    local want; want=$(md5sum <"$T/L2/big")
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'md5sum <big; dd if=big bs=4096 skip=1000 count=3 2>/dev/null | md5sum'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$want
$(dd if="$T/L2/big" bs=4096 skip=1000 count=3 2>/dev/null | md5sum)"
}

@test "three lower layers merge in order" {
    echo l3 >"$T/L3/only3"; echo l3a >"$T/L3/a"; mkdir "$T/L3/d"; echo f3 >"$T/L3/d/f3"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2:$T/L3" 'cat only3 a; ls d | tr "\n" " "'
    [ "$status" -eq 0 ]
    assert_equal "$output" "l3
l1a
f1 f2 f3 sub1 sub2 "
}

@test "an upper layer is the top of the merge" {
    echo up >"$T/U/a"; mknod "$T/U/b" c 0 0
    run ovl_in_mount "lowerdir=$T/L1:$T/L2,upperdir=$T/U,workdir=$T/W" 'cat a; ls -A | tr "\n" " "'
    [ "$status" -eq 0 ]
    assert_equal "$output" "up
a d fx gone link op ux "
}
