#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# copyup.bats — tmpfs+symlink and overlayfs copy-up, mount propagation (docs/compat/rootlesskit.md §6.2, §6.5)

load lib

teardown() { teardown_pids; }

setup() { require_binary "$ROOTLESSKIT"; }

@test "--copy-up=/etc: /etc is a writable tmpfs of symlinks into .roNNN" {
    run "$ROOTLESSKIT" --copy-up=/etc sh -c 'findmnt -n -o FSTYPE /etc; readlink /etc/passwd; echo x > /etc/new-file && cat /etc/new-file; head -1 /etc/passwd'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = tmpfs ]
    [[ "${lines[1]}" =~ ^\.ro[A-Za-z0-9]+/passwd$ ]]
    [ "${lines[2]}" = x ]
    [ "${lines[3]}" = "$(head -1 /etc/passwd)" ]
    [ ! -e /etc/new-file ]
}

@test "copy-up keeps existing symlinks' targets verbatim" {
    local want; want=$(readlink /etc/mtab || true)
    [ -n "$want" ] || skip "host /etc/mtab is not a symlink"
    run "$ROOTLESSKIT" --copy-up=/etc readlink /etc/mtab
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
}

@test "several copy-up dirs, comma-separated" {
    skip_if_original "$ROOTLESSKIT" "v2-only: 1.1.0 does not split --copy-up on commas"
    run "$ROOTLESSKIT" --copy-up=/etc,/run sh -c 'findmnt -n -o FSTYPE /etc; findmnt -n -o FSTYPE /run'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = tmpfs ]
    [ "${lines[1]}" = tmpfs ]
}

@test "--copy-up=/tmp is rejected" {
    run "$ROOTLESSKIT" --copy-up=/tmp true
    [ "$status" -eq 1 ]
    assert_contains "$output" "/tmp cannot be copied up"
}

@test "--copy-up=/run keeps a state dir under /run reachable" {
    [ -d "${XDG_RUNTIME_DIR:-}" ] || skip "no XDG_RUNTIME_DIR"
    local st="$XDG_RUNTIME_DIR/rk-bats-$$"
    run "$ROOTLESSKIT" --state-dir="$st" --copy-up=/run sh -c 'findmnt -n -o FSTYPE /run
        cd "$ROOTLESSKIT_STATE_DIR" && test -S api.sock && test -f lock && cat child_pid && echo &&
        curl -s --unix-socket api.sock http://rootlesskit/v1/info'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = tmpfs ]
    [[ "${lines[1]}" =~ ^[0-9]+$ ]]
    assert_contains "${lines[2]}" "\"stateDir\":\"$st\",\"childPID\":${lines[1]}}"
    [ ! -e "$st" ]
}

# --copy-up-mode=overlayfs: ours only (rootlesskit#638; docs/compat/rootlesskit.md §6.5).

@test "--copy-up-mode=overlayfs: /etc is a userxattr overlay of regular files at their own paths" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    run_rk --copy-up=/etc --copy-up-mode=overlayfs sh -c 'findmnt -n -o FSTYPE /etc
        findmnt -n -o OPTIONS /etc | tr , "\n" | grep -x userxattr
        test -L /etc/passwd && echo symlink || echo regular
        realpath /etc/passwd; realpath /etc/resolv.conf; head -1 /etc/passwd; ls -a /etc | grep "^\.ro" | wc -l'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = overlay ]
    [ "${lines[1]}" = userxattr ]
    [ "${lines[2]}" = regular ]
    [ "${lines[3]}" = /etc/passwd ]
    [ "${lines[4]}" = "$(realpath /etc/resolv.conf)" ]
    [ "${lines[5]}" = "$(head -1 /etc/passwd)" ]
    [ "${lines[6]}" = 0 ]
    [ ! -s "$BATS_TEST_TMPDIR/stderr" ]
}

@test "--copy-up-mode=overlayfs: writes land in the copy, the host dir is unchanged" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    local before; before=$(ls -la --time-style=+%s /etc | md5sum)
    run_rk --copy-up=/etc --copy-up-mode=overlayfs sh -c 'echo new > /etc/rk-bats-new && cat /etc/rk-bats-new
        rm /etc/hostname && echo ns-host > /etc/hostname && cat /etc/hostname
        mkdir /etc/rk-bats-dir && ls -d /etc/rk-bats-dir'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    assert_equal "$output" "new
ns-host
/etc/rk-bats-dir"
    [ ! -e /etc/rk-bats-new ] && [ ! -e /etc/rk-bats-dir ]
    [ "$(cat /etc/hostname)" != ns-host ]
    [ "$(ls -la --time-style=+%s /etc | md5sum)" = "$before" ]
}

