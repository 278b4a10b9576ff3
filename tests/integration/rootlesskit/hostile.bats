#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# hostile.bats — rootlesskit under hostile API clients, and a kill -9 of its child at each
# start-up step (issue: bounded resources). Start-up steps are held by stand-ins for the helpers
# rootlesskit runs (newuidmap, slirp4netns) that wait for a go file, so the kill lands in a
# known step; they then run the real helper, which finds the child gone.

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    TAG="rk-hostile-$$-$RANDOM" # in the environment of rootlesskit and all it starts
}

# tagged_pids: processes (of any pid namespace we can see) carrying this test's tag.
tagged_pids() {
    local e
    for e in /proc/[0-9]*/environ; do
        if grep -qz "^RK_HOSTILE_TAG=$TAG\$" "$e" 2>/dev/null; then basename "$(dirname "$e")"; fi
    done
}

# hold_helper NAME REAL: a stand-in for REAL in $BATS_TEST_TMPDIR/bin that records its pid in
# $BATS_TEST_TMPDIR/NAME.pid, waits for $BATS_TEST_TMPDIR/NAME.go, then execs REAL.
hold_helper() {
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cat >"$BATS_TEST_TMPDIR/bin/$1" <<SH
#!/bin/sh
echo \$\$ >"$BATS_TEST_TMPDIR/$1.pid"
while [ ! -e "$BATS_TEST_TMPDIR/$1.go" ]; do sleep 0.05; done
exec $2 "\$@"
SH
    chmod +x "$BATS_TEST_TMPDIR/bin/$1"
}

