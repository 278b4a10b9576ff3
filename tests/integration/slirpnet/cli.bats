#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# cli.bats — slirp4netns command line: help, version, validation messages, exit codes

load ../helpers
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

@test "--help exits 0 and lists every option clients grep for" {
    run "$SLIRP4NETNS" --help
    [ "$status" -eq 0 ]
    for s in --netns-type --enable-ipv6 --cidr --disable-host-loopback --api-socket \
        --enable-sandbox --enable-seccomp --mtu --outbound-addr --userns-path --disable-dns \
        --macaddress --configure --exit-fd --ready-fd; do
        assert_contains "$output" "$s"
    done
    "$SLIRP4NETNS" --help | grep -qw -- --netns-type
}

@test "--version prints the machine-parsable format" {
    run "$SLIRP4NETNS" --version
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "slirp4netns version "* ]]
    assert_contains "$output" "SLIRP_CONFIG_VERSION_MAX: "
    assert_contains "$output" "libseccomp: "
}

@test "-v before a bad option still wins" {
    run "$SLIRP4NETNS" -v --bogus
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "slirp4netns version "* ]]
}

@test "missing TAPNAME prints usage on stdout and exits 1" {
    run --separate-stderr "$SLIRP4NETNS" 1234
    [ "$status" -eq 1 ]
    [[ "$output" == "Usage: "* ]]
}

@test "an unknown option is reported by getopt" {
    run --separate-stderr "$SLIRP4NETNS" --bogus 1 tap0
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "unrecognized option '--bogus'"
    assert_contains "$output" "Usage: "
}

@test "MTU out of range is refused" {
    run --separate-stderr "$SLIRP4NETNS" --mtu=65522 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "MTU must be a positive integer (< 65522)"
}

@test "exit-fd and ready-fd must be non-negative" {
    run --separate-stderr "$SLIRP4NETNS" -e -1 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "exit-fd must be a non-negative integer"
    run --separate-stderr "$SLIRP4NETNS" -r x 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "ready-fd must be a non-negative integer"
}

@test "PID must be a positive integer" {
    run --separate-stderr "$SLIRP4NETNS" abc tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "PID must be a positive integer"
}

@test "CIDR errors use upstream wording" {
    run --separate-stderr "$SLIRP4NETNS" --cidr=24 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "invalid CIDR: 24"
    run --separate-stderr "$SLIRP4NETNS" --cidr=300.0.2.0/24 1 tap0
    assert_equal "$stderr" "invalid network address: 300.0.2.0"
    run --separate-stderr "$SLIRP4NETNS" --cidr=10.0.2.0/26 1 tap0
    assert_equal "$stderr" "prefix length needs to be 1-25"
    run --separate-stderr "$SLIRP4NETNS" --cidr=10.0.2.100/24 1 tap0
    assert_equal "$stderr" "CIDR needs to be a network address like 10.0.2.0/24, not like 10.0.2.100/24"
}

@test "--macaddress needs --configure" {
    run --separate-stderr "$SLIRP4NETNS" --macaddress=0e:d4:18:d9:38:fb 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "--macaddr cannot be specified when --configure or -c is not specified"
}

@test "a too long MAC address is refused" {
    run --separate-stderr "$SLIRP4NETNS" -c --macaddress=00:11:22:33:44:55:66 1 tap0
    [ "$status" -eq 1 ]
    assert_contains "$stderr" '"00:11:22:33:44:55:66" is an invalid MAC address.  Is it too long?'
}

@test "--userns-path must exist" {
    run --separate-stderr "$SLIRP4NETNS" --userns-path=/nonexistent 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "userns path doesn't exist: /nonexistent"
}

@test "--netns-type=path needs an existing path" {
    run --separate-stderr "$SLIRP4NETNS" --netns-type=path /nonexistent tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" "existing path expected when --netns-type=path: No such file or directory"
}

@test "--target-type must be netns or bess" {
    run --separate-stderr "$SLIRP4NETNS" --target-type=foo 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$stderr" '--target-type must be either "netns" or "bess"'
}

