#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# mount.bats — the process contract: live on exit 0, detach, unmount ends it, mountinfo, limits

load ../helpers
load lib

setup() { require_binary "$FUSE_OVERLAYFS"; ovl_setup; echo lower >"$T/L1/f"; }
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; }

@test "in a user namespace: the mount is live when the command returns 0" {
    run unshare -rm bash -c '
        "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M" 2>/dev/null || exit 9
        cat "$T/M/f"            # no polling: it must already be there
        umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "lower"
}

@test "mountinfo in a user namespace: fuse.fuse-overlayfs, source fuse-overlayfs, allow_other" {
    run unshare -rm bash -c '
        "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M" 2>/dev/null || exit 9
        grep -F " $T/M " /proc/self/mountinfo; umount "$T/M"'
    [ "$status" -eq 0 ]
    assert_contains "$output" " - fuse.fuse-overlayfs fuse-overlayfs rw,user_id=0,group_id=0,default_permissions,allow_other"
    assert_contains "$output" "noatime"
}

@test "as a plain user through setuid fusermount3 (no user namespace)" {
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M"
    [ "$status" -eq 0 ]
    local line; line=$(ovl_mountinfo "$T/M")
    assert_contains "$line" "rw,nosuid,nodev,noatime"
    assert_contains "$line" " - fuse.fuse-overlayfs fuse-overlayfs rw,user_id=$(id -u),group_id=$(id -g),default_permissions"
    assert_equal "$(cat "$T/M/f")" "lower"
    fusermount3 -u "$T/M"
    [ -z "$(ovl_mountinfo "$T/M")" ]
}

@test "the daemon detaches: session leader, stdio on /dev/null, cwd /" {
    "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M"
    local pid
    pid=$(fuser -m "$T/M" 2>/dev/null | tr -s ' ' '\n' | grep -v '^$' | head -1 || true)
    if [ -z "$pid" ]; then
        # fuser does not see a FUSE daemon through the mount; find it by its /dev/fuse fd
        for p in $(ls /proc | grep -E '^[0-9]+$'); do
            [ "$(stat -c %u /proc/$p 2>/dev/null)" = "$(id -u)" ] || continue
            if ls -l /proc/$p/fd 2>/dev/null | grep -q /dev/fuse; then
                grep -qF "$T/M" /proc/$p/cmdline 2>/dev/null && pid=$p
            fi
        done
    fi
    [ -n "$pid" ]
    assert_equal "$(readlink /proc/$pid/cwd)" "/"
    assert_equal "$(readlink /proc/$pid/fd/0)" "/dev/null"
    assert_equal "$(readlink /proc/$pid/fd/2)" "/dev/null"
    assert_equal "$(ps -o sid= -p "$pid" | tr -d ' ')" "$pid"
    fusermount3 -u "$T/M"
    wait_until 5 sh -c "! kill -0 $pid"
}

@test "-f stays in the foreground and exits 0 after fusermount3 -u" {
    spawn "$FUSE_OVERLAYFS" -f -o lowerdir="$T/L1" "$T/M"
    local pid=$SPAWNED_PID
    wait_until 5 ovl_is_mounted "$T/M"
    kill -0 "$pid"
    assert_equal "$(cat "$T/M/f")" "lower"
    fusermount3 -u "$T/M"
    local rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ]
}

@test "umount in the user namespace ends the daemon with exit 0" {
    run unshare -rm bash -c '
        "$FUSE_OVERLAYFS" -f -o lowerdir="$T/L1" "$T/M" 2>/dev/null &
        pid=$!
        for i in $(seq 100); do grep -qF " $T/M " /proc/self/mountinfo && break; sleep 0.05; done
        cat "$T/M/f"
        umount "$T/M"
        wait $pid; echo "exit=$?"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "lower
exit=0"
}

@test "without upperdir every write fails with EROFS, yet mountinfo says rw" {
    run ovl_in_mount "lowerdir=$T/L1" '
        touch new 2>&1; echo x 2>&1 >>f; mkdir d 2>&1; rm f 2>&1; ln -s a b 2>&1
        grep -F " $T/M " /proc/self/mountinfo | cut -d" " -f6'
    assert_contains "$output" "touch: cannot touch 'new': Read-only file system"
    assert_contains "$output" "f: Read-only file system"
    assert_contains "$output" "mkdir: cannot create directory"
    assert_contains "$output" "rm: cannot remove 'f': Read-only file system"
    assert_contains "$output" "ln: failed to create symbolic link 'b': Read-only file system"
    assert_contains "$output" "rw,"
    assert_equal "$(cat "$T/L1/f")" "lower"
}

@test "ro is forwarded: the mount is read-only" {
    run ovl_in_mount "lowerdir=$T/L1,ro" 'grep -F " $T/M " /proc/self/mountinfo | cut -d" " -f6'
    [ "$status" -eq 0 ]
    assert_contains "$output" "ro,"
}

@test "RLIMIT_NOFILE soft limit is raised to the hard limit" {
    spawn bash -c 'ulimit -Sn 256; exec "$FUSE_OVERLAYFS" -f -o lowerdir="$T/L1" "$T/M"'
    local pid=$SPAWNED_PID
    wait_until 5 ovl_is_mounted "$T/M"
    local soft hard
    read -r soft hard < <(awk '/Max open files/ {print $4, $5}' /proc/$pid/limits)
    [ "$soft" = "$hard" ]
    [ "$soft" != 256 ]
    fusermount3 -u "$T/M"
}

@test "SIGUSR1 prints the inode and node counts on stderr" {
    spawn "$FUSE_OVERLAYFS" -f -o lowerdir="$T/L1" "$T/M"
    local pid=$SPAWNED_PID log=$SPAWNED_LOG
    wait_until 5 ovl_is_mounted "$T/M"
    cat "$T/M/f" >/dev/null
    kill -USR1 "$pid"
    wait_until 5 grep -q '^# NODES: ' "$log"
    grep -Eq '^# INODES: [0-9]+$' "$log"
    grep -Eq '^# NODES: [0-9]+$' "$log"
    kill -0 "$pid"
    fusermount3 -u "$T/M"
}

@test "a failure before mounting leaves no mount and exit 1" {
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1",upperdir="$T/nope",workdir="$T/W" "$T/M"
    [ "$status" -eq 1 ]
    [ -z "$(ovl_mountinfo "$T/M")" ]
}

@test "workdir is created 0700 with a work/ directory inside" {
    skip_if_original "$FUSE_OVERLAYFS" "checked against 1.16's code; 1.10 agrees but is not the pin"
    run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W2" 'cat f'
    [ "$status" -eq 0 ]
    assert_equal "$(stat -c %a "$T/W2")" "700"
    [ -d "$T/W2/work" ]
}