# child_of PID: the first child process of PID (rootlesskit's child), or nothing.
child_of() { cat /proc/"$1"/task/*/children 2>/dev/null | awk '{print $1; exit}'; }

# expect_clean_exit: rootlesskit ($RK_PID) exits on its own within 30 s, non-zero, leaving no
# tagged process, no state directory and no new mount.
expect_clean_exit() {
    expect_clean_exit_any nonzero
}

# expect_clean_exit_any [nonzero]: as expect_clean_exit, with any exit code unless told.
expect_clean_exit_any() {
    local i
    for i in $(seq 300); do kill -0 "$RK_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$RK_PID" 2>/dev/null; then
        echo "rootlesskit is still running" >&2
        cat "$RK_LOG" >&2
        return 1
    fi
    local rc=0
    wait "$RK_PID" || rc=$?
    [ "${1:-}" != nonzero ] || [ "$rc" -ne 0 ] ||
        { echo "rootlesskit exited 0 after its child was killed" >&2; return 1; }
    for i in $(seq 50); do [ -z "$(tagged_pids)" ] && break; sleep 0.1; done
    local left; left=$(tagged_pids)
    [ -z "$left" ] || { echo "left behind:"; ps -o pid,ppid,args -p "$(echo $left | tr ' ' ,)"; cat "$RK_LOG"; return 1; } >&2
    [ ! -e "$RK_STATE" ] || { echo "state dir left behind: $(ls -A "$RK_STATE")" >&2; return 1; }
    assert_equal "$(wc -l </proc/self/mountinfo)" "$MOUNTS_BEFORE"
}

# start_tagged ARGS...: rootlesskit, tagged, with the stand-ins first in PATH; does not wait.
start_tagged() {
    MOUNTS_BEFORE=$(wc -l </proc/self/mountinfo)
    RK_STATE="$BATS_TEST_TMPDIR/st"
    spawn env RK_HOSTILE_TAG="$TAG" PATH="$BATS_TEST_TMPDIR/bin:$PATH" \
        "$ROOTLESSKIT" --state-dir="$RK_STATE" "$@"
    RK_PID=$SPAWNED_PID
    RK_LOG=$SPAWNED_LOG
}

# start_up ARGS...: start_tagged, then wait for api.sock and child_pid.
start_up() {
    start_tagged "$@"
    wait_for_socket 20 "$RK_STATE/api.sock" || { cat "$RK_LOG" >&2; return 1; }
    RK_CHILD=$(cat "$RK_STATE/child_pid")
}

@test "200 API clients that send nothing or a byte a second: another is answered within 1 s" {
    start_up sleep infinity
    run timeout 50 python3 "$BATS_TEST_DIRNAME/../slow-api-clients.py" "$RK_STATE/api.sock" \
        $'GET /v1/info HTTP/1.1\r\nHost: rootlesskit\r\nConnection: close\r\n\r\n' \
        'HTTP/1.1 200 OK' $'GET /v1/info HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaa'
    echo "$output"
    [ "$status" -eq 0 ]
    kill -0 "$RK_PID"
}

@test "kill -9 of the child while newuidmap runs: nothing left behind" {
    hold_helper newuidmap /usr/bin/newuidmap
    start_tagged --net=slirp4netns --disable-host-loopback sleep infinity
    wait_for_file 20 "$BATS_TEST_TMPDIR/newuidmap.pid"
    local child; child=$(child_of "$RK_PID")
    [ -n "$child" ]
    kill -9 "$child"
    touch "$BATS_TEST_TMPDIR/newuidmap.go"
    expect_clean_exit
}

@test "kill -9 of the child while slirp4netns starts: nothing left behind" {
    skip_if_original "$ROOTLESSKIT" "1.1.0 leaves --state-dir (its lock file) behind when slirp4netns fails"
    hold_helper slirp4netns /usr/bin/slirp4netns
    start_tagged --net=slirp4netns --slirp4netns-binary="$BATS_TEST_TMPDIR/bin/slirp4netns" \
        --disable-host-loopback --port-driver=builtin sleep infinity
    wait_for_file 20 "$BATS_TEST_TMPDIR/slirp4netns.pid"
    local child; child=$(child_of "$RK_PID")
    [ -n "$child" ]
    kill -9 "$child"
    touch "$BATS_TEST_TMPDIR/slirp4netns.go"
    expect_clean_exit
}

@test "kill -9 of the child with the API up and a port published: nothing left behind" {
    local port; port=$(free_port)
    start_up --net=slirp4netns --disable-host-loopback --port-driver=builtin \
        -p "127.0.0.1:$port:80/tcp" sleep infinity
    kill -9 "$RK_CHILD"
    expect_clean_exit
    ! ss -Htln "sport = :$port" | grep -q .
}

@test "kill -9 of the child with --detach-netns and --pidns: nothing left behind" {
    skip_if_original "$ROOTLESSKIT" "--detach-netns is newer than 1.1.0"
    start_up --net=slirp4netns --disable-host-loopback --detach-netns --pidns \
        --port-driver=builtin sleep infinity
    kill -9 "$RK_CHILD"
    expect_clean_exit
}

@test "slirp4netns inherits only stdio and the ready pipe from rootlesskit" {
    skip_if_original "$ROOTLESSKIT" "1.1.0 passes on every fd it inherited without CLOEXEC"
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cat >"$BATS_TEST_TMPDIR/bin/slirp4netns" <<SH
#!/bin/sh
pid=\$\$
(ls -l /proc/\$pid/fd >"$BATS_TEST_TMPDIR/fds.raw") # in a subshell: nothing added to ours
awk -v self="\$0" 'NR > 1 && \$11 != self {print \$9, \$11}' "$BATS_TEST_TMPDIR/fds.raw" >"$BATS_TEST_TMPDIR/fds"
exec /usr/bin/slirp4netns "\$@"
SH
    chmod +x "$BATS_TEST_TMPDIR/bin/slirp4netns"
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$BATS_TEST_TMPDIR/bin/slirp4netns" \
        --disable-host-loopback true
    [ "$status" -eq 0 ]
    cat "$BATS_TEST_TMPDIR/fds"
    # 0-2 on /dev/null, 3 the ready pipe; nothing else (a leaked /dev/null was fd 4; the
    # shell's own fd on this script is left out above)
    assert_equal "$(awk '{print $1}' "$BATS_TEST_TMPDIR/fds" | tr '\n' ' ')" "0 1 2 3 "
    [[ "$(awk '$1 == 3 {print $2}' "$BATS_TEST_TMPDIR/fds")" == pipe:* ]]
}

@test "a stopped slirp4netns holds up only the port request waiting on it, and exit still ends it" {
    start_up --net=slirp4netns --disable-host-loopback --port-driver=slirp4netns sleep infinity
    local s4n; s4n=$(pgrep -P "$RK_PID" -x slirp4netns)
    [ -n "$s4n" ]
    kill -STOP "$s4n"
    local port; port=$(free_port)
    ROOTLESSCTL=${ROOTLESSCTL:-$BUILD_DIR/rootlesskit/rootlessctl}
    spawn "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" add-ports "127.0.0.1:$port:80/tcp"
    local ctl=$SPAWNED_PID
    sleep 0.5 # the request reaches the driver, which waits on the stopped slirp4netns
    kill -0 "$ctl"
    local t0=$SECONDS
    run timeout 5 curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    [ "$status" -eq 0 ]
    assert_contains "$output" '"apiVersion":"1.1.1"'
    [ $((SECONDS - t0)) -le 1 ]
    kill -TERM "$RK_PID"
    expect_clean_exit_any
    ! kill -0 "$s4n" 2>/dev/null
}
