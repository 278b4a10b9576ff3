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

# NS_SH: shell functions for the sh -c scripts below, which run in namespaces of their own where
# helpers.bash is not loaded. Each waits on a real condition and fails loudly.
#   start_guest_netns: starts `unshare --net sleep 60` and sets g once its netns is a new one
#   wait_ready FILE LOG: until slirp wrote FILE (its ready fd); else print LOG and fail
NS_SH='
start_guest_netns() {
    unshare --net sleep 60 & g=$!
    _i=0
    until [ "$(readlink /proc/$g/ns/net 2>/dev/null)" != "$(readlink /proc/$$/ns/net)" ]; do
        _i=$((_i+1)); [ $_i -lt 200 ] || { echo "guest netns of $g not created after 10 s" >&2; exit 1; }
        sleep 0.05
    done
}
wait_ready() {
    _i=0
    until [ -s "$1" ]; do
        _i=$((_i+1)); [ $_i -lt 200 ] || { echo "slirp not ready after 10 s" >&2; cat "$2" >&2; exit 1; }
        sleep 0.05
    done
}
'

# in_fake_host [--rewrite-after-ready] SCRIPT ARGS...: a private user+net+mount "host" whose
# /etc/resolv.conf (a bind mount of $T/resolv.conf) names a resolver on 127.0.0.1 answering
# "dns-udp-answer"/"dns-tcp-answer"; slirpnet runs there with ARGS and a guest netns nested inside,
# where SCRIPT runs with sh. With --rewrite-after-ready, resolv.conf first names a dead resolver and
# is rewritten (same inode) only once slirpnet is ready, to show it re-reads the file after any
# sandboxing. Prints slirpnet's Seccomp/NoNewPrivs status lines after SCRIPT.
in_fake_host() {
    local rewrite=0
    if [ "$1" = --rewrite-after-ready ]; then rewrite=1; shift; fi
    export T=$BATS_TEST_TMPDIR SLIRP4NETNS REWRITE=$rewrite
    timeout 60 unshare --user --map-root-user --net --mount sh -euc "$NS_SH"'
        live="search example\nnameserver 127.0.0.1\n"
        ip link set lo up
        if [ "$REWRITE" = 1 ]; then printf "nameserver 127.0.0.9\n"; else printf "$live"; fi >"$T/resolv.conf"
        mount --bind "$T/resolv.conf" /etc/resolv.conf
        socat -T 3 UDP4-RECVFROM:53,bind=127.0.0.1,fork SYSTEM:"head -c1 >/dev/null; echo dns-udp-answer" & u=$!
        socat TCP4-LISTEN:53,bind=127.0.0.1,reuseaddr,fork SYSTEM:"echo dns-tcp-answer" & t=$!
        start_guest_netns
        "$SLIRP4NETNS" -c -r 5 "$@" $g tap0 5>"$T/ready" >"$T/slirp.log" 2>&1 & s=$!
        wait_ready "$T/ready" "$T/slirp.log"
        if [ "$REWRITE" = 1 ]; then
            sleep 1.1 # past the 1 s re-read threshold
            printf "$live" >"$T/resolv.conf"
        fi
        rc=0
        nsenter -n -t $g sh -c "$0" || rc=$?
        grep -E "^(Seccomp|NoNewPrivs):" /proc/$s/status || true
        kill $s $g $u $t 2>/dev/null || true
        exit $rc
    ' "$1" "${@:2}" 3>&-
}

# in_private_host [--no-net-raw] SETUP SCRIPT ARGS...: a private user+net+pid "host" (lo up with
# 198.51.100.1 as well, no other route; SETUP run there with sh), where $SLIRP4NETNS -c ARGS serves a
# guest netns nested inside, in which SCRIPT runs with sh. A new network namespace starts with
# net.ipv4.ping_group_range "1 0" (no ping sockets), whatever the machine's is; SETUP may change it.
# slirp is root there, so it can open raw sockets unless --no-net-raw drops CAP_NET_RAW (as an
# ordinary user on a real host). Everything started there ends with it (pid namespace).
# slirp's log: $BATS_TEST_TMPDIR/slirp.log.
in_private_host() {
    local wrap=""
    if [ "$1" = --no-net-raw ]; then wrap="setpriv --bounding-set=-net_raw --inh-caps=-net_raw"; shift; fi
    export T=$BATS_TEST_TMPDIR SLIRP4NETNS WRAP=$wrap
    timeout 60 unshare --user --map-root-user --net --pid --fork --mount --mount-proc sh -euc "$NS_SH"'
        setup=$1 script=$2; shift 2
        ip link set lo up
        ip addr add 198.51.100.1/32 dev lo
        sh -euc "$setup"
        start_guest_netns
        $WRAP "$SLIRP4NETNS" -c -r 5 "$@" $g tap0 5>"$T/ready" >"$T/slirp.log" 2>&1 &
        wait_ready "$T/ready" "$T/slirp.log"
        nsenter -n -t $g sh -c "$script"
    ' sh "$@" 3>&-
}
