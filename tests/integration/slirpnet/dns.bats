#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# dns.bats — DNS at 10.0.2.3 goes to the first nameserver of resolv.conf, over UDP and TCP.
# The "host" here is a fresh user+net+mount namespace of our own, so that a fake resolver can
# listen on 127.0.0.1:53 and /etc/resolv.conf can point at it; the guest is nested inside it.

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

# in_fake_host SCRIPT: run SCRIPT with sh in the fake host; $SLIRP4NETNS and $T are exported.
in_fake_host() {
    export T=$BATS_TEST_TMPDIR SLIRP4NETNS
    timeout 60 unshare --user --map-root-user --net --mount sh -euc '
        ip link set lo up
        printf "search example\nnameserver 127.0.0.1\n" >"$T/resolv.conf"
        mount --bind "$T/resolv.conf" /etc/resolv.conf
        socat -T 3 UDP4-RECVFROM:53,bind=127.0.0.1,fork SYSTEM:"echo dns-udp-answer" & u=$!
        socat TCP4-LISTEN:53,bind=127.0.0.1,reuseaddr,fork SYSTEM:"echo dns-tcp-answer" & t=$!
        unshare --net sleep 60 & g=$!
        sleep 0.2
        "$SLIRP4NETNS" -c -r 5 "$@" $g tap0 5>"$T/ready" >"$T/slirp.log" 2>&1 & s=$!
        i=0; while [ ! -s "$T/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
        rc=0
        nsenter -n -t $g sh -c "$0" || rc=$?
        kill $s $g $u $t 2>/dev/null || true
        exit $rc
    ' "$1" "${@:2}" 3>&-
}

@test "UDP and TCP DNS to 10.0.2.3 reach the host's loopback resolver" {
    run in_fake_host 'echo q | socat -t 2 - UDP4:10.0.2.3:53; socat -t 2 - TCP4:10.0.2.3:53 </dev/null'
    [ "$status" -eq 0 ]
    assert_contains "$output" "dns-udp-answer"
    assert_contains "$output" "dns-tcp-answer"
}

@test "--disable-dns turns 10.0.2.3 into an ordinary (unreachable) address" {
    run in_fake_host 'echo q | socat -t 2 - UDP4:10.0.2.3:53' --disable-dns
    assert_not_contains "$output" "dns-udp-answer"
}