@test "--copy-up-mode=overlayfs with slirp4netns: /etc/resolv.conf is a regular file at /etc/resolv.conf" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    local s4n=${RK_SLIRP4NETNS:-/usr/bin/slirp4netns}
    run_rk --net=slirp4netns --slirp4netns-binary="$s4n" --disable-host-loopback --copy-up=/etc \
        --copy-up-mode=overlayfs sh -c 'findmnt -n -o FSTYPE /etc
        test -L /etc/resolv.conf && echo symlink || echo regular
        realpath /etc/resolv.conf; cat /etc/resolv.conf'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    assert_equal "$output" "overlay
regular
/etc/resolv.conf
nameserver 10.0.2.3"
}

@test "--copy-up-mode=overlayfs: several and nested dirs each get their own overlay" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    run_rk --copy-up=/etc,/run --copy-up=/etc/apt --copy-up-mode=overlayfs sh -c '
        findmnt -n -o FSTYPE /etc; findmnt -n -o FSTYPE /run; findmnt -n -o FSTYPE /etc/apt
        echo a > /etc/apt/rk-bats && echo r > /run/rk-bats && echo e > /etc/rk-bats &&
        cat /etc/apt/rk-bats /run/rk-bats /etc/rk-bats; realpath /etc/apt/sources.list.d'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    assert_equal "$output" "overlay
overlay
overlay
a
r
e
/etc/apt/sources.list.d"
    [ ! -e /etc/apt/rk-bats ] && [ ! -e /run/rk-bats ] && [ ! -e /etc/rk-bats ]
}

@test "--copy-up-mode=overlayfs keeps a copied-up dir beneath a later one" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    # /etc/apt's overlay is a mount beneath /etc when /etc is covered: it is put back on top.
    run_rk --copy-up=/etc/apt --copy-up=/etc --copy-up-mode=overlayfs sh -c '
        echo a > /etc/apt/rk-bats && findmnt -n -o FSTYPE /etc; stat -c %m /etc/apt
        test "$(stat -c %d /etc)" != "$(stat -c %d /etc/apt)" && echo separate; cat /etc/apt/rk-bats'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    assert_equal "$output" "overlay
/etc/apt
separate
a"
    [ ! -s "$BATS_TEST_TMPDIR/stderr" ]
    [ ! -e /etc/apt/rk-bats ]
}

@test "--copy-up-mode=overlayfs on a dir with mounts from outside the namespace falls back" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    # A mount made in the outer namespace is locked in the inner one, and the kernel refuses an
    # overlay lower with locked mounts beneath it. The inner rootlesskit runs as root of the
    # outer namespace, where a subuid range for root is bind-mounted over /etc/sub[ug]id.
    local d=$BATS_TEST_TMPDIR/d
    mkdir -p "$d/sub" && echo lower >"$d/file"
    cat >"$BATS_TEST_TMPDIR/nested.sh" <<'EOF'
#!/bin/sh
set -e
st=$ROOTLESSKIT_STATE_DIR
printf 'root:1:65535\n' >"$st/subid"
mount --bind "$st/subid" /etc/subuid
mount --bind "$st/subid" /etc/subgid
mount -t tmpfs none "$D/sub"
echo beneath >"$D/sub/f"
"$RK" --state-dir="$st/in" --copy-up="$D" --copy-up-mode=overlayfs sh -c '
    findmnt -n -o FSTYPE --target "$D"; cat "$D/sub/f" "$D/file"; echo new >"$D/new"; cat "$D/new"'
test ! -e "$D/new" && echo "not on the host"
EOF
    chmod +x "$BATS_TEST_TMPDIR/nested.sh"
    D=$d RK=$ROOTLESSKIT run_rk "$BATS_TEST_TMPDIR/nested.sh"
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    assert_equal "$output" "tmpfs
beneath
lower
new
not on the host"
    assert_contains "$(cat "$BATS_TEST_TMPDIR/stderr")" "level=warning msg=\"[rootlesskit:child ] copy-up of $d with overlayfs failed (overlay lowerdir=$d: invalid argument; mounts beneath it ($d/sub) made outside this user namespace cannot be overlaid); falling back to tmpfs+symlink for $d\""
}

@test "--copy-up-mode=overlayfs --copy-up=/run keeps the state dir under /run reachable" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    [ -d "${XDG_RUNTIME_DIR:-}" ] || skip "no XDG_RUNTIME_DIR"
    findmnt -rn -o TARGET | grep -q '^/run/' && skip "mounts beneath /run: the kernel refuses the overlay"
    # A unix socket in an overlay's lower cannot be connected to through the overlay: the state
    # dir is bind-mounted back over its place.
    local st="$XDG_RUNTIME_DIR/rk-bats-$$"
    run_rk --state-dir="$st" --copy-up=/run --copy-up-mode=overlayfs sh -c 'findmnt -n -o FSTYPE /run
        cd "$ROOTLESSKIT_STATE_DIR" && test -S api.sock && cat child_pid && echo &&
        curl -s --unix-socket api.sock http://rootlesskit/v1/info'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = overlay ]
    [[ "${lines[1]}" =~ ^[0-9]+$ ]]
    assert_contains "${lines[2]}" "\"stateDir\":\"$st\",\"childPID\":${lines[1]}}"
    [ ! -s "$BATS_TEST_TMPDIR/stderr" ]
    [ ! -e "$st" ]
}

