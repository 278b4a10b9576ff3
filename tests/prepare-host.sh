#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# prepare-host.sh — make this machine look like a normal distro for an unprivileged container user.
# As root (idempotent): install every build and test dependency with apt, create the test user with
# /etc/subuid and /etc/subgid ranges, make /dev/fuse and /dev/net/tun usable, give the user an
# XDG_RUNTIME_DIR, allow unprivileged ping sockets; each change is printed before it is made.
# `--check`, or any other user: change nothing, say what is missing (exit 1 if any).
set -euo pipefail

user=${RT_TEST_USER:-rttest}

build_pkgs=(meson ninja-build pkg-config g++ catch2 libfuse3-dev libseccomp-dev libcap-dev
            nlohmann-json3-dev scdoc python3 clang-16 libclang-rt-16-dev clang-format-16)
test_pkgs=(bats rootlesskit slirp4netns fuse-overlayfs uidmap fuse3 iproute2 iputils-ping iperf3
           ncat socat jq busybox-static util-linux procps passt podman runc hyperfine kmod attr
           curl psmisc docker.io buildah containerd debhelper dpkg-dev lintian
           strace e2fsprogs libcap2-bin bsdutils)

missing=()
note() { missing+=("$1"); echo "prepare-host: $1" >&2; }

pkgs_missing() {
    local p out=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
    done
    echo "${out[@]:-}"
}

# The first free subordinate id range of `count` ids above 100000 that overlaps no existing one.
free_subid_start() {
    local count=$1 start=100000 changed=1
    while [ $changed = 1 ]; do
        changed=0
        while IFS=: read -r _ s c; do
            [ -n "${s:-}" ] || continue
            if [ "$start" -lt $((s + c)) ] && [ $((start + count)) -gt "$s" ]; then
                start=$((s + c)); changed=1
            fi
        done < <(cat /etc/subuid /etc/subgid 2>/dev/null)
    done
    echo "$start"
}

# As root each change is announced before it is made, and only made when the host differs; with
# --check (as root or not) nothing changes: each needed change is reported and the exit is 1.
check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) echo "usage: tests/prepare-host.sh [--check]" >&2; exit 2 ;;
esac

# change DESCRIPTION COMMAND...: report it (--check) or say it, then do it.
change() {
    local what=$1; shift
    if [ $check = 1 ]; then
        note "would change: $what"
    else
        echo "prepare-host: $what"
        "$@"
    fi
}

mode_of() { stat -c %a "$1" 2>/dev/null || echo none; }

if [ "$(id -u)" = 0 ]; then
    need=$(pkgs_missing "${build_pkgs[@]}" "${test_pkgs[@]}")
    if [ -n "$need" ]; then
        install_pkgs() {
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            # shellcheck disable=SC2086
            apt-get install -y -qq --no-install-recommends $need >/dev/null
        }
        change "install packages with apt-get: $need" install_pkgs
    fi
    if ! id -u "$user" >/dev/null 2>&1; then
        change "create the test user $user (useradd --create-home)" useradd --create-home --shell /bin/bash "$user"
    fi
    for f in /etc/subuid /etc/subgid; do
        if ! grep -q "^$user:" "$f" 2>/dev/null; then
            range="$user:$(free_subid_start 65536):65536"
            change "append $range to $f" sh -c 'echo "$1" >>"$2"' sh "$range" "$f"
        fi
    done
    for d in /dev/fuse /dev/net/tun; do
        [ "$(mode_of "$d")" = 666 ] || change "chmod 0666 $d (was $(mode_of "$d"))" chmod 0666 "$d"
    done
    if id -u "$user" >/dev/null 2>&1; then
        uid=$(id -u "$user")
        [ -d "/run/user/$uid" ] && [ "$(stat -c %u:%a "/run/user/$uid")" = "$uid:700" ] ||
            change "make /run/user/$uid (0700, owned by $user) as its XDG_RUNTIME_DIR" \
                install -d -m 0700 -o "$user" -g "$(id -g "$user")" "/run/user/$uid"
    fi
    # newuidmap/newgidmap must be setuid (or have file caps) for the user's namespaces.
    for b in /usr/bin/newuidmap /usr/bin/newgidmap /usr/bin/fusermount3; do
        [ ! -e "$b" ] || [ -u "$b" ] || getcap "$b" 2>/dev/null | grep -q cap_set ||
            change "set the setuid bit of $b (chmod u+s)" chmod u+s "$b"
    done
    # Unprivileged ICMP ping sockets, as Debian systems with systemd have them
    # (/usr/lib/sysctl.d/50-default.conf: net.ipv4.ping_group_range = 0 2147483647); this machine
    # boots with "1 0" (none). The slirpnet suite tests ICMP echo both ways: through ping sockets
    # here, and through the UDP-port-7 fallback in a namespace of its own, where the range starts
    # out as "1 0".
    if [ -w /proc/sys/net/ipv4/ping_group_range ] &&
        [ "$(tr -s '\t ' ' ' </proc/sys/net/ipv4/ping_group_range)" != "0 2147483647" ]; then
        change "sysctl net.ipv4.ping_group_range='0 2147483647' (was '$(tr -s '\t ' ' ' </proc/sys/net/ipv4/ping_group_range)')" \
            sh -c 'echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range'
    fi
    # fuse.conf: allow_other for the user's mounts where a test asks for it.
    grep -q '^user_allow_other' /etc/fuse.conf 2>/dev/null ||
        change "add user_allow_other to /etc/fuse.conf" sh -c 'echo user_allow_other >>/etc/fuse.conf'
    if [ $check = 1 ]; then
        [ ${#missing[@]} = 0 ] || exit 1
        echo "prepare-host: nothing to change for user $user"
    else
        echo "prepare-host: ready for user $user (uid $(id -u "$user"))"
    fi
    exit 0
fi

# Unprivileged: report only.
need=$(pkgs_missing "${build_pkgs[@]}" "${test_pkgs[@]}")
[ -z "$need" ] || note "packages missing (run as root to install): $need"
me=$(id -un)
grep -q "^$me:" /etc/subuid 2>/dev/null || note "no /etc/subuid range for $me"
grep -q "^$me:" /etc/subgid 2>/dev/null || note "no /etc/subgid range for $me"
[ -r /dev/fuse ] && [ -w /dev/fuse ] || note "/dev/fuse is not read-writable for $me"
[ -r /dev/net/tun ] && [ -w /dev/net/tun ] || note "/dev/net/tun is not read-writable for $me"
[ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ] || note "XDG_RUNTIME_DIR is not set to a directory"
unshare -r true 2>/dev/null || note "unprivileged user namespaces are not available"
read -r lo hi </proc/sys/net/ipv4/ping_group_range 2>/dev/null || { lo=1; hi=0; }
g=$(id -g)
[ "$lo" -le "$g" ] && [ "$g" -le "$hi" ] ||
    echo "prepare-host: note: net.ipv4.ping_group_range ($lo $hi) excludes gid $g: no unprivileged" \
        "ping sockets (tests that need them skip)" >&2
[ ${#missing[@]} = 0 ] || exit 1
echo "prepare-host: this user can run the integration suites"
