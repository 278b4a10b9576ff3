#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# write-data.bats — the data/attribute half of the write side (issue 7): copy-up on write, what it
# keeps, setattr, xattrs, fallocate, copy_file_range, fsync, threaded writers, and a daemon killed
# in the middle of a copy-up. Passes for ours and for Debian's fuse-overlayfs 1.10.

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    mkdir -p "$T/L1/d/e"
    echo lower >"$T/L1/d/e/f"
    echo keep >"$T/L1/k"
    printf 'abcdefghij' >"$T/L1/ten"
    touch -d '2020-01-02 03:04:05' "$T/L1/k" "$T/L1/d/e/f"
    OPTS="lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W"
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

@test "writing a lower file copies it up with its parents; the lower file is untouched" {
    run ovl_in_mount "$OPTS" 'echo more >>d/e/f; cat d/e/f'
    [ "$status" -eq 0 ]
    assert_equal "$output" "lower
more"
    assert_equal "$(cat "$T/L1/d/e/f")" "lower"
    assert_equal "$(cat "$T/U/d/e/f")" "lower
more"
    [ -d "$T/U/d/e" ]
    # the origin xattr, as the original writes it: the path, NUL-terminated
    assert_equal "$(getfattr --only-values -n user.fuseoverlayfs.origin "$T/U/d/e/f" | od -An -c | tr -s ' ')" " d / e / f \0"
}

@test "copy-up keeps mode, times, user xattrs and the inode number" {
    chmod 640 "$T/L1/k"; setfattr -n user.color -v blue "$T/L1/k"
    touch -d '2020-01-02 03:04:05' "$T/L1/k"
    ino=$(stat -c %i "$T/L1/k")
    run ovl_in_mount "$OPTS" 'setfattr -n user.other -v 1 k; stat -c "%a %Y %i" k; getfattr --only-values -n user.color k; echo'
    [ "$status" -eq 0 ]
    assert_equal "$output" "640 $(date -d '2020-01-02 03:04:05' +%s) $ino
blue"
    assert_equal "$(stat -c '%a %Y' "$T/U/k")" "640 $(date -d '2020-01-02 03:04:05' +%s)"
    assert_equal "$(getfattr --only-values -n user.other "$T/U/k")" "1"
}

@test "O_TRUNC, truncate -s and dd conv=notrunc change only the upper copy" {
    run ovl_in_mount "$OPTS" 'echo new >k; truncate -s 3 ten; printf XY | dd of=d/e/f bs=1 seek=1 conv=notrunc status=none; cat k ten d/e/f'
    [ "$status" -eq 0 ]
    assert_equal "$output" "new
abclXYer"
    assert_equal "$(cat "$T/L1/k" "$T/L1/ten")" "keep
abcdefghij"
}

@test "chmod, touch and chown copy up and change the upper copy; the mode shows in the mount" {
    run ovl_in_mount "$OPTS" 'chmod 600 k; touch -d "2001-02-03 04:05:06" ten; chown 0:0 d/e/f; stat -c "%a" k; stat -c %Y ten'
    [ "$status" -eq 0 ]
    assert_equal "$output" "600
$(date -d '2001-02-03 04:05:06' +%s)"
    assert_equal "$(stat -c %a "$T/U/k")" "600"
    assert_equal "$(stat -c %a "$T/L1/k")" "644"
    # chmod alone still copies the data (no metacopy without -o metacopy=on, as the original)
    assert_equal "$(cat "$T/U/k")" "keep"
    [ -f "$T/U/d/e/f" ]
}

@test "as a plain user (no user namespace), touch copies up a read-only lower file and keeps its mode" {
    chmod 444 "$T/L1/k"
    "$FUSE_OVERLAYFS" -o "$OPTS" "$T/M"
    run touch "$T/M/k"
    local shown; shown=$(stat -c %a "$T/M/k")
    fusermount3 -u "$T/M"
    [ "$status" -eq 0 ]
    assert_equal "$(cat "$T/U/k")" "keep"
    # Debian's 1.10 adds u+w to the copy (644); the kernel and we keep the lower mode.
    is_original "$FUSE_OVERLAYFS" || assert_equal "$shown" "444"
}

