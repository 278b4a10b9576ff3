#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dropin-client.sh CLIENT — one real client, run as the unprivileged user with its default
# configuration, against whatever /usr/bin/slirp4netns, /usr/bin/fuse-overlayfs and
# /usr/bin/rootlesskit are in this mount namespace (dropin.bats binds ours over them, or not).
# CLIENT: versions | podman-net | podman-storage | docker | buildah | containerd.
# Prints "CHECK name value" lines that dropin.bats asserts on; exits non-zero on the first failure.
# Every path lives in one throw-away directory; whatever this script starts it ends by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.bash
source "$here/lib.bash"

: "${DROPIN_PORT:=18080}"
: "${DROPIN_UDP_PORT:=18053}"
check() { printf 'CHECK %s %s\n' "$1" "$2"; }
# Cleanups run in reverse order at exit, whatever the exit path.
cleanups=()
at_exit() { cleanups+=("$1"); }
run_cleanups() {
    local i
    for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
trap run_cleanups EXIT
# end_pid PID: TERM, then KILL after 10 s.
end_pid() {
    local i
    kill -TERM "$1" 2>/dev/null || return 0
    for i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$1" 2>/dev/null || true
}
die() { echo "dropin-client: $*" >&2; exit 1; }

# Podman with the configuration a distribution ships: storage.conf names /usr/bin/fuse-overlayfs
# as mount_program (as Debian's fuse-overlayfs users configure it); containers.conf carries only
# what this machine needs (no systemd: cgroupfs and file events; crun refuses the hybrid cgroup
# layout: runc) and nothing about the network, so slirp4netns runs with Podman 4.3's defaults
# (enable_ipv6=true, host loopback off) and -p goes through rootlessport.
podman_default_setup() {
    SLIRP4NETNS=unused podman_env_setup /usr/bin/fuse-overlayfs
    sed -i '/network_cmd_path/d' "$XDG_CONFIG_HOME/containers/containers.conf"
    at_exit podman_env_teardown
    make_busybox_image
}

http_get() { curl -fsS --max-time 10 "$1"; }

wait_http() { # URL: up to 20 s for the first answer
    local i
    for i in $(seq 100); do
        http_get "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

client_versions() {
    local b
    for b in slirp4netns fuse-overlayfs rootlesskit rootlessctl rootlesskit-docker-proxy; do
        check "sha256-$b" "$(sha256sum </usr/bin/$b | cut -d' ' -f1)"
    done
    check slirp4netns "$(/usr/bin/slirp4netns --version | sed -n 1p)"
    check rootlesskit "$(/usr/bin/rootlesskit --version | sed -n 1p)"
}

client_podman_net() {
    podman_default_setup
    local out
    out=$(podman run --rm "$BB_IMAGE" sh -c \
        'ip -6 addr show dev tap0 scope global; nslookup dropin.test 10.0.2.3' 2>&1) ||
        die "podman run failed: $out"
    echo "$out"
    if grep -q 'inet6 fd00::' <<<"$out"; then check podman-ipv6 yes; else check podman-ipv6 no; fi
    if grep -q '192.0.2.10' <<<"$out"; then check podman-dns yes; else check podman-dns no; fi
    podman run -d --name web -p "127.0.0.1:$DROPIN_PORT:8080" "$BB_IMAGE" \
        httpd -f -p 8080 -h /var/www >/dev/null
    wait_http "http://127.0.0.1:$DROPIN_PORT/" >/dev/null || die "published port never answered"
    check podman-port "$(http_get "http://127.0.0.1:$DROPIN_PORT/")"
}

client_podman_storage() {
    podman_default_setup
    podman run --name c1 "$BB_IMAGE" sh -c 'echo dropin-data >/f; rm /bin/date' >/dev/null
    podman commit -q c1 localhost/bb2 >/dev/null
    check podman-commit "$(podman run --rm localhost/bb2 sh -c 'test -e /bin/date || echo "$(cat /f) gone"')"
    check podman-driver "$(podman info --format '{{index .Store.GraphOptions "overlay.mount_program" "Executable"}}')"
}

client_buildah() {
    podman_default_setup
    local ctr out
    ctr=$(timeout 60 buildah from --quiet "$BB_IMAGE")
    out=$(timeout 60 buildah run "$ctr" -- sh -c 'ip -4 addr show dev tap0; echo built >/b' 2>&1) ||
        die "buildah run failed: $out"
    echo "$out"
    if grep -q 'inet 10.0.2.100' <<<"$out"; then check buildah-net yes; else check buildah-net no; fi
    timeout 60 buildah commit --quiet "$ctr" localhost/bb3 >/dev/null
    timeout 30 buildah rm "$ctr" >/dev/null
    check buildah-commit "$(podman run --rm localhost/bb3 cat /b)"
}

# Docker 20.10's dockerd-rootless.sh with its defaults (slirp4netns network, builtin port driver,
# rootlesskit-docker-proxy for -p).
client_docker() {
    export HOME=$PE_DIR/home
    mkdir -p "$HOME"
    export PATH=/usr/bin:/usr/sbin:/bin:/sbin
    export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock
    /usr/share/docker.io/contrib/dockerd-rootless.sh >"$PE_DIR/dockerd.log" 2>&1 &
    local dpid=$!
    at_exit "podman unshare rm -rf '$HOME' '$XDG_DATA_HOME/docker' >/dev/null 2>&1"
    at_exit "end_pid $dpid"
    local i
    for i in $(seq 150); do
        timeout 5 docker version >/dev/null 2>&1 && break
        kill -0 "$dpid" 2>/dev/null || { cat "$PE_DIR/dockerd.log" >&2; die "dockerd exited"; }
        sleep 0.2
    done
    timeout 5 docker version >/dev/null || { tail -30 "$PE_DIR/dockerd.log" >&2; die "dockerd never answered"; }
    check docker-net "$(tr '\0' '\n' </proc/"$dpid"/cmdline | grep -m1 -- '^--net=')"
    tar -C "$PE_DIR/rootfs" -c . | timeout 60 docker import - bb >/dev/null
    timeout 60 docker run -d --name web -p "127.0.0.1:$DROPIN_PORT:8080" bb \
        httpd -f -p 8080 -h /var/www >/dev/null
    wait_http "http://127.0.0.1:$DROPIN_PORT/" >/dev/null || { tail -30 "$PE_DIR/dockerd.log" >&2; die "docker -p never answered"; }
    check docker-port "$(http_get "http://127.0.0.1:$DROPIN_PORT/")"
    timeout 30 docker rm -f web >/dev/null
}

# containerd 1.6 the way containerd-rootless.sh starts it: rootlesskit with the slirp4netns network
# and builtin port drivers, /etc and /run copied up, rslave propagation; ctr from inside the
# namespaces (nsenter), a container on the namespace's network reaching the slirp gateway and
# serving a port published through rootlessctl.
client_containerd() {
    local state=$PE_DIR/rk cfg=$PE_DIR/containerd.toml sock=$PE_DIR/r/containerd/containerd.sock
    mkdir -p "$PE_DIR/r/containerd"
    cat >"$cfg" <<EOF
version = 2
root = "$PE_DIR/ctd-root"
state = "$PE_DIR/r/containerd"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = true
EOF
    /usr/bin/rootlesskit --net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto \
        --slirp4netns-seccomp=auto --disable-host-loopback --port-driver=builtin \
        --copy-up=/etc --copy-up=/run --propagation=rslave --state-dir="$state" \
        sh -c "rm -f /run/containerd; exec containerd -c $cfg" >"$PE_DIR/containerd.log" 2>&1 &
    local rpid=$!
    at_exit "podman unshare rm -rf '$PE_DIR/ctd-root' >/dev/null 2>&1"
    at_exit "end_pid $rpid"
    local i
    for i in $(seq 150); do [ -S "$sock" ] && [ -f "$state/child_pid" ] && break; sleep 0.2; done
    [ -S "$sock" ] || { cat "$PE_DIR/containerd.log" >&2; die "containerd never listened"; }
    local child; child=$(cat "$state/child_pid")
    inns() { timeout 60 nsenter -U --preserve-credentials -m -n -t "$child" "$@"; }
    export CONTAINERD_ADDRESS=$sock CONTAINERD_SNAPSHOTTER=native
    timeout 60 podman save --format oci-archive -o "$PE_DIR/bb.tar" "$BB_IMAGE" >/dev/null
    inns ctr images import --base-name localhost/bb --digests "$PE_DIR/bb.tar" >/dev/null
    local ref; ref=$(inns ctr images ls -q | sed -n 1p)
    local out
    out=$(inns ctr run --rm --net-host --cgroup "" --cpu-shares 0 "$ref" c1 \
        sh -c 'ip -4 addr show dev tap0; ping -c1 -W5 10.0.2.2 >/dev/null && echo gw-ok' 2>&1) ||
        die "ctr run failed: $out"
    echo "$out"
    if grep -q 'gw-ok' <<<"$out"; then check containerd-net yes; else check containerd-net no; fi
    inns ctr run -d --net-host --cgroup "" --cpu-shares 0 "$ref" web httpd -f -p 8080 -h /var/www >/dev/null
    ROOTLESSKIT_STATE_DIR=$state timeout 10 /usr/bin/rootlessctl --socket "$state/api.sock" \
        add-ports "127.0.0.1:$DROPIN_PORT:8080/tcp" >/dev/null
    wait_http "http://127.0.0.1:$DROPIN_PORT/" >/dev/null || die "published port never answered"
    check containerd-port "$(http_get "http://127.0.0.1:$DROPIN_PORT/")"
    # The shim of a detached task outlives containerd: end the task and delete it, so the shim
    # exits, before rootlesskit goes.
    inns ctr task kill -s KILL web >/dev/null 2>&1 || true
    inns ctr task delete --force web >/dev/null 2>&1 || true
    inns ctr containers delete web >/dev/null 2>&1 || true
    for i in $(seq 50); do
        pgrep -u "$(id -u)" -f "containerd-shim-runc-v2 .*-address $sock" >/dev/null || break
        sleep 0.1
    done
    if pgrep -u "$(id -u)" -f "containerd-shim-runc-v2 .*-address $sock" >/dev/null; then
        die "a containerd shim outlived its task"
    fi
}

case "${1:-}" in
versions) client_versions ;;
podman-net) client_podman_net ;;
podman-storage) client_podman_storage ;;
buildah) client_buildah ;;
docker) podman_default_setup; client_docker ;;
containerd) podman_default_setup; client_containerd ;;
*) die "usage: dropin-client.sh versions|podman-net|podman-storage|docker|buildah|containerd" ;;
esac
