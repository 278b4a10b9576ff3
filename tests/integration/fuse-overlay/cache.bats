#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cache.bats — the kernel caches what we tell it for `timeout` seconds (entries, attributes,
# negative entries, page cache with keep_cache, directory listings with cache_dir, symlink
# targets with cache_symlinks, POSIX ACLs): every change made through the mount must show at once
# through the same mount, however the change was made, on a mount that has already cached the old
# state. Passes for ours and for Debian's fuse-overlayfs 1.10.

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    mkdir -p "$T/L1/d" "$T/L1/e"
    echo lower >"$T/L1/f"; echo g >"$T/L1/g"; echo x >"$T/L1/d/x"
    ln -s f "$T/L1/s"
    chmod 644 "$T/L1/f"
    OPTS="lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

# in_mount CMD: run CMD with cwd at the mount; each CMD first caches the old state (stat, ls, cat).
in_mount() { run ovl_in_mount "$OPTS" "$1"; [ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }; }

@test "rename: the old name is gone, the new one shows, listings follow" {
    in_mount 'cat f; ls; ls d; stat -c %s d/y 2>/dev/null || echo no-y
        mv f d/y; mv d e/d
        cat f 2>/dev/null || echo no-f; ls; ls e/d; cat e/d/y; stat -c %s e/d/y; cat d/x 2>/dev/null || echo no-d'
    assert_equal "$output" "lower
d
e
f
g
s
x
no-y
no-f
e
g
s
x
y
lower
6
no-d"
}

@test "unlink and rmdir: names, negative entries and listings update; a new file of the name is new" {
    in_mount 'cat g; ls d; rm g; cat g 2>/dev/null || echo no-g; rm d/x; rmdir d; ls
        stat d 2>/dev/null || echo no-d; echo new >g; cat g; mkdir d; ls d | wc -l'
    assert_equal "$output" "g
x
no-g
e
f
s
no-d
new
0"
}

@test "chmod, chown, truncate and utimes show at once, on the file and its hard link" {
    in_mount 'stat -c "%a %s %Y" f; ln f h; stat -c %h f
        chmod 600 f; truncate -s 2 h; touch -d @1000000000 f
        stat -c "%a %s %Y %h" f h; cat h; echo'
    assert_equal "$output" "644 6 $(stat -c %Y "$T/L1/f")
2
600 2 1000000000 2
600 2 1000000000 2
lo"
}

@test "a hard link's names are one file: writes, appends and nlink show at once through each" {
    # b is a second name of a on disk (an earlier mount made it); l one made through this mount
    # and looked up again once its entry expired (timeout=1). A name that got an inode of its
    # own would keep its own page cache: writes through one name would not show through the other.
    echo one >"$T/U/a"; mkdir "$T/U/u"; ln "$T/U/a" "$T/U/u/b"
    in_mount 'cat u/b; ls -l u >/dev/null; echo two >a; cat u/b; echo three >>u/b; cat a
        ln a l; sleep 1.2; cat l >/dev/null; echo four >>a; tail -n 1 l; stat -c %h a u/b l
        rm a; stat -c %h u/b l; echo five >>l; tail -n 1 u/b'
    assert_equal "$output" "one
two
two
three
four
3
3
3
2
2
five"
}

@test "writes show at once through another open, a new open, and the size" {
    in_mount 'cat f; exec 5<f; echo more >>f; cat f; stat -c %s f; cat <&5; exec 5<&-
        printf X | dd of=f conv=notrunc status=none; head -c 5 f; echo'
    assert_equal "$output" "lower
lower
more
11
lower
more
Xower"
}