@test "a missing namespace fails with child failed" {
    run --separate-stderr "$SLIRP4NETNS" 999999 tap0
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "/proc/999999/ns/net: No such file or directory"
    assert_contains "$stderr" "child failed(1)"
}

@test "options slirpnet lacks are refused by name" {
    skip_if_original "$SLIRP4NETNS" "slirpnet refuses options it does not implement yet"
    run --separate-stderr "$SLIRP4NETNS" --target-type=bess /tmp/bess.sock
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "--target-type=bess is not supported by slirpnet yet"
}

@test "-6 and --outbound-addr6 pass the parser with upstream's warnings" {
    # PID 1's namespaces are not ours to join: it gets as far as the child, as the original does.
    run --separate-stderr "$SLIRP4NETNS" -6 --outbound-addr6=::1 1 tap0
    [ "$status" -eq 1 ]
    assert_contains "$output" "WARNING: Support for IPv6 is experimental"
    assert_contains "$output" "WARNING: Support for --outbound-addr6 is experimental"
    assert_contains "$stderr" "child failed(1)"
}

@test "--enable-sandbox, --create-sandbox and --enable-seccomp pass the parser" {
    # PID 1's namespaces are not ours to join: it gets as far as the child, as the original does.
    run --separate-stderr "$SLIRP4NETNS" --enable-sandbox --create-sandbox --enable-seccomp 1 tap0
    [ "$status" -eq 1 ]
    assert_contains "$stderr" "child failed(1)"
    assert_not_contains "$stderr" "not supported"
    assert_contains "$output" "WARNING: Support for seccomp is experimental"
    assert_contains "$output" "WARNING: --create-sandbox is deprecated"
}

@test "--macaddress fields are read as slirp4netns' sscanf(\"%x\") reads them" {
    # accepted: the run gets as far as joining the (missing) namespace
    for mac in 0g:11:22:33:44:55 00:11:22:33:44 0x1:+2:3:4:5:6x; do
        run --separate-stderr "$SLIRP4NETNS" -c --macaddress="$mac" 999999 tap0
        [ "$status" -eq 1 ]
        assert_not_contains "$stderr" "invalid MAC address"
        assert_contains "$stderr" "child failed(1)"
    done
    for mac in -1:2:3:4:5:6 100:1:2:3:4:5 :::::; do
        run --separate-stderr "$SLIRP4NETNS" -c --macaddress="$mac" 999999 tap0
        [ "$status" -eq 1 ]
        assert_contains "$stderr" "\"$mac\" is an invalid MAC address."
    done
}

@test "MAC and outbound-addr errors end without a newline, byte for byte" {
    "$SLIRP4NETNS" -c --macaddress=zz:bb 1 tap0 2>"$BATS_TEST_TMPDIR/err" && false || [ $? -eq 1 ]
    printf '"zz:bb" is an invalid MAC address.\nmacaddress has to be a valid MAC address (hex string, 6 bytes, each byte separated by a '"':'"').' >"$BATS_TEST_TMPDIR/want"
    cmp "$BATS_TEST_TMPDIR/err" "$BATS_TEST_TMPDIR/want"
    "$SLIRP4NETNS" --outbound-addr=nosuchif0 1 tap0 >/dev/null 2>"$BATS_TEST_TMPDIR/err" && false || [ $? -eq 1 ]
    printf 'outbound-addr has to be valid ipv4 address or interface name.' >"$BATS_TEST_TMPDIR/want"
    cmp "$BATS_TEST_TMPDIR/err" "$BATS_TEST_TMPDIR/want"
}

@test "a WARNING printed while parsing still comes before a later error" {
    run --separate-stderr "$SLIRP4NETNS" --outbound-addr=nosuchif0 --cidr=24 1 tap0
    [ "$status" -eq 1 ]
    assert_equal "$output" "WARNING: Support for --outbound-addr is experimental"
    assert_equal "$stderr" "invalid CIDR: 24"
}
