#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# api.bats — the API socket: byte-exact replies, port forwarding, robustness

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() {
    require_binary "$SLIRP4NETNS"
    # sun_path is 108 bytes: keep the socket path short
    API_DIR=$(mktemp -d /tmp/snapi.XXXXXX)
    API=$API_DIR/api.sock
}
teardown() {
    teardown_pids
    rm -rf "$API_DIR"
}

@test "add, list and remove hostfwd replies are byte-exact" {
    local port; port=$(free_port)
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '$port', "guest_addr": "10.0.2.100", "guest_port": 80}}'
    assert_equal "$output" '{"return":{"id":1}}'
    run api_call "$API" '{"execute": "list_hostfwd"}'
    assert_equal "$output" '{"entries":[{"id":1,"proto":"tcp","host_addr":"127.0.0.1","host_port":'$port',"guest_addr":"10.0.2.100","guest_port":80}]}'
    run api_call "$API" '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
    assert_equal "$output" '{"return":{}}'
    run api_call "$API" '{"execute": "list_hostfwd"}'
    assert_equal "$output" '{"entries":[]}'
    run api_call "$API" '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
    assert_equal "$output" '{"error":{"desc":"bad request: remove_hostfwd: bad arguments.id"}}'
}

@test "Podman's request with empty guest_addr defaults to the recommended IP" {
    local port; port=$(free_port)
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"0.0.0.0","host_port":'$port',"guest_addr":"","guest_port":80}}'
    assert_equal "$output" '{"return":{"id":1}}'
    run api_call "$API" '{"execute": "list_hostfwd"}'
    assert_contains "$output" '"host_addr":"0.0.0.0"'
    assert_contains "$output" '"guest_addr":"10.0.2.100"'
}

@test "malformed requests get upstream's error replies" {
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    run api_call "$API" 'badjson'
    assert_equal "$output" '{"error":{"desc":"bad request: cannot parse JSON"}}'
    run api_call "$API" '{"unexpectedjson": 42}'
    assert_equal "$output" '{"error":{"desc":"bad request: no execute found"}}'
    run api_call "$API" '{"execute": "bad"}'
    assert_equal "$output" '{"error":{"desc":"bad request: unknown execute"}}'
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "sctp", "host_port": 1, "guest_port": 1}}'
    assert_equal "$output" '{"error":{"desc":"bad request: add_hostfwd: bad arguments.proto"}}'
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "::", "host_port": 1, "guest_port": 1}}'
    assert_equal "$output" '{"error":{"desc":"bad request: add_hostfwd: bad arguments.host_addr"}}'
}

@test "a forwarded TCP port reaches the guest, which sees loopback clients as the gateway" {
    local port; port=$(free_port)
    start_slirp -c -a "$API"
    bg_in_ns "$NS_PID" socat TCP4-LISTEN:80,reuseaddr,fork SYSTEM:'echo guest-saw=$SOCAT_PEERADDR; cat'
    wait_until 5 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID ss -Htln 'sport = :80' | grep -q ."
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": '$port', "guest_port": 80}}'
    assert_equal "$output" '{"return":{"id":1}}'
    run sh -c "echo hello-fwd | socat -t 3 - TCP4:127.0.0.1:$port"
    assert_contains "$output" "guest-saw=10.0.2.2"
    assert_contains "$output" "hello-fwd"
}

@test "a forwarded UDP port reaches the guest and the reply comes back" {
    local port; port=$(free_port)
    start_slirp -c -a "$API"
    bg_in_ns "$NS_PID" socat -T 3 UDP4-RECVFROM:5353,fork SYSTEM:'echo udp-guest-saw=$SOCAT_PEERADDR'
    wait_until 5 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID ss -Huln 'sport = :5353' | grep -q ."
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "udp", "host_addr": "127.0.0.1", "host_port": '$port', "guest_port": 5353}}'
    assert_equal "$output" '{"return":{"id":1}}'
    run sh -c "echo x | socat -t 3 - UDP4:127.0.0.1:$port"
    assert_equal "$output" "udp-guest-saw=10.0.2.2"
}

@test "an API socket path of 108 bytes or more fails" {
    make_userns_netns
    local long=/tmp/$(printf 'x%.0s' $(seq 110))
    run "$SLIRP4NETNS" -c -a "$long" "$NS_PID" tap0
    [ "$status" -eq 1 ]
    assert_contains "$output" "the specified API socket path is too long (>= 108)"
}

@test "add_hostfwd without proto gets an error and the server keeps serving" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns segfaults on a missing proto (docs/compat/slirp4netns.md §4.4)"
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"host_port": 8080, "guest_port": 80}}'
    assert_equal "$output" '{"error":{"desc":"bad request: add_hostfwd: bad arguments.proto"}}'
    run api_call "$API" '{"execute": "list_hostfwd"}'
    assert_equal "$output" '{"entries":[]}'
}

@test "an idle API client does not stall guest traffic" {
    skip_if_original "$SLIRP4NETNS" "slirp4netns blocks in read() on the API socket (docs/compat/slirp4netns.md §4.1)"
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    bg python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(60)' "$API"
    wait_until 5 grep -q "apifd event" "$SLIRP_LOG" # the idle client is connected
    in_ns "$NS_PID" ping -c 3 -i 0.2 -W 1 10.0.2.2
}

@test "exiting on the exit fd removes the API socket" {
    make_userns_netns
    mkfifo "$BATS_TEST_TMPDIR/exit"
    exec 6<>"$BATS_TEST_TMPDIR/exit"
    bg "$SLIRP4NETNS" -c -a "$API" -e 7 -r 5 "$NS_PID" tap0 5>"$BATS_TEST_TMPDIR/ready" 7<"$BATS_TEST_TMPDIR/exit" 6>&-
    local pid=$SPAWNED_PID
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    [ -S "$API" ]
    exec 6>&-
    wait_exit 10 "$pid"
    [ ! -e "$API" ]
}

@test "a forwarded port keeps a non-loopback client's source address" {
    local addr; addr=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)
    [ -n "$addr" ] || skip "this host has no global IPv4 address"
    local port; port=$(free_port)
    start_slirp -c -a "$API"
    bg_in_ns "$NS_PID" socat TCP4-LISTEN:80,reuseaddr,fork SYSTEM:'echo guest-saw=$SOCAT_PEERADDR'
    wait_until 5 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID ss -Htln 'sport = :80' | grep -q ."
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "0.0.0.0", "host_port": '$port', "guest_port": 80}}'
    assert_equal "$output" '{"return":{"id":1}}'
    run socat -t 3 - TCP4:$addr:$port,bind=$addr </dev/null
    assert_equal "$output" "guest-saw=$addr"
}

@test "each request is logged on stderr as slirp4netns logs it" {
    start_slirp -c -a "$API"
    wait_for_socket 5 "$API"
    run api_call "$API" '{"execute": "list_hostfwd"}'
    assert_equal "$output" '{"entries":[]}'
    wait_until 5 grep -q "api_handler: got request:" "$SLIRP_LOG"
    run cat "$SLIRP_LOG"
    assert_contains "$output" "$(printf 'apifd event\napi_handler: got request: {"execute": "list_hostfwd"}\n')"
}
