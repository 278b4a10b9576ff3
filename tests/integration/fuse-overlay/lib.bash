# SPDX-License-Identifier: Apache-2.0
# lib.bash — fuse-overlay suite helpers: layer trees, a mount inside a user+mount namespace

# ovl_setup: a fresh test dir $T with M (mountpoint), U, W and lower dirs L1..L3.
ovl_setup() {
    T=$BATS_TEST_TMPDIR/t
    mkdir -p "$T"/{M,U,W,L1,L2,L3}
    export T
}

# ovl_in_mount OPTS CMD: inside `unshare -rm`, mount $FUSE_OVERLAYFS -o OPTS at $T/M, run the bash
# string CMD with cwd $T/M, unmount, and return CMD's status. Mount failure returns 99 with the
# mount's stderr. Paths in OPTS may use $T (expanded here).
ovl_in_mount() {
    OVL_OPTS=$1 OVL_CMD=$2 unshare -rm bash -c '
        "$FUSE_OVERLAYFS" -o "$OVL_OPTS" "$T/M" 2>"$T/mount.err" || { cat "$T/mount.err" >&2; exit 99; }
        trap "cd /; umount \"\$T/M\"" EXIT
        cd "$T/M" && eval "$OVL_CMD"
    '
}

# ovl_kernel_in_mount OPTS CMD: the same with kernel overlayfs (userxattr) for comparisons.
ovl_kernel_in_mount() {
    OVL_OPTS=$1 OVL_CMD=$2 unshare -rm bash -c '
        mount -t overlay overlay -o "$OVL_OPTS,userxattr" "$T/M" || exit 99
        trap "cd /; umount \"\$T/M\"" EXIT
        cd "$T/M" && eval "$OVL_CMD"
    '
}

# ovl_mountinfo PATH: the mountinfo line for PATH in this mount namespace (empty if none).
ovl_mountinfo() { grep -F " $1 " /proc/self/mountinfo || true; }

# ovl_unmount_if_mounted PATH: cleanup for plain-user mounts made through fusermount3.
ovl_unmount_if_mounted() {
    if [ -n "$(ovl_mountinfo "$1")" ]; then fusermount3 -u "$1" || true; fi
}

# ovl_is_mounted PATH: true while PATH is a mountpoint in this mount namespace (for wait_until).
ovl_is_mounted() { grep -qF " $1 " /proc/self/mountinfo; }

# ovl_fg_in_mount OPTS CMD [WRAPPER...]: like ovl_in_mount, but the daemon runs in the foreground
# (-f) as a child of the namespace's shell, started through WRAPPER (e.g. strace -f -o FILE), with
# its PID in $OVL_PID for CMD. After CMD the mount is unmounted and the daemon waited for; the
# status is CMD's (98: the daemon did not exit 0; 99: no mount within 10 s).
ovl_fg_in_mount() {
    OVL_OPTS=$1 OVL_CMD=$2 unshare -rm bash -c '
        "$@" "$FUSE_OVERLAYFS" -f -o "$OVL_OPTS" "$T/M" 2>"$T/mount.err" & OVL_PID=$!
        for i in $(seq 200); do
            grep -qF " $T/M " /proc/self/mountinfo && break
            kill -0 $OVL_PID 2>/dev/null || break
            sleep 0.05
        done
        grep -qF " $T/M " /proc/self/mountinfo || { cat "$T/mount.err" >&2; kill $OVL_PID; exit 99; }
        rc=0
        (cd "$T/M" && eval "$OVL_CMD") || rc=$?
        cd / && umount "$T/M"
        wait $OVL_PID || { echo "daemon exited $?" >&2; exit 98; }
        exit $rc
    ' _ "${@:3}"
}
