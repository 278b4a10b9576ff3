#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# compat-write.bats — the three-way write compatibility test (issue 7). One fixed lower tree and
# one script of changes. Each writer (kernel overlayfs -o userxattr, Debian's fuse-overlayfs 1.10,
# $FUSE_OVERLAYFS) applies the script into its own upper; then every upper is mounted again (a
# fresh copy of it, with the same lower) through each of the three readers, and every view must
# equal the expected tree: the lower copied to a plain directory with the script applied to it.
# The one known exception is an upper written by Debian's 1.10 and read by the kernel: 1.10's
# opaque marks are not the kernel's (docs/compat/fuse-overlayfs.md §2.11), and that view must differ by exactly those.
#
# What a view compares (CW_VIEW below): every path with its type, mode, owner and group; for
# non-directories the size, a symlink's target and a regular file's bytes; every visible xattr;
# whether known hard-link pairs share st_ino; and the mtime of files whose data the script leaves
# alone (copy-up must keep it). Not compared: inode numbers, nlink (fuse-overlayfs counts the names
# it has seen, #435), directory sizes (the backing fs's), atime/ctime, and mtimes of what the
# script writes.
#
# Everything runs inside `unshare -rm --map-auto` (root in a user namespace with the test user's
# subordinate ids mapped), so chown to ids other than 0 works and kernel overlayfs can mount.

load ../helpers

# The writers and readers; "test" is $FUSE_OVERLAYFS (ours unless told otherwise).
cw_prog() {
    case $1 in
    kernel) echo kernel ;;
    orig) echo "$ORIG_FUSE_OVERLAYFS" ;;
    test) echo "$FUSE_OVERLAYFS" ;;
    esac
}

# cw_in_mount WHO UPPER WORK CMD: in a fresh user+mount namespace, mount WHO with lowerdir=$CW/L and
# UPPER/WORK at $CW/M.WHO, run the bash string CMD there, unmount. Mount failure: status 99; a
# hang ends after CW_TIMEOUT seconds (status 124).
cw_in_mount() {
    local m=$CW/M.$1
    mkdir -p "$2" "$3" "$m"
    CW_PROG=$(cw_prog "$1") CW_MNT=$m CW_CMD=$4 CW_OPTS="lowerdir=$CW/L,upperdir=$2,workdir=$3" \
        timeout --kill-after=5 "${CW_TIMEOUT:-300}" unshare -rm --map-auto bash -c '
        if [ "$CW_PROG" = kernel ]; then
            mount -t overlay overlay -o "$CW_OPTS,userxattr" "$CW_MNT" || exit 99
        else
            "$CW_PROG" -o "$CW_OPTS" "$CW_MNT" 2>"$CW_MNT.err" || { cat "$CW_MNT.err" >&2; exit 99; }
        fi
        trap "cd /; umount \"\$CW_MNT\"" EXIT
        trap "exit 143" TERM
        cd "$CW_MNT" && eval "$CW_CMD"'
}

# The lower tree: files, hard-link pairs, symlinks, an executable, dirs to delete, a nested dir.
cw_make_lower() {
    local l=$CW/L
    mkdir -p "$l"/dir1/sub "$l"/dir2/sub "$l"/nest/deep/er "$l"/mvdir
    echo a >"$l/a"; ln "$l/a" "$l/a_hl"; echo p >"$l/p"; ln "$l/p" "$l/p_hl"
    local f; for f in b c d e f h i t ow re; do echo "$f" >"$l/$f"; done; echo trunc >"$l/tr"
    echo x >"$l/dir1/x"; echo y >"$l/dir1/sub/y"; ln -s ../a "$l/dir1/lnk"
    echo old >"$l/dir2/old"; echo z >"$l/dir2/sub/z"
    echo deep >"$l/nest/deep/er/file"; echo m >"$l/mvdir/m"
    ln -s a "$l/sym"; printf '#!/bin/sh\n' >"$l/exe"; chmod 755 "$l/exe"
    find "$l" -exec touch -h -d '2020-01-02 03:04:05.123456789' {} +
}

# The script of changes, run with cwd at the root of the tree it changes.
export CW_SCRIPT='set -e
echo new >new; mkdir -p newdir/sub; echo ns >newdir/sub/f
echo more >>b
chmod 600 c; chmod 700 nest
chown 1:2 d
rm e
rm -rf dir1
rm -rf dir2; mkdir dir2; echo n >dir2/n
mv f g
mv mvdir moved
mkfifo fifo
setfattr -n user.x -v 1 h
ln -s a newsym
ln i i_hl
echo deep2 >nest/deep/new
touch -d "2021-05-06 07:08:09.5" t
truncate -s 3 tr
echo repl >repl.tmp; mv repl.tmp ow
rm re; echo again >re
'

