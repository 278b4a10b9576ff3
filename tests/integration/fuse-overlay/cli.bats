#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cli.bats — fuse-overlayfs' command line: version, help, errors with exit 1 and no mount left

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$FUSE_OVERLAYFS"; ovl_setup; }
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

@test "--version prints 'fuse-overlayfs: version' and the FUSE library version on stdout" {
    run --separate-stderr "$FUSE_OVERLAYFS" --version
    [ "$status" -eq 0 ]
    assert_contains "$output" "fuse-overlayfs: version "
    assert_contains "$output" "FUSE library version 3."
    assert_contains "$output" "using FUSE kernel interface version"
    # our first own line is the version line (fusermount3's child line may come first on a pipe)
    [ "$(grep -v '^fusermount3' <<<"$output" | head -1 | cut -d' ' -f1-2)" = "fuse-overlayfs: version" ]
}

@test "-V is --version" {
    run "$FUSE_OVERLAYFS" -V
    [ "$status" -eq 0 ]
    assert_contains "$output" "fuse-overlayfs: version "
}

@test "-h prints the usage line and libfuse's options, exit 0" {
    run "$FUSE_OVERLAYFS" -h
    [ "$status" -eq 0 ]
    assert_contains "$output" "usage: $FUSE_OVERLAYFS [options] <mountpoint>"
    assert_contains "$output" "-o allow_other"
}

@test "no mountpoint: 'fuse-overlayfs: no mountpoint specified', exit 1" {
    run --separate-stderr "$FUSE_OVERLAYFS"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: no mountpoint specified"
}

@test "missing lowerdir: 'cannot read lower dirs', exit 1, nothing mounted" {
    run --separate-stderr "$FUSE_OVERLAYFS" "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: cannot read lower dirs: No such file or directory"
    [ -z "$(ovl_mountinfo "$T/M")" ]
}

@test "a lowerdir that does not exist gives upstream's three lines" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/nope" "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "cannot resolve path $T/nope
cannot load store (null) at $T/nope
fuse-overlayfs: cannot read lower dirs: No such file or directory"
    [ -z "$(ovl_mountinfo "$T/M")" ]
}

@test "upperdir without workdir: 'workdir not specified'" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",upperdir="$T/U" "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: workdir not specified"
}

@test "an upperdir that does not exist: 'cannot retrieve path for'" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",upperdir="$T/nope",workdir="$T/W" "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: cannot retrieve path for $T/nope: No such file or directory"
}

@test "a bad mapping: 'invalid mapping specified: 0:1'" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",uidmapping=0:1 "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: invalid mapping specified: 0:1"
}

@test "redirect_dir=on is refused" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",redirect_dir=on "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: fuse-overlayfs only supports redirect_dir=off"
}

@test "a non-numeric integer option: libfuse's line, then 'error parsing options'" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",threaded=x "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse: invalid parameter in option \`threaded=x'
fuse-overlayfs: error parsing options"
}

@test "xattr_permissions=3 is refused (1.16)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 accepts any xattr_permissions value"
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",xattr_permissions=3 "$T/M"
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "fuse-overlayfs: invalid value for xattr_permissions"
}

@test "a mountpoint that does not exist: libfuse's line, then 'cannot mount'" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/nope"
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "fuse: failed to access mountpoint $T/nope: No such file or directory"
    assert_contains "$stderr" "fuse-overlayfs: cannot mount: No such file or directory"
}

@test "kernel_cache is rejected by libfuse3: 'cannot create FUSE session', no mount left" {
    run --separate-stderr "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",kernel_cache "$T/M"
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "fuse: unknown option(s): \`-o kernel_cache'"
    assert_contains "$stderr" "fuse-overlayfs: cannot create FUSE session"
    [ -z "$(ovl_mountinfo "$T/M")" ]
}

@test "unknown keys are warned and the mount goes on (exit 0)" {
    echo hi >"$T/L1/f"
    run ovl_in_mount "lowerdir=$T/L1,bogus=1,rw,index=off" 'cat f; cat "$T/mount.err"'
    [ "$status" -eq 0 ]
    assert_contains "$output" "hi"
    assert_contains "$output" "unknown argument ignored: bogus=1"
    assert_contains "$output" "unknown argument ignored: rw"
    assert_contains "$output" "unknown argument ignored: index=off"
}

@test "SOURCE before the mountpoint, repeated -o and -oOPT all work" {
    echo a >"$T/L1/a"
    T=$T run unshare -rm bash -c '
        "$FUSE_OVERLAYFS" overlay "$T/M" -o lowerdir="$T/L1" -oupperdir="$T/U" -o workdir="$T/W" 2>/dev/null || exit 9
        cat "$T/M/a"; umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "a"
}

@test "lowerdir with an escaped colon (1.15+)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 has no \\: escape in lowerdir"
    mkdir -p "$T/low:1"
    echo colon >"$T/low:1/c"
    run ovl_in_mount "lowerdir=$T/low\\\\:1" 'cat c'
    [ "$status" -eq 0 ]
    assert_equal "$output" "colon"
}
