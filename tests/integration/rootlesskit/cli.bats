#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cli.bats — flags, --help, --version, usage errors and their exit codes (docs/compat/rootlesskit.md §1.1, §1.2)

load lib

teardown() { teardown_pids; }

setup() { require_binary "$ROOTLESSKIT"; }

@test "--version prints 'rootlesskit version X'" {
    run "$ROOTLESSKIT" --version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^rootlesskit\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
    run "$ROOTLESSKIT" -v
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^rootlesskit\ version ]]
}

@test "--help has upstream's categories and exits 0" {
    run "$ROOTLESSKIT" --help
    [ "$status" -eq 0 ]
    for cat in "Misc:" "Mount:" "Network:" "Network [lxc-user-nic]:" "Network [slirp4netns]:" \
        "Network [vpnkit]:" "Port:" "Process:" "State:" "SubID:"; do
        assert_contains "$output" "  $cat"
    done
    assert_contains "$output" "USAGE:
   rootlesskit [global options] [arguments...]"
    if is_original "$ROOTLESSKIT"; then
        assert_contains "$output" '--copy-up-mode value         copy-up mode [tmpfs+symlink] (default: "tmpfs+symlink")'
    else
        # ours lists the values it takes where upstream lists its own (docs/compat/rootlesskit.md §1.1)
        assert_contains "$output" '--copy-up-mode value         copy-up mode [tmpfs+symlink, overlayfs] (default: "tmpfs+symlink")'
    fi
}

@test "v3.0: --version, --print-semver and --help say 3.0.1 and list gvisor-tap-vsock" {
    skip_if_original "$ROOTLESSKIT" "v3-only: version 3.0.1 and the gvisor-tap-vsock drivers"
    run "$ROOTLESSKIT" --version
    [[ "$output" =~ ^rootlesskit\ version\ 3\.0\.1\+rootless-tools\. ]]
    [ "$("$ROOTLESSKIT" --print-semver=major).$("$ROOTLESSKIT" --print-semver=minor).$("$ROOTLESSKIT" --print-semver=patch)" = 3.0.1 ]
    run "$ROOTLESSKIT" --help
    [ "$status" -eq 0 ]
    assert_contains "$output" "VERSION:
   3.0.1+rootless-tools."
    assert_contains "$output" 'lxc-user-nic(experimental), gvisor-tap-vsock(experimental)] (default: "host")'
    assert_contains "$output" '[none, implicit (for pasta), builtin, slirp4netns, gvisor-tap-vsock] (default: "none")'
    assert_contains "$output" 'CIDR for pasta, slirp4netns and gvisor-tap-vsock networks (default: 10.0.2.0/24)'
    assert_contains "$output" '--source-ip-transparent'
}

@test "--help advertises --detach-netns (scripts grep for it)" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --detach-netns"
    "$ROOTLESSKIT" --help | grep -qw -- "--detach-netns"
    "$ROOTLESSKIT" --help | grep -q "Network \[pasta\]:"
}

@test "--print-semver prints one decimal component" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --print-semver"
    run "$ROOTLESSKIT" --print-semver=major
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9]+$ ]]
    run "$ROOTLESSKIT" --print-semver=bogus
    [ "$status" -eq 1 ]
    assert_equal "$output" '[rootlesskit:parent] error: expected --print-semver=(major|minor|patch), got "bogus"'
}

@test "no command: 'no command specified', exit 1" {
    run "$ROOTLESSKIT"
    [ "$status" -eq 1 ]
    assert_equal "$output" "[rootlesskit:parent] error: no command specified"
}

@test "unknown flag: usage on stdout, error line on stderr, exit 1" {
    "$ROOTLESSKIT" --bogus true >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" && false || status=$?
    [ "$status" -eq 1 ]
    assert_equal "$(head -1 "$BATS_TEST_TMPDIR/out")" "Incorrect Usage. flag provided but not defined: -bogus"
    grep -q "^NAME:" "$BATS_TEST_TMPDIR/out"
    assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" "[rootlesskit:parent] error: flag provided but not defined: -bogus"
}

