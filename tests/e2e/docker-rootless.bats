#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# docker-rootless.bats — issue 14: Debian's Docker 20.10 rootless through its own dockerd-rootless.sh,
# as the unprivileged user, with our rootlesskit, rootlesskit-docker-proxy, slirpnet (as
# `slirp4netns`) and fuse-overlay (as `fuse-overlayfs`) first in PATH: a local busybox image,
# network and DNS, the host's loopback through 10.0.2.2, -p TCP and UDP from the host, the
# client's address seen in the container, docker build, exec, exit codes, rm, a daemon restart.
# Run once per port driver (builtin, slirp4netns). Everything lives in one short throw-away dir.

load ../integration/helpers
bats_require_minimum_version 1.5.0

SCRIPT=/usr/share/docker.io/contrib/dockerd-rootless.sh
DOCKER_TIMEOUT=${DOCKER_TIMEOUT:-60}

docker() { timeout --kill-after=5 "$DOCKER_TIMEOUT" /usr/bin/docker "$@"; }

expect_ok() {
    [ "$status" = 0 ] && return 0
    printf 'exit status %s; output:\n%s\n' "$status" "$output" >&2
    return 1
}

# dk_env: the throw-away HOME, XDG_RUNTIME_DIR and PATH of the daemon and its clients.
dk_env() {
    export HOME=$DK/home XDG_RUNTIME_DIR=$DK/run TMPDIR=$DK/tmp
    export PATH=$DK/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
    export DOCKER_HOST=unix://$DK/run/docker.sock
}

# dk_start PORT_DRIVER: dockerd-rootless.sh (it execs rootlesskit, so $DK_PID is rootlesskit).
# 20.10's script always passes --disable-host-loopback; a later =false turns it off, as with Go's
# flag package, so the container can reach the host's loopback through 10.0.2.2.
dk_start() {
    dk_env
    DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=$1 \
        DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS="--disable-host-loopback=false ${DK_FLAGS:-}" \
        "$SCRIPT" --storage-driver=fuse-overlayfs --exec-opt native.cgroupdriver=cgroupfs \
        --userland-proxy-path="$DK/bin/rootlesskit-docker-proxy" </dev/null >>"$DK/dockerd.log" 2>&1 3>&- &
    DK_PID=$!
    echo "$DK_PID" >"$DK/pid"
    wait_until 60 docker info || { tail -50 "$DK/dockerd.log" >&2; return 1; }
}

dk_stop() {
    local pid; pid=$(cat "$DK/pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    local i
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DK/pid"
}

make_image() {
    local root=$DK/rootfs
    mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,root,www/cgi-bin}
    cp /bin/busybox "$root/bin/busybox"
    local a
    for a in sh cat echo ls sleep nc wget httpd ip hostname id mkdir rm touch printf test true false \
        env grep sed head nslookup; do
        ln -s busybox "$root/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    chmod 1777 "$root/tmp"
    echo bb-httpd-ok >"$root/www/index.html"
    # busybox has no UDP server: a static one of ours
    cc -static -O2 -o "$root/bin/udp_peer" "$BATS_TEST_DIRNAME/udp_peer.c"
    printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\npeer=%%s\\n" "$REMOTE_ADDR"\n' >"$root/www/cgi-bin/peer"
    chmod 755 "$root/www/cgi-bin/peer"
    tar -C "$root" -c . | docker import - localhost/bb >/dev/null
}

setup_file() {
    require_binary "$ROOTLESSKIT"
    require_binary "$SLIRP4NETNS"
    require_binary "$FUSE_OVERLAYFS"
    DOCKER_PROXY=${ROOTLESSKIT_DOCKER_PROXY:-$BUILD_DIR/rootlesskit/rootlesskit-docker-proxy}
    require_binary "$DOCKER_PROXY"
    [ -x /usr/sbin/dockerd ] && [ -f "$SCRIPT" ] || skip "docker.io is not installed"
    command -v cc >/dev/null || skip "no C compiler for the image's UDP server"
    DK=$(mktemp -d /tmp/dk.XXXX)
    export DK
    mkdir -p "$DK"/{bin,home,run,tmp}
    chmod 0700 "$DK/run"
    ln -s "$ROOTLESSKIT" "$DK/bin/rootlesskit"
    ln -s "$DOCKER_PROXY" "$DK/bin/rootlesskit-docker-proxy"
    ln -s "$SLIRP4NETNS" "$DK/bin/slirp4netns"
    ln -s "$FUSE_OVERLAYFS" "$DK/bin/fuse-overlayfs"
    ln -s /usr/sbin/dockerd "$DK/bin/dockerd"
    ln -s /usr/sbin/docker-proxy "$DK/bin/docker-proxy"
}

teardown_file() {
    [ -n "${DK:-}" ] || return 0
    dk_stop
    # the storage holds files of subordinate ids: remove it from inside a user namespace
    "$ROOTLESSKIT" rm -rf "$DK/home" "$DK/run" "$DK/tmp" "$DK/rootfs" >/dev/null 2>&1 || true
    rm -rf "$DK" 2>/dev/null || true
}

