#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# write-names.bats — the namespace half of the write side as a user drives it: create, mkdir,
# mknod, symlink, link, unlink, rmdir, rename (NOREPLACE, EXCHANGE, EXDEV), and what each leaves
# in the upper directory (whiteout forms, opaque xattrs), readable by kernel overlayfs too

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    mkdir -p "$T"/L1/{d,keep} "$T"/L2/{d,tree/sub,emptyish,keep}
    echo l1a >"$T/L1/a"; echo l2b >"$T/L2/b"; echo f1 >"$T/L1/d/f1"; echo f2 >"$T/L2/d/f2"
    echo x >"$T/L2/tree/sub/x"; echo y >"$T/L2/tree/y"; echo k >"$T/L2/keep/k"
    OPTS="lowerdir=$T/L1:$T/L2,upperdir=$T/U,workdir=$T/W"
    KOPTS="lowerdir=$T/L1:$T/L2,upperdir=$T/U,workdir=$T/KW" # the kernel's own workdir
    mkdir "$T/KW"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; chmod -R u+rwx "$T/KW" 2>/dev/null || true; }

# what NAME is in the upper dir: "whiteout" (char 0/0), "file", "dir", "absent", or the type.
upper_kind() {
    local p=$T/U/$1
    if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; return; fi
    case "$(stat -c %F "$p")" in
    "character special file") [ "$(stat -c %t,%T "$p")" = 0,0 ] && echo whiteout || echo chardev ;;
    "regular empty file" | "regular file") echo file ;;
    directory) echo dir ;;
    *) stat -c %F "$p" ;;
    esac
}

# rename2 FLAGS OLD NEW: renameat2(2) with RENAME_NOREPLACE=1 / RENAME_EXCHANGE=2; prints errno name.
rename2() {
    python3 -c '
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.renameat2(-100, sys.argv[2].encode(), -100, sys.argv[3].encode(), int(sys.argv[1]))
print("ok" if r == 0 else errno.errorcode[ctypes.get_errno()])' "$@"
}
export -f rename2

@test "touch and mkdir make the name in upper, copying up only the parent directory" {
    run ovl_in_mount "$OPTS" ': >new && : >d/new && mkdir nd && : >nd/f && ls nd d'
    [ "$status" -eq 0 ]
    assert_equal "$output" "d:
f1
f2
new

nd:
f"
    assert_equal "$(upper_kind new) $(upper_kind d/new) $(upper_kind d) $(upper_kind d/f1)" \
        "file file dir absent"
}

@test "create honours the mode under the caller's umask, and the owner is the caller" {
    run ovl_in_mount "$OPTS" 'umask 027; : >f; mkdir dd; stat -c "%a %u:%g" f dd'
    [ "$status" -eq 0 ]
    assert_equal "$output" "640 0:0
750 0:0"
    assert_equal "$(stat -c '%a %u' "$T/U/f" "$T/U/dd")" "640 $(id -u)
750 $(id -u)"
}

@test "new objects get the caller's ids mapped back to disk ids (uidmapping, §2.9)" {
    run unshare --map-auto --map-root-user -m bash -c '
        set -e
        "$FUSE_OVERLAYFS" -o "$0,uidmapping=0:1:1:1:0:1,gidmapping=0:1:1:1:0:1" "$T/M" 2>/dev/null
        : >"$T/M/new"; mkdir "$T/M/nd"; ln -s x "$T/M/sl"; mkfifo "$T/M/p"
        stat -c "%n %u:%g" "$T/M/new" "$T/M/nd" "$T/U/new" "$T/U/nd" "$T/U/sl" "$T/U/p" | sed "s|$T/||"
        umount "$T/M"; rm -rf "$T/U"' "$OPTS" # U holds subordinate ids: remove it in here
    [ "$status" -eq 0 ]
    assert_equal "$output" "M/new 0:0
M/nd 0:0
U/new 1:1
U/nd 1:1
U/sl 1:1
U/p 1:1"
}

@test "rm of a lower file leaves a char 0/0 whiteout and copies no data" {
    run ovl_in_mount "$OPTS" 'rm a b && ls'
    [ "$status" -eq 0 ]
    assert_equal "$output" "d
emptyish
keep
tree"
    assert_equal "$(upper_kind a) $(upper_kind b)" "whiteout whiteout"
}

@test "FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT=1 writes .wh.NAME files with mode 0700" {
    FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT=1 run ovl_in_mount "$OPTS" 'rm a && mv b b2 && ls'
    [ "$status" -eq 0 ]
    assert_equal "$output" "b2
d
emptyish
keep
tree"
    assert_equal "$(upper_kind a) $(upper_kind b) $(stat -c %a "$T/U/.wh.a" "$T/U/.wh.b")" \
        "absent absent 700
700"
}