@test "flag value errors keep Go's wording" {
    run "$ROOTLESSKIT" --mtu abc true
    [ "$status" -eq 1 ]
    assert_contains "$output" '[rootlesskit:parent] error: invalid value "abc" for flag -mtu: parse error'
    run "$ROOTLESSKIT" --pidns=x true
    [ "$status" -eq 1 ]
    assert_contains "$output" '[rootlesskit:parent] error: invalid boolean value "x" for -pidns: parse error'
    run "$ROOTLESSKIT" --mtu
    [ "$status" -eq 1 ]
    assert_contains "$output" '[rootlesskit:parent] error: flag needs an argument: -mtu'
}

@test "validation errors: mtu, cidr, ifname, network, port driver" {
    run "$ROOTLESSKIT" --mtu=-1 true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: mtu must be <= 65521, got -1"
    run "$ROOTLESSKIT" --net=slirp4netns --cidr=10.0.2.100/24 true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: cidr must be like 10.0.2.0/24, not like 10.0.2.100/24"
    run "$ROOTLESSKIT" --ifname=a/b true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'error: ifname must not contain "/"'
    run "$ROOTLESSKIT" --ifname=eth0 true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: ifname cannot be specified for --net=host"
    run "$ROOTLESSKIT" --net=bogus true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: unknown network mode: bogus"
    run "$ROOTLESSKIT" --port-driver=bogus true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: unknown port driver: bogus"
    run "$ROOTLESSKIT" --port-driver=builtin true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: port driver requires non-host network"
    run "$ROOTLESSKIT" -p 127.0.0.1:8080:80/tcp true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'error: port driver "none" does not support publishing ports'
}

@test "evacuate-cgroup2 requires --cgroupns and --pidns" {
    run "$ROOTLESSKIT" --evacuate-cgroup2=e true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: evacuate-cgroup2 requires --cgroupns"
    run "$ROOTLESSKIT" --evacuate-cgroup2=e --cgroupns true
    [ "$status" -eq 1 ]
    assert_contains "$output" "error: evacuate-cgroup2 requires --pidns"
}

@test "v2 wording for custom cidr with --net=host" {
    skip_if_original "$ROOTLESSKIT" "v2-only: 1.1.0 says 'supported only for --net=slirp4netns'"
    run "$ROOTLESSKIT" --cidr=10.0.3.0/24 true
    [ "$status" -eq 1 ]
    assert_equal "$output" "[rootlesskit:parent] error: custom cidr is not supported for --net=host"
}

@test "child-side checks print the child's error and the parent's" {
    run "$ROOTLESSKIT" --reaper=bogus true
    [ "$status" -eq 1 ]
    assert_contains "$output" "[rootlesskit:child ] error: unknown reaper mode: bogus"
    assert_contains "$output" "[rootlesskit:parent] error: child exited: exit status 1"
    run "$ROOTLESSKIT" --copy-up-mode=foo true
    [ "$status" -eq 1 ]
    assert_contains "$output" "[rootlesskit:child ] error: unknown copy-up mode: foo"
    run "$ROOTLESSKIT" --copy-up=/etc --propagation=rshared true
    [ "$status" -eq 1 ]
    assert_contains "$output" "propagation rshared does not support copy-up driver tmpfs+symlink"
}

@test "warnings use logrus' text format" {
    run "$ROOTLESSKIT" --mtu=1500 true
    [ "$status" -eq 0 ]
    [[ "$output" =~ time=\"[0-9T:+Z-]+\"\ level=warning\ msg=\".*unsupported\ mtu\ for\ --net=host:\ 1500\" ]]
}

@test "drivers this build lacks fail naming the flag, never silently" {
    is_original "$ROOTLESSKIT" && skip "ours only: Debian's build has its own wording"
    run "$ROOTLESSKIT" --net=vpnkit --vpnkit-binary=/bin/true true
    [ "$status" -eq 1 ]
    assert_contains "$output" "--net=vpnkit is not supported"
}

@test "--reaper=true without --pidns: 1.1.0 refuses it, ours reaps as a subreaper (v3.bats)" {
    run "$ROOTLESSKIT" --reaper=true true
    if is_original "$ROOTLESSKIT"; then
        [ "$status" -eq 1 ]
        assert_contains "$output" "[rootlesskit:child ] error: reaper requires --pidns"
    else
        [ "$status" -eq 0 ]
        [ -z "$output" ]
    fi
}
