#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# v3.bats — RootlessKit v3-era behaviour and the upstream asks we answer (issue 18): a reaper
# without --pidns, the controlling terminal kept without a reaper, the AppArmor hint, and drivers
# whose helper is missing, the parent-death signal (docs/compat/rootlesskit.md §2.4, §2.5)

load lib

teardown() { teardown_pids; }

setup() { require_binary "$ROOTLESSKIT"; }

# orphan_probe: the command for rootlesskit; it makes an orphan (a sleep whose parent shell has
# exited), prints "ppid <orphan's parent> <rootlesskit child>", kills the orphan and prints
# "reaped" once it is gone or "zombie" if it is still there, unreaped, after 10 s.
orphan_probe() {
    cat >"$BATS_TEST_TMPDIR/orphan.sh" <<'EOF2'
#!/bin/sh
sh -c 'sleep 60 & echo $! >"$1"' _ "$ROOTLESSKIT_STATE_DIR/orphan"
o=$(cat "$ROOTLESSKIT_STATE_DIR/orphan")
echo "ppid $(awk '/^PPid:/ {print $2}' /proc/$o/status) $PPID"
kill "$o"
i=0
while [ -e "/proc/$o" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if [ -e "/proc/$o" ]; then echo "zombie $(awk '/^State:/ {print $2}' /proc/$o/status)"; else echo reaped; fi
EOF2
    chmod +x "$BATS_TEST_TMPDIR/orphan.sh"
}

@test "without --pidns, orphans of the command are reparented to the child and reaped" {
    skip_if_original "$ROOTLESSKIT" "ours only: a subreaper without --pidns (rootlesskit#532)"
    orphan_probe
    for flags in "" "--reaper=auto" "--reaper=true"; do
        run_rk $flags "$BATS_TEST_TMPDIR/orphan.sh"
        [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
        [ "$status" -eq 0 ]
        read -r _ ppid child <<<"${lines[0]}"
        [ "$ppid" = "$child" ]
        [ "${lines[1]}" = reaped ]
    done
}

@test "--reaper=false: orphans leave the child, as upstream" {
    orphan_probe
    run_rk --reaper=false "$BATS_TEST_TMPDIR/orphan.sh"
    [ "$status" -eq 0 ]
    read -r _ ppid child <<<"${lines[0]}"
    [ -n "$ppid" ] && [ "$ppid" != "$child" ]
}

@test "without a reaper the command keeps the controlling terminal (upstream #567)" {
    # script(1) gives rootlesskit a pty as its controlling terminal; field 7 of stat is the
    # controlling tty (0: none), field 8 the terminal's foreground process group.
    local probe='read -r _ _ _ _ pgrp _ tty tpgid _ </proc/self/stat; echo "tty=$tty fg=$([ "$pgrp" = "$tpgid" ] && echo yes || echo no)"'
    run script -qec "$(printf '%q ' "$ROOTLESSKIT" sh -c "$probe")" /dev/null
    [ "$status" -eq 0 ]
    assert_contains "$output" "fg=yes"
    [[ "$output" =~ tty=[1-9][0-9]* ]]
    assert_not_contains "$output" "tty=0 "
    # With --pidns the reaper puts the command in a session of its own, as upstream does.
    run script -qec "$(printf '%q ' "$ROOTLESSKIT" --pidns sh -c "$probe")" /dev/null
    [ "$status" -eq 0 ]
    assert_contains "$output" "tty=0 fg=no"
}

@test "EACCES from user-namespace creation with the AppArmor restriction on: upstream's hint" {
    skip_if_original "$ROOTLESSKIT" "v2-only: the AppArmor hint (1.1.0 prints the error alone)"
    # A namespace of our own where /proc/sys/kernel/apparmor_restrict_unprivileged_userns reads
    # VALUE, and a seccomp filter that fails clone(CLONE_NEWUSER) with EACCES, as AppArmor does.
    local deny=$BATS_TEST_DIRNAME/deny-userns.py
    "$deny" true || skip "deny-userns.py needs x86_64 (exit $?)"
    for value in 1 0; do
        run unshare -Urm sh -c 'mount -t tmpfs none /proc/sys/kernel &&
            echo "$1" >/proc/sys/kernel/apparmor_restrict_unprivileged_userns &&
            exec "$2" "$3" true' _ "$value" "$deny" "$ROOTLESSKIT"
        [ "$status" -eq 1 ]
        assert_contains "$output" "[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: permission denied"
        if [ "$value" = 1 ]; then
            local exe name; exe=$(readlink -f "$ROOTLESSKIT")
            name=$(echo "${exe#/}" | tr / .)
            [[ "$output" == *'level=warning msg="'*'This error might have happened because /proc/sys/kernel/apparmor_restrict_unprivileged_userns is set to 1"'* ]]
            assert_contains "$output" "Hint: try running the following commands:\\n\\n\\n########## BEGIN ##########\\ncat <<EOT | sudo tee \\\"/etc/apparmor.d/$name\\\""
            assert_contains "$output" "\\n$exe flags=(unconfined) {\\n  userns,\\n"
        else
            assert_not_contains "$output" "apparmor"
        fi
    done
}

@test "--net=lxc-user-nic without the helper names it" {
    skip_if_original "$ROOTLESSKIT" "ours only: 1.1.0 says 'exec: \"\": executable file not found'"
    local d
    for d in /usr/libexec/lxc /usr/lib/x86_64-linux-gnu/lxc /usr/lib/aarch64-linux-gnu/lxc /usr/lib/lxc; do
        [ ! -e "$d/lxc-user-nic" ] || skip "lxc-user-nic is installed ($d)"
    done
    run "$ROOTLESSKIT" --net=lxc-user-nic true
    [ "$status" -eq 1 ]
    assert_contains "$output" "[rootlesskit:parent] error: --net=lxc-user-nic needs the lxc-user-nic helper (Debian package lxc), which is not installed; --lxc-user-nic-binary names its path"
    run "$ROOTLESSKIT" --net=lxc-user-nic --lxc-user-nic-binary=/bin/true true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: --net=lxc-user-nic is not supported"
}

@test "--net=vpnkit: a missing vpnkit is named, a present one refused with a message" {
    skip_if_original "$ROOTLESSKIT" "Debian's 1.1.0 is built without vpnkit: 'not supported in this Debian package'"
    run env PATH=/usr/bin:/bin "$ROOTLESSKIT" --net=vpnkit --vpnkit-binary=vpnkit-missing-here true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'error: exec: "vpnkit-missing-here": executable file not found in $PATH'
    run "$ROOTLESSKIT" --net=vpnkit --vpnkit-binary=/bin/true true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: --net=vpnkit is not supported"
}

@test "--port-driver=pesto (v3.1) names the missing pesto binary" {
    skip_if_original "$ROOTLESSKIT" "v3.1-only: --port-driver=pesto"
    command -v pasta >/dev/null || skip "pasta (passt) is not installed"
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    ln -s "$(command -v pasta)" "$BATS_TEST_TMPDIR/bin/pasta"
    # A PATH with pasta and without pesto.
    run env PATH="$BATS_TEST_TMPDIR/bin" "$(command -v "$ROOTLESSKIT")" --net=pasta --port-driver=pesto true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'error: port driver "pesto" needs the pesto binary of passt, which is not installed: exec: "pesto": executable file not found in $PATH'
    # With a pesto: still refused, naming the flag.
    ln -s /bin/true "$BATS_TEST_TMPDIR/bin/pesto"
    run env PATH="$BATS_TEST_TMPDIR/bin" "$(command -v "$ROOTLESSKIT")" --net=pasta --port-driver=pesto true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: --port-driver=pesto is not supported"
}

# Parent-death signal (docs/compat/rootlesskit.md §2.4): upstream v3.0's rework arms SIGKILL in
# the rootlesskit child for the parent's death, and in the command for the child's death, from a
# thread that lives as long as the process. Upstream checks it in hack/integration-pdeathsig.sh
# (kill -9 of rootlesskit, with --pidns --reaper=true and with --reaper=false).

# gone PID: the process no longer exists, or is a zombie nobody has reaped yet.
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# start_sleeper FLAGS...: rootlesskit FLAGS sleep 3600; sets CHILD (the rootlesskit child) and
# CMD (the command, as the host sees it).
start_sleeper() {
    rm -rf "$BATS_TEST_TMPDIR/st"
    spawn "$ROOTLESSKIT" --state-dir="$BATS_TEST_TMPDIR/st" "$@" sleep 3600
    wait_for_file 20 "$BATS_TEST_TMPDIR/st/api.sock"
    wait_for_file_content 5 "$BATS_TEST_TMPDIR/st/child_pid"
    CHILD=$(cat "$BATS_TEST_TMPDIR/st/child_pid")
    wait_until 5 pgrep -P "$CHILD" -x sleep
    CMD=$(pgrep -P "$CHILD" -x sleep)
    register_pid "$CMD"
    register_pid "$CHILD"
}

@test "kill -9 of the parent kills the child and the command, with and without --pidns and the reaper" {
    for flags in "" "--reaper=false" "--pidns --reaper=true"; do
        start_sleeper $flags
        kill -0 "$CMD"
        kill -KILL "$SPAWNED_PID"
        wait_until 5 gone "$CHILD"
        wait_until 5 gone "$CMD"
    done
}

@test "kill -9 of the rootlesskit child kills the command" {
    for flags in "" "--reaper=false" "--pidns --reaper=true"; do
        start_sleeper $flags
        kill -KILL "$CHILD"
        wait_until 5 gone "$CMD"
        # the parent reports the child's death and exits
        wait_until 5 gone "$SPAWNED_PID"
    done
}

@test "the command runs with parent-death signal SIGKILL (PR_GET_PDEATHSIG)" {
    local probe='import ctypes; s = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(s)); print(s.value)'
    for flags in "" "--reaper=false" "--pidns --reaper=true"; do
        run_rk $flags python3 -c "$probe"
        [ "$status" -eq 0 ] || cat "$BATS_TEST_TMPDIR/stderr" >&2
        [ "$status" -eq 0 ]
        [ "$output" = 9 ]
    done
}

@test "kill -9 of the parent while it maps the child's ids kills the waiting child" {
    # A newuidmap that waits: the child is cloned and blocked until its ids are mapped.
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cat >"$BATS_TEST_TMPDIR/bin/newuidmap" <<EOF2
#!/bin/sh
sleep 30 &
echo "\$\$ \$!" >"$BATS_TEST_TMPDIR/mapping"
wait
exec /usr/bin/newuidmap "\$@"
EOF2
    chmod +x "$BATS_TEST_TMPDIR/bin/newuidmap"
    for flags in "" "--pidns"; do
        rm -f "$BATS_TEST_TMPDIR/mapping"
        PATH="$BATS_TEST_TMPDIR/bin:$PATH" spawn "$ROOTLESSKIT" $flags sleep 3600
        wait_for_file_content 20 "$BATS_TEST_TMPDIR/mapping"
        local w; for w in $(cat "$BATS_TEST_TMPDIR/mapping"); do register_pid "$w"; done
        local kids child=""
        kids=$(pgrep -P "$SPAWNED_PID")
        for k in $kids; do
            [ "$(readlink "/proc/$k/ns/user")" != "$(readlink /proc/self/ns/user)" ] && child=$k
        done
        [ -n "$child" ]
        register_pid "$child"
        kill -KILL "$SPAWNED_PID"
        wait_until 5 gone "$child"
    done
}