@test "rm of an upper-only file leaves nothing; re-creating a deleted name drops its whiteout" {
    run ovl_in_mount "$OPTS" ': >n && rm n && rm a && : >a && cat a && ls'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a
b
d
emptyish
keep
tree"
    assert_equal "$(upper_kind n) $(upper_kind a) $(ls -A "$T/U" | tr '\n' ' ')" "absent file a "
}

@test "a file unlinked while open stays usable through its descriptor" {
    run ovl_in_mount "$OPTS" 'python3 -c "
import os
fd = os.open(\"x\", os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b\"hello\"); os.unlink(\"x\"); os.ftruncate(fd, 4)
print(os.fstat(fd).st_size, os.pread(fd, 10, 0), os.path.exists(\"x\"))
os.close(fd)"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "4 b'hell' False"
    assert_equal "$(upper_kind x)" absent
}

@test "a lower file unlinked while open reads, stats and closes cleanly; its whiteout is c---------" {
    run ovl_in_mount "$OPTS" 'python3 -c "
import os
fd = os.open(\"a\", os.O_RDONLY); os.unlink(\"a\")
print(os.read(fd, 10), os.fstat(fd).st_size, os.path.exists(\"a\"))
os.close(fd); print(\"closed\")"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "b'l1a\\n' 4 False
closed"
    assert_equal "$(upper_kind a) $(stat -c %A "$T/U/a")" "whiteout c---------"
    assert_equal "$(cat "$T/L1/a")" l1a
}

@test "rm -rf of a lower tree leaves one whiteout for the tree" {
    run ovl_in_mount "$OPTS" 'rm -rf tree && ls && test ! -e tree/y'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a
b
d
emptyish
keep"
    assert_equal "$(upper_kind tree)" whiteout
}

@test "rmdir of a merged directory is ENOTEMPTY until the merged view is empty" {
    run ovl_in_mount "$OPTS" '
        rmdir d 2>&1 | sed "s/.*: //"; rm d/f1 d/f2; rmdir d && echo gone; ls'
    [ "$status" -eq 0 ]
    assert_equal "$output" "Directory not empty
gone
a
b
emptyish
keep
tree"
    assert_equal "$(upper_kind d)" whiteout
}

@test "mkdir over a deleted lower directory makes an opaque directory" {
    run ovl_in_mount "$OPTS" 'rm -rf d keep && mkdir d keep && : >d/new && ls -A d keep'
    [ "$status" -eq 0 ]
    assert_equal "$output" "d:
new

keep:"
    # an opaque mark either reads (ours user.overlay.opaque, 1.10 user.fuseoverlayfs.opaque)
    getfattr --absolute-names -d -m '^user\.(overlay|fuseoverlayfs)\.opaque$' "$T/U/d" | grep -q '="y"'
    # still opaque after a remount
    run ovl_in_mount "$OPTS" 'ls -A d keep | tr "\n" " "'
    assert_equal "$output" "d: new  keep: "
}

@test "the opaque mark is user.overlay.opaque alone, without a .wh..wh..opq file" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 writes only user.fuseoverlayfs.opaque and the marker file"
    run ovl_in_mount "$OPTS" 'rm -rf d && mkdir d'
    [ "$status" -eq 0 ]
    assert_equal "$(getfattr --absolute-names --only-values -n user.overlay.opaque "$T/U/d")" y
    assert_equal "$(getfattr --absolute-names -d -m - "$T/U/d" | grep -c fuseoverlayfs)" 0
    assert_equal "$(ls -A "$T/U/d")" ""
}

@test "mkfifo, ln -s and mknod of a device as a user in a user namespace" {
    run ovl_in_mount "$OPTS" '
        mkfifo p && ln -s a sl && readlink sl && cat sl && stat -c %F p
        mknod cdev c 1 3 2>&1 | sed "s/.*: //"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a
l1a
fifo
Operation not permitted"
    assert_equal "$(stat -c %F "$T/U/p") $(readlink "$T/U/sl") $(upper_kind cdev)" "fifo a absent"
}

@test "ln of a lower file copies it up and links in upper; both names share st_ino and nlink" {
    run ovl_in_mount "$OPTS" '
        ln a a2 && ln d/f2 f2link && stat -c "%i %h" a a2 | uniq | wc -l && stat -c %h a2 f2link
        cat a2'
    [ "$status" -eq 0 ]
    assert_equal "$output" "1
2
2
l1a"
    assert_equal "$(stat -c %i "$T/U/a")" "$(stat -c %i "$T/U/a2")"
}

@test "a hard link keeps working after the first name is removed" {
    run ovl_in_mount "$OPTS" 'mkdir s && : >s/t && ln s/t t2 && rm s/t && stat -c %h t2 && ls'
    [ "$status" -eq 0 ]
    assert_equal "$output" "1
a
b
d
emptyish
keep
s
t2
tree"
}

@test "mv of a lower file leaves a whiteout at the old name" {
    run ovl_in_mount "$OPTS" 'mv a a.moved && mv d/f2 f2 && cat a.moved f2 && ls d'
    [ "$status" -eq 0 ]
    assert_equal "$output" "l1a
f2
f1"
    assert_equal "$(upper_kind a) $(upper_kind a.moved) $(upper_kind d/f2) $(upper_kind f2)" \
        "whiteout file whiteout file"
}

@test "mv over an existing name replaces it; mv -T of an upper dir over an empty one" {
    run ovl_in_mount "$OPTS" '
        mv a b && cat b && test ! -e a
        mkdir n1 n2 && : >n1/in && mv -T n1 n2 && ls n2 && test ! -e n1'
    [ "$status" -eq 0 ]
    assert_equal "$output" "l1a
in"
    assert_equal "$(upper_kind a) $(upper_kind n1) $(upper_kind n2/in)" "whiteout absent file"
}

@test "renaming a directory with a lower part is EXDEV" {
    run ovl_in_mount "$OPTS" '
        python3 -c "import os
for a, b in ((\"d\", \"d2\"), (\"keep\", \"d\"), (\"tree/sub\", \"sub\")):
    try: os.rename(a, b)
    except OSError as e: print(e.errno)"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "18
18
18"
}

@test "an upper-only directory renamed onto a deleted lower name is opaque there" {
    run ovl_in_mount "$OPTS" 'rm -rf keep && mkdir nk && : >nk/mine && mv nk keep && ls -A keep'
    [ "$status" -eq 0 ]
    assert_equal "$output" "mine"
    run ovl_in_mount "$OPTS" 'ls -A keep'
    assert_equal "$output" "mine"
}

@test "RENAME_NOREPLACE refuses a visible target, including a lower-only one" {
    run ovl_in_mount "$OPTS" 'rename2 1 a b; rename2 1 a d/f2; rename2 1 a fresh; cat fresh'
    [ "$status" -eq 0 ]
    assert_equal "$output" "EEXIST
EEXIST
ok
l1a"
}

@test "RENAME_EXCHANGE swaps two files from different layers" {
    run ovl_in_mount "$OPTS" 'rename2 2 a b && cat a b; rename2 2 a nothere'
    [ "$status" -eq 0 ]
    assert_equal "$output" "ok
l2b
l1a
ENOENT"
}

@test "RENAME_EXCHANGE of a merged directory is EXDEV" {
    run ovl_in_mount "$OPTS" 'rename2 2 d keep'
    [ "$status" -eq 0 ]
    assert_equal "$output" EXDEV
}

@test ".wh.* names cannot be created" {
    run ovl_in_mount "$OPTS" 'touch .wh.x 2>&1 | sed "s/.*: //"; ls -A | grep -c "^.wh." || true'
    [ "$status" -eq 0 ]
    assert_equal "$output" "Invalid argument
0"
}

@test "mkdir, symlink, mknod and link refuse .wh.* names too" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 checks the prefix only on lookup, open and create"
    run ovl_in_mount "$OPTS" '
        for c in "mkdir .wh.d" "ln -s a .wh.s" "mkfifo .wh.p" "ln a .wh.l"; do
            $c 2>&1 | sed "s/.*: //"; done'
    [ "$status" -eq 0 ]
    assert_equal "$output" "Invalid argument
Invalid argument
Invalid argument
Invalid argument"
}

@test "O_TMPFILE is not supported" {
    run ovl_in_mount "$OPTS" 'python3 -c "import os
try: os.open(\".\", os.O_TMPFILE | os.O_RDWR, 0o600)
except OSError as e: print(e.errno == 95)"'
    [ "$status" -eq 0 ]
    assert_equal "$output" True
}

@test "an upper written through the mount reads the same with kernel overlayfs (userxattr)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10's opaque mark is user.fuseoverlayfs.opaque plus a visible marker file"
    local view='find . -mindepth 1 | sort | tr "\n" " "; cat a.moved'
    run ovl_in_mount "$OPTS" 'rm b; mv a a.moved; rm -rf keep tree/sub; mkdir keep; : >keep/new; ln -s x sl'
    [ "$status" -eq 0 ]
    run ovl_in_mount "$OPTS" "$view"
    local ours=$output
    run ovl_kernel_in_mount "$KOPTS" "$view"
    [ "$status" -eq 0 ]
    assert_equal "$output" "$ours"
}

@test "changes through the mount on an upper the kernel wrote" {
    run ovl_kernel_in_mount "$KOPTS" \
        'rm a && rm -rf keep && mkdir keep && : >keep/k2'
    [ "$status" -eq 0 ]
    run ovl_in_mount "$OPTS" ': >a && rm keep/k2 && rmdir keep && ls && cat a'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a
b
d
emptyish
tree"
    assert_equal "$(upper_kind keep)" whiteout
}
