# SPDX-License-Identifier: Apache-2.0
# lib.bash — slirpnet suite helpers: a namespace with the binary under test attached to it.

# bg CMD...: spawn with bats' fd 3 closed, so a straggling grandchild (a socat fork child) can
# never keep bats waiting after the test.
bg() { spawn "$@" 3>&-; }

# bg_in_ns PID CMD...: bg CMD inside PID's user+net namespaces. nsenter execs CMD without
# forking, so the registered PID is CMD itself and teardown really ends it (a bash function
# such as in_ns would leave it running).
bg_in_ns() {
    local pid=$1; shift
    bg nsenter --preserve-credentials -U -n -t "$pid" -- "$@"
}

# start_slirp ARGS...: new user+net namespace (NS_PID), then $SLIRP4NETNS ARGS... $NS_PID tap0
# with the ready fd on fd 5; waits until ready. Sets SLIRP_PID and SLIRP_LOG.
start_slirp() {
    make_userns_netns
    local ready="$BATS_TEST_TMPDIR/ready.$RANDOM"
    : >"$ready"
    spawn "$SLIRP4NETNS" -r 5 "$@" "$NS_PID" tap0 5>"$ready" 3>&-
    SLIRP_PID=$SPAWNED_PID
    SLIRP_LOG=$SPAWNED_LOG
    wait_until 10 test -s "$ready" || { cat "$SLIRP_LOG" >&2; return 1; }
}

# api_call SOCKET JSON: one request per connection, as Podman and RootlessKit send it.
api_call() {
    printf '%s\n' "$2" | socat -t 5 - "UNIX-CONNECT:$1"
}

# wait_exit TIMEOUT PID: until PID is gone or a zombie (our own children stay zombies until reaped).
wait_exit() { wait_until "$1" sh -c "! test -e /proc/$2 || grep -q '^State:.*Z' /proc/$2/status"; }