@test "user xattrs pass through and copy up; the overlay's own are refused with EPERM" {
    run ovl_in_mount "$OPTS" 'setfattr -n user.foo -v bar k && getfattr --only-values -n user.foo k; echo
        for n in user.fuseoverlayfs.evil trusted.overlay.opaque; do
            setfattr -n $n -v y ten 2>&1 | grep -c "Operation not permitted"; done
        setfattr -x user.foo k; getfattr -n user.foo k 2>&1 | grep -c "No such attribute"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "bar
1
1
1"
    [ ! -e "$T/U/ten" ] || [ -z "$(getfattr -d "$T/U/ten" 2>/dev/null | grep -v origin | grep =)" ]
}

@test "fallocate and copy_file_range write into the upper copy" {
    run ovl_in_mount "$OPTS" 'fallocate -l 1M ten; stat -c %s ten
        python3 -c "
import os
a = os.open(\"k\", os.O_RDONLY); b = os.open(\"d/e/f\", os.O_WRONLY)
print(os.copy_file_range(a, b, 4, 0, 0))"
        cat d/e/f'
    [ "$status" -eq 0 ]
    assert_equal "$output" "1048576
4
keepr"
    assert_equal "$(stat -c %s "$T/L1/ten")" "10"
}

# fsync_calls FILE: how many fsync/fdatasync calls the strace log FILE holds.
fsync_calls() { grep -cE '^[0-9]+ +(fsync|fdatasync)\(' "$1" || true; }

@test "fsync and fdatasync reach the upper file; fsync=0 makes them no-ops" {
    command -v strace >/dev/null || skip "strace not installed"
    echo u >"$T/U/u" # already in the upper layer: no copy-up in the way
    local py='python3 -c "import os
fd = os.open(\"u\", os.O_RDWR | os.O_APPEND); os.write(fd, b\"x\\n\"); os.fsync(fd); os.fdatasync(fd)
d = os.open(\".\", os.O_RDONLY); os.fsync(d); print(\"ok\")"; cat u'
    run ovl_fg_in_mount "$OPTS" "$py" strace -f -qq -e trace=fsync,fdatasync -o "$T/strace.on"
    [ "$status" -eq 0 ] || { echo "$output"; cat "$T/mount.err"; return 1; }
    assert_equal "$output" "ok
u
x"
    # the daemon synced the upper file (and directory): at least the two file syncs
    [ "$(fsync_calls "$T/strace.on")" -ge 2 ] || { cat "$T/strace.on" >&2; return 1; }
    run ovl_fg_in_mount "$OPTS,fsync=0" "$py" strace -f -qq -e trace=fsync,fdatasync -o "$T/strace.off"
    [ "$status" -eq 0 ]
    assert_equal "$output" "ok
u
x
x"
    # with fsync=0 no sync call reaches the upper layer, yet the data is there
    [ "$(fsync_calls "$T/strace.off")" -eq 0 ] || { cat "$T/strace.off" >&2; return 1; }
    assert_equal "$(cat "$T/U/u")" "u
x
x"
}

@test "an open file keeps its data after its name is unlinked, apart from a new file of that name" {
    run ovl_in_mount "$OPTS" '
        python3 -c "
import os
fd = os.open(\"k\", os.O_RDWR); os.unlink(\"k\")
os.pwrite(fd, b\"KEPT\", 0); os.write(os.open(\"k\", os.O_WRONLY | os.O_CREAT, 0o644), b\"new\\n\")
print(os.pread(fd, 100, 0)); print(os.fstat(fd).st_size); os.fsync(fd)
# O_DIRECT: read by the daemon from the file it holds, not from the page cache
again = os.open(\"/proc/self/fd/%d\" % fd, os.O_RDONLY | os.O_DIRECT); print(os.read(again, 100))
os.close(fd); os.close(again)"
        cat k'
    [ "$status" -eq 0 ]
    assert_equal "$output" "b'KEPT\\n'
5
b'KEPT\\n'
new"
    assert_equal "$(cat "$T/L1/k")" "keep"
    assert_equal "$(cat "$T/U/k")" "new"
}

@test "threaded=1 serves parallel writers to different files" {
    run ovl_in_mount "$OPTS,threaded=1" '
        for j in 1 2 3 4; do (for i in $(seq 50); do echo "$j.$i" >>"w$j"; done; echo "$j" >>ten) & done; wait
        cat w1 w2 w3 w4 | wc -l; head -c 10 ten; echo; tail -n +1 ten | wc -l'
    [ "$status" -eq 0 ]
    assert_equal "$output" "200
abcdefghij
4"
}

@test "a daemon killed during the copy-up of a large file leaves the lower file intact and nothing half-written" {
    head -c 400M /dev/zero >"$T/L1/big"
    sum=$(md5sum <"$T/L1/big")
    OVL_OPTS=$OPTS unshare -rm bash -c '
        "$FUSE_OVERLAYFS" -f -o "$OVL_OPTS" "$T/M" 2>"$T/mount.err" & d=$!
        for i in $(seq 200); do grep -qF " $T/M " /proc/self/mountinfo && break; sleep 0.05; done
        (echo x >>"$T/M/big") 2>/dev/null & w=$!
        for i in $(seq 2000); do [ -n "$(ls -A "$T/W/work" 2>/dev/null)" ] && break; sleep 0.005; done
        kill -9 $d; wait $d; umount -l "$T/M"; wait $w
        true' 3>&-
    assert_equal "$(md5sum <"$T/L1/big")" "$sum"
    # what upper holds is absent or a complete copy, never a partial one
    if [ -e "$T/U/big" ]; then [ "$(stat -c %s "$T/U/big")" -ge 419430400 ]; fi
    run ovl_in_mount "$OPTS" 'stat -c %s big; ls -A "$T/W/work" | wc -l'
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[0]}" -ge 419430400 ]
}

@test "flock and POSIX locks exclude another open, single- and multi-threaded" {
    for opt in "" ",threaded=1"; do
        run ovl_in_mount "$OPTS$opt" '
            exec 7<>k; flock -x 7
            flock -n -x k true && echo "flock not excluded"
            python3 -c "
import fcntl, os
fd = os.open(\"ten\", os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX)
pid = os.fork()
if pid == 0:
    g = os.open(\"ten\", os.O_RDWR)
    try:
        fcntl.lockf(g, fcntl.LOCK_EX | fcntl.LOCK_NB); print(\"posix not excluded\", flush=True)
    except OSError: print(\"excluded\", flush=True)
    os._exit(0)
os.waitpid(pid, 0)"
            flock -u 7; flock -n -x k echo free; exec 7>&-'
        [ "$status" -eq 0 ]
        assert_equal "$output" "excluded
free"
    done
}

@test "chown through uidmapping/gidmapping stores the disk ids (§2.9)" {
    echo x >"$T/L1/f2"
    OVL_OPTS="$OPTS,uidmapping=0:1:1:1:0:1,gidmapping=0:1:1:1:0:1" run unshare -rm --map-auto bash -c '
        "$FUSE_OVERLAYFS" -o "$OVL_OPTS" "$T/M" 2>"$T/mount.err" || { cat "$T/mount.err"; exit 99; }
        stat -c "%u:%g" "$T/M/f2"; chown 0:0 "$T/M/f2"; stat -c "%u:%g" "$T/M/f2"
        chown 1:1 "$T/M/k"; stat -c "%u:%g" "$T/M/k"
        umount "$T/M"; stat -c "%u:%g" "$T/U/f2" "$T/U/k"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "1:1
0:0
1:1
1:1
0:0"
}
