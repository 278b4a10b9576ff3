# SPDX-License-Identifier: Apache-2.0
# lib.bash — rootlesskit suite helpers: start a long-running rootlesskit and wait for its state dir.

load ../helpers

# start_rk ARGS...: spawn "$ROOTLESSKIT --state-dir=$RK_STATE ARGS... sleep infinity" style runs;
# the caller passes the command. Sets RK_STATE, RK_PID, RK_LOG; waits for api.sock.
start_rk() {
    RK_STATE="$BATS_TEST_TMPDIR/st"
    spawn "$ROOTLESSKIT" --state-dir="$RK_STATE" "$@"
    RK_PID=$SPAWNED_PID
    RK_LOG=$SPAWNED_LOG
    wait_for_socket 20 "$RK_STATE/api.sock" || { cat "$RK_LOG" >&2; return 1; }
    RK_CHILD=$(cat "$RK_STATE/child_pid")
}

# rk_enter CMD...: run CMD in the child's user and mount namespaces, plus its network namespace
# when it has its own (as nerdctl does: a host netns cannot be re-entered from the userns).
rk_enter() {
    local n=()
    [ "$(readlink "/proc/$RK_CHILD/ns/net")" != "$(readlink /proc/self/ns/net)" ] && n=(-n)
    nsenter -U --preserve-credentials -m "${n[@]}" -t "$RK_CHILD" -- "$@"
}

# run_rk ARGS...: `run "$ROOTLESSKIT" ARGS...` with stderr (warnings) kept out of $output,
# in $BATS_TEST_TMPDIR/stderr.
run_rk() {
    run bash -c '"$@" 2>"$BATS_TEST_TMPDIR/stderr"' _ "$ROOTLESSKIT" "$@"
}

# api_get PATH: raw HTTP exchange on api.sock (status line, headers and body).
api_raw() {
    curl -s -i --unix-socket "$RK_STATE/api.sock" "$@"
}
