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

@test "UDP and TCP DNS to 10.0.2.3 reach the host's loopback resolver" {
    run in_fake_host 'echo q | socat -t 2 - UDP4:10.0.2.3:53; socat -t 2 - TCP4:10.0.2.3:53 </dev/null'
    [ "$status" -eq 0 ]
    assert_contains "$output" "dns-udp-answer"
    assert_contains "$output" "dns-tcp-answer"
}

@test "--disable-dns turns 10.0.2.3 into an ordinary (unreachable) address" {
    # The same resolver stays reachable through the host loopback (10.0.2.2): only 10.0.2.3 is off.
    run in_fake_host 'echo q | socat -t 2 - UDP4:10.0.2.3:53; echo "--- 10.0.2.2"; echo q | socat -t 2 - UDP4:10.0.2.2:53' --disable-dns
    [ "$status" -eq 0 ]
    assert_not_contains "${output%%--- 10.0.2.2*}" "dns-udp-answer"
    assert_contains "${output#*--- 10.0.2.2}" "dns-udp-answer"
}