# The view of the tree at cwd (see the header). user.fuseoverlayfs.origin is left out: fuse-overlayfs
# writes it on copy-up to keep st_ino stable, and the kernel, which does not know that private
# namespace, shows it as an ordinary user xattr; it carries no user data.
export CW_VIEW='find . | LC_ALL=C sort | while read -r p; do
    if [ -d "$p" ] && [ ! -L "$p" ]; then stat -c "%n %F %a %u %g" -- "$p"
    else stat -c "%n %F %a %u %g %s" -- "$p"; fi
    if [ -L "$p" ]; then echo "  -> $(readlink -- "$p")"
    elif [ -f "$p" ]; then sed -n l -- "$p" | sed "s/^/  = /"; fi
    getfattr -h -d -m - --absolute-names -- "$p" 2>/dev/null | grep -v -e "^#" -e "^$" \
        -e "^user.fuseoverlayfs.origin=" | sed "s/^/  x /"
done
for pair in "a a_hl" "p p_hl" "i i_hl"; do
    set -- $pair
    if [ "$(stat -c %i "$1")" = "$(stat -c %i "$2")" ]; then echo "$1 $2 same inode"; else echo "$1 $2 differ"; fi
done
for p in a c d g h i p t sym moved/m nest/deep/er/file; do stat -c "%n mtime %.9Y" "$p"; done'

# Once per file: the lower tree, the expected view, and each writer's upper with its live view.
setup_file() {
    require_binary "$FUSE_OVERLAYFS"
    CW=$BATS_FILE_TMPDIR/cw
    export CW
    mkdir -p "$CW"
    cw_make_lower
    unshare -r --map-auto bash -c 'cp -a "$CW/L" "$CW/E" && cd "$CW/E" && eval "$CW_SCRIPT" && eval "$CW_VIEW"' \
        >"$CW/expected" 2>&1
    local w
    for w in kernel orig test; do
        local rc=0
        cw_in_mount "$w" "$CW/U.$w" "$CW/W.$w" "$CW_SCRIPT
$CW_VIEW" >"$CW/live.$w" 2>&1 || rc=$?
        echo "$rc" >"$CW/rc.$w"
    done
}

# Files owned by subordinate ids and the kernel's mode-000 work/work: remove from the namespace.
teardown_file() {
    [ -n "${CW:-}" ] && [ -d "$CW" ] || return 0
    unshare -r --map-auto sh -c 'chmod -R u+rwx "$CW"; rm -rf "$CW"' 2>/dev/null || true
}

teardown() { teardown_pids; }

# cw_expect_writer WHO: the writer ran the whole script (else show what it printed).
cw_expect_writer() {
    local rc; rc=$(cat "$CW/rc.$1")
    [ "$rc" = 0 ] && return 0
    printf 'writer %s (%s) failed with status %s:\n%s\n' "$1" "$(cw_prog "$1")" "$rc" "$(cat "$CW/live.$1")" >&2
    return 1
}

# cw_is_1_10 WHO: WHO is Debian's fuse-overlayfs 1.10 (the original writer, or $FUSE_OVERLAYFS
# pointed at it).
cw_is_1_10() { [ "$1" != kernel ] && is_original "$(cw_prog "$1")"; }

# cw_drop_1_10_marks: filter a view of a 1.10-written upper read by the kernel. 1.10 marks every
# directory it creates opaque with user.fuseoverlayfs.opaque plus a .wh..wh..opq file (and a 0/0
# .wh..opq device, docs/compat/fuse-overlayfs.md §2.3); the kernel ignores that xattr, so the files of the deleted lower
# dir2 come back, and it shows the xattr and the marker file, and lists .wh..opq in a directory that
# has no lower (which stat then cannot find). Drops exactly those entries (docs/compat/fuse-overlayfs.md §2.11).
cw_drop_1_10_marks() {
    awk '/^\.\// { skip = ($1 ~ /^\.\/dir2\/(old|sub)/ || $1 ~ /\/\.wh\.\.wh\.\.opq$/) }
         /^  x user\.fuseoverlayfs\.opaque="y"$/ { next }
         /^stat: cannot statx .*\/\.wh\.\.opq.: No such file or directory$/ { next }
         /^\.\// || /^  / { if (skip) next }
         { print }'
}