@test "--copy-up-mode=overlayfs falls back to tmpfs+symlink with a warning where the kernel refuses" {
    skip_if_original "$ROOTLESSKIT" "ours only: no --copy-up-mode=overlayfs upstream"
    # procfs sets the maximum stacking depth: the kernel refuses it as an overlay lower.
    run_rk --copy-up=/etc,/proc/sys --copy-up-mode=overlayfs sh -c 'findmnt -n -o FSTYPE /etc
        findmnt -n -o FSTYPE /proc/sys; readlink /proc/sys/kernel; cat /proc/sys/kernel/ostype'
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = overlay ]
    [ "${lines[1]}" = tmpfs ]
    [[ "${lines[2]}" =~ ^\.ro[A-Za-z0-9]+/kernel$ ]]
    [ "${lines[3]}" = Linux ]
    local err; err=$(cat "$BATS_TEST_TMPDIR/stderr")
    assert_contains "$err" 'level=warning msg="[rootlesskit:child ] copy-up of /proc/sys with overlayfs failed (overlay lowerdir=/proc/sys: '
    assert_contains "$err" '); falling back to tmpfs+symlink for /proc/sys"'
    [ "$(grep -c level=warning "$BATS_TEST_TMPDIR/stderr")" -eq 1 ]
}

@test "--copy-up-mode: unknown values are refused with upstream's message" {
    run "$ROOTLESSKIT" --copy-up=/etc --copy-up-mode=overlay true
    [ "$status" -eq 1 ]
    assert_contains "$output" "unknown copy-up mode: overlay"
}

# write_propagation_probe: $BATS_TEST_TMPDIR/prop prints the optional fields of the last "/" mount
# in /proc/self/mountinfo by kind: "-" private, "master" slave, "shared master" shared and slave.
write_propagation_probe() {
    cat >"$BATS_TEST_TMPDIR/prop" <<'EOF'
#!/bin/sh
awk '$5 == "/" { f = ""; for (i = 7; $i != "-"; i++) { split($i, a, ":"); f = f (f ? " " : "") a[1] } }
     END { print (f ? f : "-") }' /proc/self/mountinfo
EOF
    chmod +x "$BATS_TEST_TMPDIR/prop"
}

@test "--propagation: rprivate (default), rslave, rshared, exactly, under a shared parent /" {
    # The host's / may be private, and a slave of a private mount is private: run a second
    # rootlesskit inside one whose / is rshared. The inner one runs as root of the outer
    # namespace, where a subuid range for root is bind-mounted over /etc/sub[ug]id.
    write_propagation_probe
    cat >"$BATS_TEST_TMPDIR/nested.sh" <<'EOF'
#!/bin/sh
set -e
st=$ROOTLESSKIT_STATE_DIR
printf 'root:1:65535\n' >"$st/subid"
mount --bind "$st/subid" /etc/subuid
mount --bind "$st/subid" /etc/subgid
echo "outer: $("$PROBE")"
echo "default: $("$RK" --state-dir="$st/in" "$PROBE")"
for p in rprivate rslave rshared; do
    echo "$p: $("$RK" --state-dir="$st/in-$p" --propagation=$p "$PROBE")"
done
EOF
    chmod +x "$BATS_TEST_TMPDIR/nested.sh"
    RK=$ROOTLESSKIT PROBE=$BATS_TEST_TMPDIR/prop run_rk --propagation=rshared "$BATS_TEST_TMPDIR/nested.sh"
    [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
    [ "$status" -eq 0 ]
    assert_contains "${lines[0]}" "outer: shared"
    assert_equal "$(printf '%s\n' "${lines[@]:1}")" "default: -
rprivate: -
rslave: master
rshared: shared master"
}

@test "--propagation=rslave on this host's / gives what the kernel makes of a slave of it" {
    write_propagation_probe
    local want=-
    [ "$("$BATS_TEST_TMPDIR/prop")" = - ] || want=master
    start_rk --propagation=rslave sleep infinity
    run rk_enter "$BATS_TEST_TMPDIR/prop"
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
}

@test "unknown --propagation values are ignored" {
    run "$ROOTLESSKIT" --propagation=bogus true
    [ "$status" -eq 0 ]
}

@test "a non-private propagation on a non-shared host / is warned about" {
    grep -q " / / .* shared:" /proc/self/mountinfo && skip "host / is shared"
    run "$ROOTLESSKIT" --propagation=rslave true
    [ "$status" -eq 0 ]
    assert_contains "$output" 'level=warning'
    assert_contains "$output" 'Setting child propagation to \"rslave\" is not supported.'
}
