#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# confinement.bats — issue 12: nothing a process inside the mount does (nor a symlink swapped into
# the upper dir under a live mount, nor a crafted redirect/origin xattr) reaches a file outside the
# layer roots. Two canary trees, one beside the layers and one above the test dir, must keep their
# contents, modes, xattrs and mtimes after every test.
#
# Layout: the layers live in $T/lay/{U,W,L1}; the canaries in $T/outside and $ABOVE. Symlinks
# planted by the tests say "../../outside" (or "../../../above"): from the upper root they reach the
# canaries, from the mountpoint $T/M they name nothing, so only an overlay that follows a symlink
# inside a layer path can touch a canary.

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    L=$T/lay
    ABOVE=$BATS_TEST_TMPDIR/above
    mkdir -p "$L"/{U,W,L1/d} "$T/outside/sub" "$ABOVE/sub"
    echo lower >"$L/L1/lf"; echo df >"$L/L1/d/f"
    for c in "$T/outside" "$ABOVE"; do
        echo canary >"$c/victim"; echo canary >"$c/f"; echo canary >"$c/x"; echo deep >"$c/sub/f"
        chmod 640 "$c/victim"
        touch -d 2001-01-01 "$c"/victim "$c"/f "$c"/x "$c"/sub/f "$c"/sub "$c"
    done
    echo canary >"$T/x"; touch -d 2001-01-01 "$T/x" # what "../../x" names from a layer root
    OPTS="lowerdir=$L/L1,upperdir=$L/U,workdir=$L/W"
    export L ABOVE OPTS
    canary_state >"$BATS_TEST_TMPDIR/canary.before"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

# Everything observable about the canaries: names, types, sizes, modes, mtimes, contents, xattrs.
canary_state() {
    local d
    for d in "$T/outside" "$ABOVE"; do
        find "$d" -printf '%p %y %s %m %T@\n' | sort
        find "$d" -type f -exec md5sum {} + | sort
        getfattr -R -d -m - "$d" 2>/dev/null || true
    done
    stat -c '%n %s %a %Y' "$T/x"
    md5sum "$T/x"
    getfattr -d -m - "$T/x" 2>/dev/null || true
}

# ovl_in_mount with fd 3 (the chain's open file) closed at the end, so that the unmount succeeds.
in_mount() { ovl_in_mount "$1" "$2
exec 3<&-"; }

assert_canaries_intact() {
    canary_state >"$BATS_TEST_TMPDIR/canary.after"
    diff -u "$BATS_TEST_TMPDIR/canary.before" "$BATS_TEST_TMPDIR/canary.after"
}

# The chain from issue 12 up to the point where fd 3's node answers to "a/victim" and "a" in upper
# is a symlink out of the layer ("../../outside" from the upper root). $1 removes f's own name.
chain_prefix() {
    local remove_f=${1:-rm f}
    echo "touch f; exec 3<f; mkdir a; ln f a/victim; mv a b; ln -s b a; $remove_f
          rm a; ln -s ../../outside a"
}

@test "the issue's chain: writing through the open fd leaves the host file alone" {
    run in_mount "$OPTS" "$(chain_prefix); echo pwned >/proc/self/fd/3; echo rc=\$?; cat b/victim"
    echo "$output"
    [ "$status" -eq 0 ]
    assert_canaries_intact
    if ! is_original "$FUSE_OVERLAYFS"; then
        # Ours serves the node from its remaining hard link, wherever its directory moved.
        [[ "$output" == *"rc=0"*"pwned"* ]]
        assert_equal "$(cat "$L/U/b/victim")" pwned
    fi
}

@test "the chain towards a canary above the test dir" {
    run in_mount "$OPTS" "touch f; exec 3<f; mkdir a; ln f a/victim; mv a b; ln -s b a; rm f
        rm a; ln -s ../../../above a; echo pwned >/proc/self/fd/3; : >/proc/self/fd/3; true"
    [ "$status" -eq 0 ]
    assert_canaries_intact
}

@test "the chain, then read, truncate, chmod, chown, touch and setxattr through the fd" {
    run in_mount "$OPTS" "$(chain_prefix)
        cat /proc/self/fd/3; truncate -s 0 /proc/self/fd/3; chmod 777 /proc/self/fd/3
        chown 0:0 /proc/self/fd/3; touch -d 2010-01-01 /proc/self/fd/3
        setfattr -n user.pwned -v 1 /proc/self/fd/3; true"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" != *canary* ]]
    assert_canaries_intact
}

@test "the chain with the first name replaced by rename over it" {
    run in_mount "$OPTS" "touch g; $(chain_prefix 'mv g f; rm f'); echo pwned >/proc/self/fd/3
        cat /proc/self/fd/3; true"
    [ "$status" -eq 0 ]
    [[ "$output" != *canary* ]]
    assert_canaries_intact
}

