#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# dropin.bats — issue 19: ours as a distribution ships them. Builds the Debian packages
# (debian/, `dpkg-buildpackage -b`), extracts them, and in a private mount namespace binds our
# binaries over the originals' paths (/usr/bin/slirp4netns, fuse-overlayfs, rootlesskit,
# rootlessctl); then real clients run with their default configuration as the unprivileged user
# (tests/e2e/dropin-client.sh). Each client runs twice: with the swap and without it, so the test
# shows that it is the swap that is being tested. The host's /usr/bin is never changed.
# Runs as root (bind mounts over /usr/bin); the clients run as $RT_TEST_USER.

# This suite itself runs as root (bind mounts over /usr/bin); every client it starts runs as the
# test user (swap_run), so the helpers' refusal of root does not apply here.
RT_ALLOW_ROOT=1
load ../integration/helpers
bats_require_minimum_version 1.5.0

SWAPPED=(slirp4netns fuse-overlayfs rootlesskit rootlessctl rootlesskit-docker-proxy)
CLIENT=$SOURCE_DIR/tests/e2e/dropin-client.sh

setup_file() {
    [ "$(id -u)" = 0 ] || skip "binds over /usr/bin in a private mount namespace: needs root"
    local user=${RT_TEST_USER:-rttest}
    id -u "$user" >/dev/null || { echo "test user $user missing: run tests/prepare-host.sh" >&2; return 1; }
    DROPIN_DIR=$(mktemp -d /var/tmp/dropin.XXXXXX)
    chmod 0755 "$DROPIN_DIR"
    export DROPIN_DIR
    # The host's /usr/bin as it was: compared after the last test.
    (cd /usr/bin && sha256sum "${SWAPPED[@]}" >"$DROPIN_DIR/usr-bin.sha256")
    # Build from a copy of the tree: dpkg-buildpackage writes into the source dir and its parent.
    mkdir "$DROPIN_DIR/src"
    tar -C "$SOURCE_DIR" --exclude='./build*' --exclude='./.git' --exclude='./obj-*' -cf - . |
        tar -C "$DROPIN_DIR/src" -xf -
    # The unit suite already ran in this run (./run test): nocheck keeps the build to one compile.
    if ! (cd "$DROPIN_DIR/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
            dpkg-buildpackage -us -uc -b) >"$DROPIN_DIR/build.log" 2>&1; then
        tail -40 "$DROPIN_DIR/build.log" >&2
        return 1
    fi
    mkdir "$DROPIN_DIR/root"
    local deb
    for deb in "$DROPIN_DIR"/*.deb; do dpkg-deb -x "$deb" "$DROPIN_DIR/root"; done
    chmod -R a+rX "$DROPIN_DIR/root"
    # Name resolution stays on this machine: in the clients' mount namespace /etc/resolv.conf
    # names a loopback server that answers every A query with 192.0.2.10.
    echo "nameserver 127.0.0.1" >"$DROPIN_DIR/resolv.conf"
    chmod 0644 "$DROPIN_DIR/resolv.conf"
    python3 "$SOURCE_DIR/tests/e2e/fake-dns.py" 127.0.0.1 53 192.0.2.10 </dev/null \
        >"$DROPIN_DIR/dns.log" 2>&1 3>&- &
    echo $! >"$DROPIN_DIR/dns.pid"
}

teardown_file() {
    [ -n "${DROPIN_DIR:-}" ] || return 0
    if [ -f "$DROPIN_DIR/dns.pid" ]; then
        kill "$(cat "$DROPIN_DIR/dns.pid")" 2>/dev/null || true
    fi
    rm -rf "$DROPIN_DIR"
}

# swap_run ours|originals CLIENT: run dropin-client.sh CLIENT as the test user in a private mount
# namespace, with our binaries bound over the originals' paths for "ours".
swap_run() {
    local mode=$1 client=$2 user=${RT_TEST_USER:-rttest} binds="" b uid
    uid=$(id -u "$user")
    if [ "$mode" = ours ]; then
        for b in "${SWAPPED[@]}"; do
            binds+="mount --bind $DROPIN_DIR/root/usr/bin/$b /usr/bin/$b && "
        done
    fi
    run --separate-stderr timeout --kill-after=10 600 unshare --mount --propagation private sh -c "
        mount --bind $DROPIN_DIR/resolv.conf /etc/resolv.conf && $binds
        exec setpriv --reuid=$uid --regid=$(id -g "$user") --init-groups --reset-env \
            env -i HOME=$(getent passwd "$user" | cut -d: -f6) USER=$user LOGNAME=$user \
            PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
            XDG_RUNTIME_DIR=/run/user/$uid bash $CLIENT $client"
    if [ "$status" != 0 ]; then
        printf 'dropin-client.sh %s (%s) exited %s\nstdout:\n%s\nstderr:\n%s\n' \
            "$client" "$mode" "$status" "$output" "$stderr" >&2
        return 1
    fi
}

# check_line NAME: the value of dropin-client.sh's "CHECK NAME VALUE" line in $output.
check_line() { sed -n "s/^CHECK $1 //p" <<<"$output" | tail -1; }

@test "the packages build, lintian finds no errors, and each replaces its original" {
    run lintian --fail-on error "$DROPIN_DIR"/*.deb
    [ "$status" = 0 ] || { echo "$output" >&2; return 1; }
    local pkg orig
    for pkg in rootlesskit-rt:rootlesskit slirpnet:slirp4netns fuse-overlay:fuse-overlayfs; do
        orig=${pkg#*:}
        local deb; deb=$(ls "$DROPIN_DIR/${pkg%%:*}"_*.deb)
        for field in Provides Conflicts Replaces; do
            run dpkg-deb -f "$deb" "$field"
            assert_contains "$output" "$orig"
        done
    done
    for b in "${SWAPPED[@]}" slirpnet fuse-overlay; do
        test -x "$DROPIN_DIR/root/usr/bin/$b" || { echo "package lacks /usr/bin/$b" >&2; return 1; }
    done
    for m in slirpnet slirp4netns fuse-overlay fuse-overlayfs rootlesskit rootlessctl rootlesskit-docker-proxy; do
        test -e "$DROPIN_DIR/root/usr/share/man/man1/$m.1.gz" || { echo "no man page $m.1" >&2; return 1; }
    done
}

@test "in the swapped namespace /usr/bin holds ours; without the swap, the originals" {
    local b ours host
    swap_run ours versions
    for b in "${SWAPPED[@]}"; do
        ours=$(sha256sum <"$DROPIN_DIR/root/usr/bin/$b" | cut -d' ' -f1)
        assert_equal "$(check_line "sha256-$b")" "$ours"
    done
    assert_contains "$(check_line slirp4netns)" "slirpnet"
    assert_contains "$(check_line rootlesskit)" "rootless-tools"
    swap_run originals versions
    for b in "${SWAPPED[@]}"; do
        host=$(sha256sum </usr/bin/"$b" | cut -d' ' -f1)
        assert_equal "$(check_line "sha256-$b")" "$host"
    done
    assert_not_contains "$(check_line slirp4netns)" "slirpnet"
}

@test "podman, default network configuration: IPv6, DNS through slirp and a -p port (ours, then originals)" {
    local mode
    for mode in ours originals; do
        swap_run "$mode" podman-net
        assert_equal "$(check_line podman-ipv6)" yes
        assert_equal "$(check_line podman-dns)" yes
        assert_equal "$(check_line podman-port)" bb-httpd-ok
    done
}

@test "podman with /usr/bin/fuse-overlayfs as mount_program runs, commits and re-runs (ours, then originals)" {
    local mode
    for mode in ours originals; do
        swap_run "$mode" podman-storage
        assert_equal "$(check_line podman-driver)" /usr/bin/fuse-overlayfs
        assert_equal "$(check_line podman-commit)" "dropin-data gone"
    done
}

@test "buildah from, run with networking, commit (ours, then originals)" {
    local mode
    for mode in ours originals; do
        swap_run "$mode" buildah
        assert_equal "$(check_line buildah-net)" yes
        assert_equal "$(check_line buildah-commit)" built
    done
}

@test "dockerd-rootless.sh with its defaults runs a container with -p (ours, then originals)" {
    local mode
    for mode in ours originals; do
        swap_run "$mode" docker
        assert_equal "$(check_line docker-net)" --net=slirp4netns
        assert_equal "$(check_line docker-port)" bb-httpd-ok
    done
}

@test "rootless containerd as containerd-rootless.sh starts it: ctr run with networking and a published port (ours, then originals)" {
    local mode
    for mode in ours originals; do
        swap_run "$mode" containerd
        assert_equal "$(check_line containerd-net)" yes
        assert_equal "$(check_line containerd-port)" bb-httpd-ok
    done
}

@test "the host's /usr/bin is unchanged" {
    (cd /usr/bin && sha256sum -c --quiet "$DROPIN_DIR/usr-bin.sha256")
    run findmnt -n /usr/bin/slirp4netns
    [ -z "$output" ]
}
