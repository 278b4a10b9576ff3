#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# robust.bats — malformed layer content costs one errno, never the mount; threaded and timeout=0

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    echo good >"$T/L1/good"
    mkdir -p "$T/L1/d"
    for i in $(seq 200); do echo "$i" >"$T/L1/d/f$i"; done
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; chmod -R u+rwx "$T/L1" 2>/dev/null || true; }

@test "a malformed override_stat fails that file only; the mount keeps serving" {
    # the override layer (L2) on top; d comes from L1, which is not in override mode
    mkdir -p "$T/L2"; echo bad >"$T/L2/bad"; echo good2 >"$T/L2/good2"
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:40755 "$T/L2"
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:100644 "$T/L2/good2"
    setfattr -n user.fuseoverlayfs.override_stat -v garbage "$T/L2/bad"
    run ovl_in_mount "lowerdir=$T/L2:$T/L1" 'stat bad >/dev/null 2>&1 && echo "bad ok"; cat good2 good; ls d | wc -l'
    [ "$status" -eq 0 ]
    assert_equal "$output" "good2
good
200"
}

@test "a dangling origin xattr keeps the file readable" {
    mkdir -p "$T/L2"
    setfattr -n user.fuseoverlayfs.origin -v does/not/exist "$T/L1/good"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'cat good; stat -c %i good'
    [ "$status" -eq 0 ]
    assert_equal "$output" "good
$(stat -c %i "$T/L1/good")"
}

@test "an unreadable lower directory gives EACCES there and nowhere else (plain user)" {
    mkdir -p "$T/L1/locked"; echo s >"$T/L1/locked/s"; chmod 000 "$T/L1/locked"
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M"
    [ "$status" -eq 0 ]
    run ls "$T/M/locked"
    [ "$status" -ne 0 ]
    assert_contains "$output" "Permission denied"
    assert_equal "$(cat "$T/M/good")" "good"
    assert_equal "$(ls "$T/M" | tr '\n' ' ')" "d good locked "
    fusermount3 -u "$T/M"
}

@test "threaded=1 serves parallel readers from a pool of worker threads; the default from one" {
    # after four readers at once, the daemon has its main thread and more than one worker
    local cmd='for j in 1 2 3 4; do (cat d/f* | md5sum >"$T/sum.$j") & done; wait
        cat "$T"/sum.* | sort -u | wc -l; cat d/f* | md5sum; ls /proc/$OVL_PID/task | wc -l'
    run ovl_fg_in_mount "lowerdir=$T/L1,threaded=1" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "${lines[0]}" 1
    assert_equal "${lines[1]}" "$(cat "$T"/L1/d/f* | md5sum)"
    [ "${lines[2]}" -ge 3 ] || { echo "threads: ${lines[2]}" >&2; return 1; }
    run ovl_fg_in_mount "lowerdir=$T/L1" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "${lines[1]}" "$(cat "$T"/L1/d/f* | md5sum)"
    assert_equal "${lines[2]}" 1
}

@test "timeout=0 serves the same view and caches nothing: a change made in the upper layer shows at once" {
    run ovl_in_mount "lowerdir=$T/L1,timeout=0" 'cat good; ls d | wc -l; stat -c %h d'
    [ "$status" -eq 0 ]
    assert_equal "$output" "good
200
2"
    echo u >"$T/U/u"; chmod 644 "$T/U/u"
    local cmd='stat -c %a u; cat n 2>/dev/null || echo no-n
        chmod 600 "$T/U/u"; echo n >"$T/U/n"
        stat -c %a u; cat n 2>/dev/null || echo no-n'
    run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W,timeout=0" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "$output" "644
no-n
600
n"
    # the positive control: by default the kernel keeps what it was told (mode and the negative entry)
    chmod 644 "$T/U/u"; rm "$T/U/n"
    run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "$output" "644
no-n
644
no-n"
}
