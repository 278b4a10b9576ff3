#!/usr/bin/env bats
# Harness self-test: the machine and the harness can host every later suite. Runs Debian's
# originals directly (not $SLIRP4NETNS etc.), as the unprivileged test user.
load ../helpers

teardown() {
    if [ -n "${MNT:-}" ]; then fusermount3 -u "$MNT" 2>/dev/null || true; fi
    teardown_pids
}

@test "the suite runs as an unprivileged user with a subordinate id range" {
    [ "$(id -u)" != 0 ]
    grep -q "^$(id -un):" /etc/subuid
    grep -q "^$(id -un):" /etc/subgid
}

@test "slirp4netns (Debian) gives a TAP in a user+net namespace a path to 10.0.2.2" {
    make_userns_netns
    spawn "$ORIG_SLIRP4NETNS" --configure --mtu=65520 --disable-host-loopback "$NS_PID" tap0
    wait_for_network_device 10 "$NS_PID" tap0
    wait_until 10 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID ip -o -4 addr show tap0 | grep -q 10.0.2.100"
    # No ping sockets for users here (ping_group_range "1 0"); inside the namespace we are root,
    # so ping uses a raw socket there, and slirp4netns answers echo to the gateway itself.
    run in_ns "$NS_PID" ping -c 1 -W 5 10.0.2.2
    [ "$status" = 0 ]
    assert_contains "$output" "1 received"
}

@test "fuse-overlayfs (Debian) mounts inside a user namespace and reads a lower file" {
    d=$BATS_TEST_TMPDIR
    mkdir -p "$d/lower/sub" "$d/upper" "$d/work" "$d/mnt"
    echo "from the lower layer" >"$d/lower/sub/file"
    run unshare -rm sh -c "
        '$ORIG_FUSE_OVERLAYFS' -o lowerdir='$d/lower',upperdir='$d/upper',workdir='$d/work' '$d/mnt' &&
        cat '$d/mnt/sub/file' && grep ' $d/mnt ' /proc/self/mountinfo;
        fusermount3 -u '$d/mnt'"
    [ "$status" = 0 ]
    assert_contains "$output" "from the lower layer"
    assert_contains "$output" " - fuse.fuse-overlayfs fuse-overlayfs "
}

@test "fuse-overlayfs (Debian) mounts through setuid fusermount3 without a user namespace" {
    d=$BATS_TEST_TMPDIR
    mkdir -p "$d/lower" "$d/upper" "$d/work" "$d/mnt"
    echo hello >"$d/lower/f"
    MNT=$d/mnt
    "$ORIG_FUSE_OVERLAYFS" -o lowerdir="$d/lower",upperdir="$d/upper",workdir="$d/work" "$MNT"
    run cat "$MNT/f"
    [ "$output" = hello ]
    fusermount3 -u "$MNT"
    MNT=
}

@test "rootlesskit (Debian) maps uid 0 to us and the subuid range through newuidmap" {
    run "$ORIG_ROOTLESSKIT" --state-dir="$BATS_TEST_TMPDIR/rk" cat /proc/self/uid_map /proc/self/gid_map
    [ "$status" = 0 ]
    range=$(grep "^$(id -un):" /etc/subuid | head -1)
    start=$(echo "$range" | cut -d: -f2)
    count=$(echo "$range" | cut -d: -f3)
    echo "$output" | awk -v uid="$(id -u)" '$1 == 0 && $2 == uid && $3 == 1 { ok = 1 } END { exit !ok }'
    echo "$output" | awk -v s="$start" -v c="$count" '$1 == 1 && $2 == s && $3 == c { ok = 1 } END { exit !ok }'
}

@test "rootlesskit (Debian) with slirp4netns (Debian) reaches a host loopback server through 10.0.2.2" {
    port=$(free_port)
    spawn socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo hello-from-host'
    wait_until 5 ss -Htln "sport = :$port"
    run timeout 60 "$ORIG_ROOTLESSKIT" --state-dir="$BATS_TEST_TMPDIR/rk" --net=slirp4netns \
        --slirp4netns-binary="$ORIG_SLIRP4NETNS" --copy-up=/etc --disable-host-loopback=false \
        sh -c "ip -o -4 addr show tap0; socat -T5 - TCP:10.0.2.2:$port </dev/null"
    [ "$status" = 0 ]
    assert_contains "$output" "inet 10.0.2.100/24"
    assert_contains "$output" "hello-from-host"
}
