# SPDX-License-Identifier: Apache-2.0
# lib.bash — shared Podman 4.3 setup for the e2e suites: every path in one short throw-away
# directory (config, storage, runtime), a local busybox-static image, and cleanup that ends only
# what Podman started for us (containers by `podman rm`, Podman's pause process by its PID file).
# See docs/architecture.md "Podman 4.3 on these machines".

PODMAN=${PODMAN:-/usr/bin/podman}
PODMAN_TIMEOUT=${PODMAN_TIMEOUT:-40}
BB_IMAGE=localhost/bb

# podman ARGS...: Podman with a time limit, in the throw-away environment set up by podman_env_setup.
podman() { timeout --kill-after=5 "$PODMAN_TIMEOUT" "$PODMAN" "$@"; }

# podman_env_setup [MOUNT_PROGRAM]: make the throw-away dir $PE_DIR (short: the slirp4netns API
# socket lives under XDG_RUNTIME_DIR and must fit in sun_path), write storage.conf and
# containers.conf and export the XDG variables. With MOUNT_PROGRAM, storage.conf names it as
# overlay mount_program; without it Podman uses kernel overlayfs in the user namespace.
podman_env_setup() {
    local mount_program=${1:-}
    PE_DIR=$(mktemp -d /tmp/pe.XXXX)
    export PE_DIR
    export XDG_CONFIG_HOME=$PE_DIR/c XDG_DATA_HOME=$PE_DIR/d XDG_RUNTIME_DIR=$PE_DIR/r
    mkdir -p "$XDG_CONFIG_HOME/containers" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$PE_DIR/tmp"
    chmod 0700 "$XDG_RUNTIME_DIR"
    export TMPDIR=$PE_DIR/tmp
    {
        echo '[storage]'
        echo 'driver = "overlay"'
        echo "graphroot = \"$PE_DIR/g\""
        echo "runroot = \"$PE_DIR/rr\""
        if [ -n "$mount_program" ]; then
            echo '[storage.options.overlay]'
            echo "mount_program = \"$mount_program\""
        fi
    } >"$XDG_CONFIG_HOME/containers/storage.conf"
    {
        echo '[engine]'
        echo 'runtime = "runc"'
        echo 'cgroup_manager = "cgroupfs"'
        echo 'events_logger = "file"'
        echo "network_cmd_path = \"$SLIRP4NETNS\""
    } >"$XDG_CONFIG_HOME/containers/containers.conf"
}

# expect_ok: after `run`, fail with the exit status and the full output (and stderr, after
# `run --separate-stderr`) unless status is 0.
expect_ok() {
    [ "$status" = 0 ] && return 0
    printf 'exit status %s; output:\n%s\n' "$status" "$output" >&2
    if [ -n "${stderr:-}" ]; then printf 'stderr:\n%s\n' "$stderr" >&2; fi
    return 1
}

# make_busybox_image [NAME]: import a one-layer image of busybox-static and its applet links.
make_busybox_image() {
    local name=${1:-$BB_IMAGE}
    local root=$PE_DIR/rootfs
    local bb=/bin/busybox
    [ -x "$bb" ] || { echo "busybox-static not installed ($bb)" >&2; return 1; }
    mkdir -p "$root"/{bin,sbin,etc,tmp,proc,sys,dev,root,var/www}
    cp "$bb" "$root/bin/busybox"
    local a
    for a in sh ash cat echo ls sleep nc wget httpd ip ifconfig route hostname id mkdir rm \
        touch printf test true false env grep sed head tail ps kill uname date; do
        ln -s busybox "$root/bin/$a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    chmod 1777 "$root/tmp"
    echo bb-httpd-ok >"$root/var/www/index.html"
    tar -C "$root" -c . | podman import - "$name" >/dev/null
}

# podman_env_teardown: remove containers, end Podman's pause process by its PID file, and delete
# $PE_DIR (storage holds files owned by subordinate ids: remove it from inside `podman unshare`).
podman_env_teardown() {
    [ -n "${PE_DIR:-}" ] && [ -d "$PE_DIR" ] || return 0
    podman rm -af -t0 >/dev/null 2>&1 || true
    podman unshare rm -rf "$PE_DIR/g" "$PE_DIR/rr" "$PE_DIR/rootfs" >/dev/null 2>&1 || true
    podman_end_pause
    rm -rf "$PE_DIR" 2>/dev/null || true
    if [ -d "$PE_DIR" ]; then
        echo "podman_env_teardown: could not remove $PE_DIR" >&2
        ls -laR "$PE_DIR" >&2 || true
    fi
}

# podman_end_pause: end Podman's rootless pause process (it holds the user namespace) by the PID
# it wrote under our XDG_RUNTIME_DIR; never by name.
podman_end_pause() {
    local pausefile=$XDG_RUNTIME_DIR/libpod/tmp/pause.pid pid
    [ -f "$pausefile" ] && pid=$(cat "$pausefile") && [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    local i
    for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

# netns_program_pids NETNS_PATH: PIDs of our processes whose command line names NETNS_PATH (the
# network program Podman started for a container: it gets the netns path as an argument).
netns_program_pids() {
    local want=$1 f pid
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}; pid=${pid%/cmdline}
        [ -O "/proc/$pid" ] || continue
        if tr '\0' '\n' <"$f" 2>/dev/null | grep -qxF -- "$want"; then echo "$pid"; fi
    done
}