@test "xattrs and ACLs set or removed through the mount show at once" {
    # the ACL xattr built by hand (no setfacl on the test host): version 2, then (tag, perm, id)
    # entries: user::rw-, user:0:r-- (the only mapped id), group::r--, mask::r--, other::r--
    # u is made in the upper layer first, so that setting its xattr needs no copy-up
    in_mount 'echo u >u; getfattr -n user.k u 2>/dev/null || echo no-k; setfattr -n user.k -v u1 u
        getfattr --only-values -n user.k u; echo
        getfattr --absolute-names -n user.k f 2>/dev/null || echo no-k; ls -l f | cut -c1-11
        setfattr -n user.k -v v1 f; getfattr --only-values -n user.k f; echo
        setfattr -n user.k -v v2 f; getfattr --only-values -n user.k f; echo
        python3 -c "
import os, struct
acl = struct.pack(\"<I\", 2) + b\"\".join(struct.pack(\"<HHI\", t, p, i) for t, p, i in
    [(1, 6, 0xffffffff), (2, 4, 0), (4, 4, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 4, 0xffffffff)])
os.setxattr(\"f\", \"system.posix_acl_access\", acl)
print(len(os.getxattr(\"f\", \"system.posix_acl_access\")))"
        ls -l f | cut -c1-11
        setfattr -x user.k f; getfattr -n user.k f 2>/dev/null || echo no-k
        setfattr -x system.posix_acl_access f; ls -l f | cut -c1-11
        getfattr -n system.posix_acl_access f 2>/dev/null || echo no-acl'
    assert_equal "$output" "no-k
u1
no-k
-rw-r--r-- 
v1
v2
44
-rw-r--r--+
no-k
-rw-r--r-- 
no-acl"
}

@test "a symlink replaced or renamed over reads its new target at once" {
    in_mount 'readlink s; cat s; rm s; ln -s g s; readlink s; cat s
        ln -s d t; readlink t; mv -T t s; readlink s; ls s'
    assert_equal "$output" "f
lower
g
g
d
d
x"
}

@test "ls -l asks for security.selinux once per run where SELinux is off; other names say ENODATA" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 answers ENODATA, so ls asks for every entry (docs/compat/fuse-overlayfs.md §2.10)"
    [ ! -e /sys/fs/selinux ] || skip "SELinux runs here: the kernel answers security.selinux itself"
    command -v strace >/dev/null || skip "strace is not installed"
    in_mount 'ls -l >/dev/null; touch a b c; setfattr -n user.k -v 1 b
        strace -e trace=lgetxattr,getxattr -o "$T/ls.trace" ls -l >/dev/null
        grep -c "security.selinux" "$T/ls.trace"
        getfattr -n security.selinux b 2>&1 | grep -c "Operation not supported"
        getfattr -n user.none b 2>&1 | grep -c "No such attribute"; getfattr --only-values -n user.k b'
    assert_equal "$output" "1
1
1
1"
}

@test "after ls -l learned a directory's xattrs, one set or removed on any entry shows at once" {
    in_mount 'echo u >d/u; ls -l d >/dev/null; ls -l . >/dev/null
        setfattr -n user.k -v 1 d/x; setfattr -n user.k -v 2 d/u; setfattr -n user.k -v 3 g
        getfattr --only-values -n user.k d/x; echo; getfattr --only-values -n user.k d/u; echo
        getfattr --only-values -n user.k g; echo; getfattr --only-values -n user.k f 2>/dev/null || echo no-k
        setfattr -x user.k d/u; getfattr -n user.k d/u 2>/dev/null || echo gone; ls -l d | wc -l'
    assert_equal "$output" "1
2
3
no-k
gone
3"
}

# The daemon keeps the last directory it looked names up in open across requests (ours; see
# Overlay::hold_dirs_for_good): a directory of that name renamed away, removed, or replaced by
# another must not answer the next new names looked up in it.
@test "a directory replaced or removed through the mount answers new names from the new one" {
    in_mount 'mkdir x y; echo 2 >y/b; stat x/none 2>/dev/null || echo no-none
        mv -T y x; cat x/b
        stat x/other 2>/dev/null || echo no-other; rm x/b; rmdir x; mkdir x; echo 3 >x/c
        cat x/c; stat -c %s x/b 2>/dev/null || echo no-b
        mkdir -p p/q; echo 4 >p/q/r; stat p/q/none 2>/dev/null || echo no-none; mv p z
        cat z/q/r; mkdir -p p/q; stat p/q/r 2>/dev/null || echo no-r'
    assert_equal "$output" "no-none
2
no-other
3
no-b
no-none
4
no-r"
}