# cw_assert_view VIEW: VIEW equals the expected tree; else show a diff (- expected, + VIEW).
cw_assert_view() {
    local d; d=$(diff -u "$CW/expected" - <<<"$1") && return 0
    printf 'view differs from the expected tree:\n%s\n' "$d" >&2
    return 1
}

# cw_read WRITER READER: mount a fresh copy of WRITER's upper through READER and compare the view.
# A 1.10-written upper read by the kernel differs by 1.10's opaque marks only (cw_drop_1_10_marks).
cw_read() {
    cw_expect_writer "$1"
    local u=$CW/U.$1.$2 w=$CW/W.$1.$2
    unshare -r --map-auto cp -a "$CW/U.$1" "$u"
    run cw_in_mount "$2" "$u" "$w" "$CW_VIEW"
    [ "$status" -eq 0 ] || { echo "reader $2 failed ($status): $output" >&2; return 1; }
    if [ "$2" = kernel ] && cw_is_1_10 "$1"; then
        cw_assert_view "$(cw_drop_1_10_marks <<<"$output")"
    else
        cw_assert_view "$output"
    fi
}

@test "the expected tree: the script applied to a plain copy of the lower" {
    run cat "$CW/expected"
    assert_contains "$output" "./d regular file 644 1 2 2"
    assert_contains "$output" "./fifo fifo"
    assert_contains "$output" "x user.x=\"1\""
    assert_not_contains "$output" "./dir1"
    assert_not_contains "$output" "./dir2/old"
}

@test "kernel overlayfs as writer: its live view is the expected tree" {
    cw_expect_writer kernel
    # The kernel's one quirk: a hard link made through the mount reports the upper inode while the
    # copied-up source keeps its origin's until the next mount (no index); the remount tests check it.
    cw_assert_view "$(sed 's/^i i_hl differ$/i i_hl same inode/' "$CW/live.kernel")"
}

@test "Debian's fuse-overlayfs as writer: its live view is the expected tree" {
    cw_expect_writer orig
    cw_assert_view "$(cat "$CW/live.orig")"
}

@test "\$FUSE_OVERLAYFS as writer: its live view is the expected tree" {
    cw_expect_writer test
    cw_assert_view "$(cat "$CW/live.test")"
}

@test "kernel-written upper, read by kernel overlayfs" { cw_read kernel kernel; }
@test "kernel-written upper, read by Debian's fuse-overlayfs" { cw_read kernel orig; }
@test "kernel-written upper, read by \$FUSE_OVERLAYFS" { cw_read kernel test; }
@test "fuse-overlayfs-written upper, read by kernel overlayfs (apart from 1.10's opaque marks)" { cw_read orig kernel; }
@test "fuse-overlayfs-written upper, read by Debian's fuse-overlayfs" { cw_read orig orig; }
@test "fuse-overlayfs-written upper, read by \$FUSE_OVERLAYFS" { cw_read orig test; }
@test "\$FUSE_OVERLAYFS-written upper, read by kernel overlayfs" { cw_read test kernel; }
@test "\$FUSE_OVERLAYFS-written upper, read by Debian's fuse-overlayfs" { cw_read test orig; }
@test "\$FUSE_OVERLAYFS-written upper, read by \$FUSE_OVERLAYFS" { cw_read test test; }

@test "\$FUSE_OVERLAYFS writes the common format: 0/0 whiteouts, user.overlay.opaque, no .wh. files" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 writes user.fuseoverlayfs.opaque and .wh..wh..opq (docs/compat/fuse-overlayfs.md §2.3)"
    cw_expect_writer test
    local u=$CW/U.test
    local n; for n in e dir1 f mvdir; do
        [ "$(stat -c %F,%t,%T "$u/$n")" = "character special file,0,0" ] || { echo "$n: $(stat -c %F,%t,%T "$u/$n")" >&2; return 1; }
    done
    assert_equal "$(getfattr --absolute-names --only-values -n user.overlay.opaque "$u/dir2")" y
    run find "$u" -name '.wh.*'
    assert_equal "$output" ""
}

@test "chmod and chown of the mount root change the upper root (Podman chowns the merged dir)" {
    run cw_in_mount test "$BATS_TEST_TMPDIR/U" "$BATS_TEST_TMPDIR/W" 'chown 0:0 . && chmod 751 . && stat -c "%a %u:%g" .'
    [ "$status" -eq 0 ] || { echo "status $status: $output" >&2; return 1; }
    assert_equal "$output" "751 0:0"
    assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/U")" 751
    chmod -R u+rwx "$BATS_TEST_TMPDIR/W"
}