@test "the chain with rename over the alias directory's new name" {
    run in_mount "$OPTS" "touch f; exec 3<f; mkdir a c; ln f a/victim; mv a b; mv c b 2>/dev/null
        mv b e; ln -s e a; rm f; rm a; ln -s ../../outside a; ln -s ../../outside b
        echo pwned >/proc/self/fd/3; true"
    [ "$status" -eq 0 ]
    assert_canaries_intact
}

@test "metacopy=on: a data copy-up through a swapped alias stays in the layers" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy support"
    run in_mount "$OPTS,metacopy=on" "chmod 600 lf; exec 3<lf; mkdir a; ln lf a/victim
        mv a b; ln -s b a; rm lf; rm a; ln -s ../../outside a; echo pwned >>/proc/self/fd/3
        cat /proc/self/fd/3"
    echo "$output"
    [ "$status" -eq 0 ]
    assert_equal "$output" "lower
pwned"
    assert_canaries_intact
}

@test "copy-up of a lower file whose parent in upper was swapped for a symlink" {
    # d is copied up (a new file in it), then replaced in the upper dir by a symlink out of it.
    skip_if_original "$FUSE_OVERLAYFS" "1.10 follows a symlink planted in the upper dir under a live mount (it truncates and writes the canaries)"
    run in_mount "$OPTS" 'touch d/new; ls d >/dev/null
        mv "$L/U/d" "$L/U/d.real"; ln -s ../../outside "$L/U/d"
        echo pwned >>d/f; cat d/f; touch d/victim; chmod 777 d/f; ls d; true'
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" != *canary* ]]
    assert_canaries_intact
}

@test "copy-up of a lower file whose parent never reached upper, planted as a symlink there" {
    run in_mount "$OPTS" 'cat d/f >/dev/null; ln -s ../../outside "$L/U/d"
        echo pwned >>d/f; setfattr -n user.pwned -v 1 d/f; mkdir d/sub2; true'
    [ "$status" -eq 0 ]
    assert_canaries_intact
}

@test "a crafted overlay.redirect or origin of ../../x in an upper file is refused" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy/redirect support (the xattrs are inert there)"
    : >"$L/U/m"; : >"$L/U/o"
    truncate -s 7 "$L/U/m"
    setfattr -n user.overlay.metacopy "$L/U/m"
    setfattr -n user.overlay.redirect -v ../../x "$L/U/m"
    setfattr -n user.fuseoverlayfs.origin -v ../../x "$L/U/o"
    run in_mount "$OPTS,metacopy=on" 'cat m; echo pwned >>m; cat m; stat -c %i o; echo pwned >>o; true'
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" != *canary* ]]
    assert_canaries_intact
}

@test "an absolute redirect naming a host path is refused" {
    skip_if_original "$FUSE_OVERLAYFS" "no metacopy/redirect support (the xattrs are inert there)"
    truncate -s 7 "$L/U/m"
    setfattr -n user.overlay.metacopy "$L/U/m"
    setfattr -n user.overlay.redirect -v "$T/outside/victim" "$L/U/m"
    run in_mount "$OPTS,metacopy=on" 'cat m; echo pwned >>m; true'
    [ "$status" -eq 0 ]
    [[ "$output" != *canary* ]]
    assert_canaries_intact
}

@test "race: a directory swapped for a symlink while another loop writes through it (20 s)" {
    skip_if_original "$FUSE_OVERLAYFS" "1.10 loses this race (a chmod through the swapped upper dir reaches the canary)"
    # Loop A swaps d for a symlink out of the layer, in turn inside the mount and directly in the
    # upper dir; loop B opens, writes and reads d/f and d/new through the mount meanwhile.
    run in_mount "$OPTS" '
        mkdir -p e; echo e >e/f; touch d/new
        end=$((SECONDS + 20))
        ( while [ $SECONDS -lt $end ]; do
              mv d d.tmp 2>/dev/null && ln -s ../../outside d 2>/dev/null; rm -f d; mv d.tmp d 2>/dev/null
              mv "$L/U/d" "$L/U/d.host" 2>/dev/null && ln -s ../../outside "$L/U/d" 2>/dev/null
              sleep 0.001; rm -f "$L/U/d"; mv "$L/U/d.host" "$L/U/d" 2>/dev/null
          done ) &
        a=$!
        n=0
        while [ $SECONDS -lt $end ]; do
            { echo pwned >>d/f; echo pwned >d/victim; : >d/x; cat d/f; chmod 777 d/f; } 2>/dev/null
            n=$((n + 1))
        done >/dev/null
        wait $a
        echo "iterations=$n"'
    echo "$output"
    [ "$status" -eq 0 ]
    assert_canaries_intact
}
