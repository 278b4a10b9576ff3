#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# interop.bats — an upper layer written by kernel overlayfs (userxattr) reads identically

load ../helpers
load lib

setup() { require_binary "$FUSE_OVERLAYFS"; ovl_setup; }
# The kernel leaves work/work mode 000; make it removable for bats' cleanup.
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; chmod -R u+rwx "$T/W" 2>/dev/null || true; }

# The view of a tree: every path with its type and size, then every regular file's content.
export view='find . | LC_ALL=C sort | while read -r p; do
          [ -L "$p" ] && t=l || { [ -d "$p" ] && t=d || t=f; }
          echo "$p $t"; [ "$t" = f ] && cat "$p"; done; true'

@test "a kernel-written upper (whiteouts, opaque dir) merges the same through fuse-overlay" {
    mkdir -p "$T/L1/dir2" "$T/L1/dir1/sub" "$T/W"
    echo a >"$T/L1/a"; echo b >"$T/L1/b"; echo f2 >"$T/L1/dir2/f2"; echo s >"$T/L1/dir1/sub/s"
    ln -s b "$T/L1/lnk"
    run ovl_kernel_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W" '
        set -e
        rm a; rm -rf dir2; mkdir dir2; echo new >dir2/new; echo changed >b; rm dir1/sub/s
        mkdir newdir; echo n >newdir/n
        eval "$view"'
    [ "$status" -eq 0 ]
    local kernel=$output
    # what the kernel left behind is the common format: 0/0 whiteouts, user.overlay.opaque
    [ "$(stat -c %t,%T "$T/U/a")" = "0,0" ]
    [ "$(getfattr --absolute-names --only-values -n user.overlay.opaque "$T/U/dir2")" = y ]
    run ovl_in_mount "lowerdir=$T/U:$T/L1" "$view"
    [ "$status" -eq 0 ]
    assert_equal "$output" "$kernel"
}

@test "lower layers of the AUFS format (containers/storage) read as the kernel would read 0/0 ones" {
    mkdir -p "$T/L2/d" "$T/L1/d" "$T/K2/d" "$T/K1/d"
    for l in L2 K2; do echo x >"$T/$l/x"; echo y >"$T/$l/d/y"; echo z >"$T/$l/d/z"; done
    touch "$T/L1/.wh.x" "$T/L1/d/.wh..wh..opq"; echo w >"$T/L1/d/w"
    mknod "$T/K1/x" c 0 0; setfattr -n user.overlay.opaque -v y "$T/K1/d"; echo w >"$T/K1/d/w"
    run ovl_kernel_in_mount "lowerdir=$T/K1:$T/K2" "$view"
    [ "$status" -eq 0 ]
    local kernel=$output
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" "$view"
    [ "$status" -eq 0 ]
    assert_equal "$output" "$kernel"
}