teardown() {
    if [ -n "${DK:-}" ] && [ -f "$DK/pid" ]; then
        dk_env
        docker rm -f $(docker ps -aq) >/dev/null 2>&1 || true
        dk_stop
    fi
    teardown_pids
}

host_addr4() { local a; for a in $(hostname -I 2>/dev/null); do case "$a" in *.*) echo "$a"; return ;; esac; done; }

# the checks shared by both port drivers; $1 = port driver
docker_suite() {
    local pd=$1
    dk_start "$pd"
    [ -n "$(docker images -q localhost/bb)" ] || make_image

    # our tools are the ones in use
    run docker info --format '{{.Driver}}'
    expect_ok
    assert_equal "$output" fuse-overlayfs
    local kids; kids=$(pgrep -P "$DK_PID" | xargs -r -n1 sh -c 'tr "\0" " " </proc/$0/cmdline; echo')
    assert_contains "$kids" "slirp4netns --mtu 65520"
    assert_equal "$(readlink -f /proc/"$DK_PID"/exe)" "$(readlink -f "$ROOTLESSKIT")"

    # network and DNS: a DNS answer of any kind (NXDOMAIN included) proves the path; a
    # timeout does not
    run docker run --rm localhost/bb sh -c 'ip -o -4 addr show eth0; cat /etc/resolv.conf; nslookup rootless-tools.invalid 10.0.2.3 2>&1; true'
    expect_ok
    assert_contains "$output" "inet 172.17."
    assert_contains "$output" "nameserver 10.0.2.3"
    assert_contains "$output" "Address:	10.0.2.3"
    assert_not_contains "$output" "timed out"

    # the host's loopback through 10.0.2.2
    local hp; hp=$(free_port)
    spawn socat TCP4-LISTEN:"$hp",bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo host-loopback-ok'
    wait_until 5 sh -c "ss -Htln 'sport = :$hp' | grep -q ."
    run docker run --rm localhost/bb nc 10.0.2.2 "$hp"
    expect_ok
    assert_contains "$output" host-loopback-ok

    # -p TCP, fetched from the host, and the client's address seen in the container
    local tp; tp=$(free_port)
    run docker run -d --name web -p "$tp:80" localhost/bb httpd -f -p 80 -h /www
    expect_ok
    wait_until 30 curl -fsS --max-time 2 "http://127.0.0.1:$tp/"
    run curl -fsS --max-time 5 "http://127.0.0.1:$tp/"
    assert_equal "$output" bb-httpd-ok
    local a4; a4=$(host_addr4)
    if [ -n "$a4" ]; then
        run curl -fsS --max-time 5 "http://$a4:$tp/cgi-bin/peer"
        expect_ok
        # httpd listens on [::], so an IPv4 client shows as ::ffff:a.b.c.d
        assert_contains "$output" "$a4"
    fi

    # -p UDP
    local up; up=$(free_port)
    run docker run -d --name udp -p "$up:5353/udp" localhost/bb udp_peer 5353
    expect_ok
    wait_until 30 sh -c "printf ping | socat -t1 - UDP4:127.0.0.1:$up | grep -q 'ping peer='" || {
        docker ps -a; docker logs udp; ls -la "$DK/rootfs/bin/udp_peer"; return 1; } >&2
    if [ -n "$a4" ] && [ "$pd" = builtin ]; then
        run sh -c "printf ping | socat -t2 - UDP4:$a4:$up"
        assert_contains "$output" "ping peer=::ffff:$a4"
    fi

    # docker build of a two-step Dockerfile
    mkdir -p "$DK/ctx"
    printf 'FROM localhost/bb\nRUN echo step-one >/one\nRUN cat /one >/two && echo step-two >>/two\nCMD ["cat", "/two"]\n' >"$DK/ctx/Dockerfile"
    run docker build -q -t localhost/built "$DK/ctx"
    expect_ok
    run docker run --rm localhost/built
    expect_ok
    assert_equal "$output" "$(printf 'step-one\nstep-two')"

    # exec, exit codes, rm
    run docker exec web cat /www/index.html
    assert_equal "$output" bb-httpd-ok
    run docker exec web sh -c 'exit 7'
    [ "$status" -eq 7 ]
    run docker run --rm localhost/bb sh -c 'exit 42'
    [ "$status" -eq 42 ]
    run docker rm -f web udp
    expect_ok
    run curl -fsS --max-time 2 "http://127.0.0.1:$tp/"
    [ "$status" -ne 0 ]

    # a daemon restart keeps the image
    dk_stop
    dk_start "$pd"
    run docker run --rm localhost/built
    expect_ok
    assert_contains "$output" step-two
    dk_stop
}

@test "Docker rootless with the builtin port driver" {
    docker_suite builtin
}

@test "Docker rootless with the slirp4netns port driver" {
    docker_suite slirp4netns
}

# No --detach-netns run: dockerd runs its network code in $ROOTLESSKIT_STATE_DIR/netns only from
# Docker 29.5 on (an older dockerd in the host netns fails: "iptables -t nat -N DOCKER: Permission
# denied"), and 20.10's dockerd-rootless.sh ignores DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS.
# rootlesskit --detach-netns itself is tested in tests/integration/rootlesskit.
