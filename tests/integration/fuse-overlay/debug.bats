#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# debug.bats — -d / -o debug: upstream's option lines ("lowerdir=…") and per-op trace lines
# ("ovl_lookup(parent=1, name=f)") on stderr, in the foreground; none without debug. --debug alone
# detaches as the original 1.10 does (libfuse's -d implies -f, its --debug does not). Upstream's inode numbers are node addresses, so
# only root-relative lines are matched literally and the rest by pattern.

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    echo lower >"$T/L1/f"
}
teardown() { teardown_pids; }

# start_daemon ARGS…: $FUSE_OVERLAYFS ARGS over L1 and U, in its own user+mount namespace, with
# its stderr in $T/stderr and stdout in $SPAWNED_LOG; sets DAEMON and waits for the mount.
start_daemon() {
    spawn bash -c 'err=$1; shift; exec unshare -rm "$@" 2>"$err"' _ "$T/stderr" \
        "$FUSE_OVERLAYFS" "$@" -o lowerdir="$T/L1",upperdir="$T/U",workdir="$T/W" "$T/M"
    DAEMON=$SPAWNED_PID
    wait_until 10 grep -qF " $T/M " "/proc/$DAEMON/mountinfo" || { cat "$T/stderr" >&2; return 1; }
}

# in_daemon_ns CMD: run the bash string CMD with cwd $T/M in the daemon's namespaces.
in_daemon_ns() {
    nsenter --preserve-credentials -U -m -t "$DAEMON" -- bash -c 'cd "$T/M" && eval "$1"' _ "$1"
}

# daemon_exited: true once DAEMON is gone or a zombie (it is our child; `wait` reaps it).
daemon_exited() {
    ! kill -0 "$DAEMON" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$DAEMON/status"
}

# stop_daemon: unmount inside the namespace, then check the daemon left with exit 0.
stop_daemon() {
    in_daemon_ns 'cd /; umount "$T/M"'
    wait_until 10 daemon_exited
    local rc=0
    wait "$DAEMON" || rc=$?
    [ "$rc" -eq 0 ]
}

# The operations every test does: lookup, getattr, readdir, read, create+write, mkdir, rename, unlink.
do_ops() {
    in_daemon_ns 'stat . >/dev/null; stat f >/dev/null; ls >/dev/null; cat f >/dev/null
        echo new >g; mkdir d; mv g h; rm h'
}

# assert_line_matches ERE TEXT: some line of TEXT matches ^ERE$.
assert_line_matches() {
    grep -Eq "^$1\$" <<<"$2" && return 0
    printf 'expected a line matching:\n  %s\nin:\n%s\n' "$1" "$2" >&2
    return 1
}

# assert_trace_lines: the lines upstream prints for do_ops (same in 1.10 and in upstream's main).
assert_trace_lines() {
    local err; err=$(cat "$T/stderr")
    assert_contains "$err" "ovl_lookup(parent=1, name=f)"
    assert_contains "$err" "ovl_getattr(ino=1)"
    assert_contains "$err" "ovl_opendir(ino=1)"
    assert_contains "$err" "ovl_releasedir(ino=1)"
    assert_contains "$err" "ovl_lookup(parent=1, name=g)"
    assert_contains "$err" "ovl_create(parent=1, name=g)"
    assert_contains "$err" "ovl_rename(ino=1, name=g , ino=1, name=h)"
    assert_contains "$err" "ovl_unlink(parent=1, name=h)"
    assert_line_matches 'ovl_readdir(plus)?\(ino=1, size=[0-9]+, offset=0\)' "$err"
    assert_line_matches 'ovl_open\(ino=[0-9]+\)' "$err"
    assert_line_matches 'ovl_read\(ino=[0-9]+, size=[0-9]+, off=0\)' "$err"
    assert_line_matches 'ovl_release\(ino=[0-9]+\)' "$err"
    assert_line_matches 'ovl_write_buf\(ino=[0-9]+, size=4, off=0, fd=[0-9]+\)' "$err"
    assert_line_matches 'ovl_mkdir\(ino=1, name=d, mode=[0-9]+\)' "$err"
}

# assert_banner_lines: upstream's option lines, printed before the mount.
assert_banner_lines() {
    local err; err=$(cat "$T/stderr")
    local want
    for want in uid=unchanged gid=unchanged "upperdir=$T/U" "workdir=$T/W" "lowerdir=$T/L1" \
        "mountpoint=$T/M" "plugins=<none>" "fsync=enabled"; do
        grep -qxF -- "$want" <<<"$err" || { printf 'no line %s in:\n%s\n' "$want" "$err" >&2; return 1; }
    done
}

@test "-d: foreground, and one trace line per op on stderr" {
    start_daemon -d
    do_ops
    run ! daemon_exited # -d alone keeps the daemon in the foreground
    stop_daemon
    assert_banner_lines
    assert_trace_lines
    # libfuse's own request trace is there too, and nothing of ours goes to stdout
    grep -q '^unique: [0-9]*, opcode: LOOKUP' "$T/stderr"
    run ! grep '^ovl_' "$SPAWNED_LOG"
    # the traced ops did their work
    assert_equal "$(ls "$T/U")" "d"
}

@test "-o debug traces the same way" {
    start_daemon -o debug
    do_ops
    stop_daemon
    assert_trace_lines
}

@test "--debug alone detaches once mounted, as the original: the option lines only" {
    local rc=0
    unshare -rm bash -c '
        "$FUSE_OVERLAYFS" --debug -o lowerdir="$T/L1",upperdir="$T/U",workdir="$T/W" "$T/M" \
            2>"$T/stderr" || exit 98
        # the launcher has exited 0: the mount is live and served by the detached daemon
        grep -qF " $T/M " /proc/self/mountinfo || exit 97
        cat "$T/M/f"; echo new >"$T/M/g"
        umount "$T/M"' >"$T/out" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$T/stderr" >&2; return 1; }
    assert_equal "$(cat "$T/out")" "lower"
    assert_equal "$(cat "$T/U/g")" "new"
    assert_banner_lines
    # the per-op lines were written after the daemon detached: to /dev/null, never here
    run ! grep '^ovl_' "$T/stderr"
}

@test "without debug no trace line is printed" {
    start_daemon -f
    do_ops
    stop_daemon
    run ! grep '^ovl_' "$T/stderr"
    run ! grep '^lowerdir=' "$T/stderr"
}
