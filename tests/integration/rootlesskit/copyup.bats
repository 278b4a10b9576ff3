#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# copyup.bats — tmpfs+symlink copy-up and mount propagation (docs/compat/rootlesskit.md §6.2)

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
