# SPDX-License-Identifier: Apache-2.0
# helpers.bash — shared helpers for every bats suite: binaries under test, polling waits,
# namespaces made with unshare, and a teardown that ends exactly the PIDs a test started.

SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SOURCE_DIR/build}

# The binaries under test: ours from the build dir unless the environment points elsewhere
# (tests/run-against-originals points them at Debian's originals).
ROOTLESSKIT=${ROOTLESSKIT:-$BUILD_DIR/rootlesskit/rootlesskit}
ROOTLESSCTL=${ROOTLESSCTL:-$BUILD_DIR/rootlesskit/rootlessctl}
FUSE_OVERLAYFS=${FUSE_OVERLAYFS:-$BUILD_DIR/fuse-overlay/fuse-overlay}
SLIRP4NETNS=${SLIRP4NETNS:-$BUILD_DIR/slirpnet/slirpnet}
export ROOTLESSKIT ROOTLESSCTL FUSE_OVERLAYFS SLIRP4NETNS

# Debian's originals, for tests that need the real thing whatever is under test.
ORIG_ROOTLESSKIT=/usr/bin/rootlesskit
ORIG_ROOTLESSCTL=/usr/bin/rootlessctl
ORIG_FUSE_OVERLAYFS=/usr/bin/fuse-overlayfs
ORIG_SLIRP4NETNS=/usr/bin/slirp4netns

# A test starts no process without registering it here; teardown_pids ends them by PID.
_pidfile() { echo "${BATS_TEST_TMPDIR:?}/.pids"; }

# spawn CMD...: start CMD in the background with stdout/stderr in $BATS_TEST_TMPDIR/spawn.N.log;
# sets SPAWNED_PID and SPAWNED_LOG. Stdin is /dev/null, and bats' fd 3 is closed: a process that
# holds it open makes bats wait for it after the test.
spawn() {
    local n; n=$( { wc -l <"$(_pidfile)"; } 2>/dev/null || echo 0)
    SPAWNED_LOG="$BATS_TEST_TMPDIR/spawn.$n.log"
    "$@" </dev/null >"$SPAWNED_LOG" 2>&1 3>&- &
    SPAWNED_PID=$!
    echo "$SPAWNED_PID" >>"$(_pidfile)"
}

# register_pid PID: have teardown_pids end a process started some other way.
register_pid() { echo "$1" >>"$(_pidfile)"; }

# teardown_pids: SIGTERM every registered PID still alive, then SIGKILL after 2 s; reap them.
teardown_pids() {
    local f; f=$(_pidfile)
    [ -f "$f" ] || return 0
    local pid
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done <"$f"
    local i
    for i in $(seq 20); do
        local alive=0
        while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$f"
        [ $alive = 0 ] && break
        sleep 0.1
    done
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done <"$f"
    rm -f "$f"
}

# wait_until TIMEOUT_SECONDS CMD...: poll CMD every 0.05 s until it succeeds; fail with a message.
wait_until() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            echo "timed out after ${timeout}s waiting for: $*" >&2
            return 1
        fi
        sleep 0.05
    done
}

# wait_for_file TIMEOUT PATH / wait_for_socket TIMEOUT PATH
wait_for_file() { wait_until "$1" test -e "$2"; }
wait_for_socket() { wait_until "$1" test -S "$2"; }
# wait_for_file_content TIMEOUT PATH: until PATH exists and is non-empty.
wait_for_file_content() { wait_until "$1" test -s "$2"; }

# make_userns_netns: start a holder process in a new user+net namespace (uid 0 inside, mapped to us);
# sets NS_PID. Ends in teardown_pids.
make_userns_netns() {
    spawn unshare --user --map-root-user --net sleep infinity
    NS_PID=$SPAWNED_PID
    wait_until 5 netns_differs "$NS_PID"
}

# netns_differs PID: PID's network namespace is no longer ours (evaluated at each poll).
netns_differs() { [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ]; }

# in_ns PID CMD...: run CMD inside the user+net(+mnt) namespaces of PID.
in_ns() {
    local pid=$1; shift
    nsenter --preserve-credentials -U -n -t "$pid" -- "$@"
}
in_ns_mnt() {
    local pid=$1; shift
    nsenter --preserve-credentials -U -n -m -t "$pid" -- "$@"
}

# wait_for_network_device TIMEOUT PID DEV: until DEV exists in PID's netns.
wait_for_network_device() { wait_until "$1" in_ns "$2" ip link show "$3"; }

# wait_for_ping TIMEOUT PID ADDR: until one echo to ADDR from PID's netns is answered.
wait_for_ping() { wait_until "$1" in_ns "$2" ping -c 1 -W 1 "$3"; }

# is_original BINARY: true when BINARY resolves to one of Debian's originals under /usr/bin.
is_original() {
    local real; real=$(readlink -f "$(command -v "$1" || echo "$1")")
    case "$real" in
    /usr/bin/rootlesskit | /usr/bin/rootlessctl | /usr/bin/fuse-overlayfs | /usr/bin/slirp4netns) return 0 ;;
    *) return 1 ;;
    esac
}

# skip_if_original BINARY REASON: for behaviour Debian's older original lacks (newer upstream, or ours only).
skip_if_original() {
    if is_original "$1"; then skip "not in Debian's original: $2"; fi
}

# require_binary BINARY: fail (not skip) when the binary under test does not exist.
require_binary() {
    [ -x "$1" ] || { echo "binary under test not found: $1 (build first, or set its variable)" >&2; return 1; }
}

# free_port: an unused TCP port on 127.0.0.1 (best effort: picks from the ephemeral range).
free_port() {
    local p
    for _ in $(seq 50); do
        # Below the kernel's ephemeral range (32768 up by default), so that no outgoing
        # connection can take the port between this check and the test's bind; no socket of
        # any state or protocol on it now.
        p=$((12000 + RANDOM % 20000))
        if ! ss -Htuan "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
    done
    return 1
}

# assert_contains HAYSTACK NEEDLE / assert_not_contains: with a readable failure message.
assert_contains() {
    case "$1" in *"$2"*) return 0 ;; esac
    printf 'expected to find:\n  %s\nin:\n%s\n' "$2" "$1" >&2
    return 1
}
assert_not_contains() {
    case "$1" in *"$2"*) printf 'did not expect:\n  %s\nin:\n%s\n' "$2" "$1" >&2; return 1 ;; esac
}
# assert_equal ACTUAL EXPECTED
assert_equal() {
    [ "$1" = "$2" ] && return 0
    printf 'expected:\n%s\nactual:\n%s\n' "$2" "$1" >&2
    return 1
}

# Integration tests never run as root: the harness drops to the test user (bats-as-user).
if [ "$(id -u)" = 0 ] && [ -z "${RT_ALLOW_ROOT:-}" ]; then
    echo "integration tests must run as an unprivileged user (see tests/integration/bats-as-user)" >&2
    exit 1
fi
