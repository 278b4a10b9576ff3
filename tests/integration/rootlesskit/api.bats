#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# api.bats — REST API on api.sock and rootlessctl info (docs/compat/rootlesskit.md §4)

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    require_binary "$ROOTLESSCTL"
}

@test "GET /v1/info for --net=host: exact body" {
    start_rk sleep infinity
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    [ "$status" -eq 0 ]
    local ver; ver=$("$ROOTLESSKIT" --version | awk '{print $3}')
    assert_equal "$output" "{\"apiVersion\":\"1.1.1\",\"version\":\"$ver\",\"stateDir\":\"$RK_STATE\",\"childPID\":$RK_CHILD}"
}

@test "GET /v1/info for --net=slirp4netns lists the network driver" {
    start_rk --net=slirp4netns --slirp4netns-binary=/usr/bin/slirp4netns --disable-host-loopback sleep infinity
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    [ "$status" -eq 0 ]
    assert_contains "$output" ",\"childPID\":$RK_CHILD,\"networkDriver\":{\"driver\":\"slirp4netns\",\"dns\":[\"10.0.2.3\"],\"childIP\":\"10.0.2.100\"}}"
}

@test "unknown paths get Go's 404, wrong methods 405" {
    start_rk sleep infinity
    run api_raw http://rootlesskit/v1/nope
    assert_contains "$output" "HTTP/1.1 404 Not Found"
    assert_contains "$output" "Content-Type: text/plain; charset=utf-8"
    assert_contains "$output" "X-Content-Type-Options: nosniff"
    assert_contains "$output" "404 page not found"
    run api_raw http://rootlesskit/v1/info/
    assert_contains "$output" "HTTP/1.1 404 Not Found"
    run api_raw -X POST http://rootlesskit/v1/info
    assert_contains "$output" "HTTP/1.1 405 Method Not Allowed"
    assert_contains "$output" "Content-Length: 0"
}

@test "ports routes without a port driver: 400 'no PortDriver is available'" {
    start_rk sleep infinity
    for args in "http://rootlesskit/v1/ports" "-X POST -d {} http://rootlesskit/v1/ports" "-X DELETE http://rootlesskit/v1/ports/1"; do
        run api_raw $args
        assert_contains "$output" "HTTP/1.1 400 Bad Request"
        assert_contains "$output" '{"message":"no PortDriver is available"}'
    done
}

@test "a malformed request gets 400 and the server keeps serving" {
    start_rk sleep infinity
    run python3 - "$RK_STATE/api.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"THIS IS NOT HTTP\r\n\r\n"); print(s.recv(4096).split(b"\r\n")[0].decode())
PY
    assert_contains "$output" "400 Bad Request"
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    [ "$status" -eq 0 ]
    assert_contains "$output" '"apiVersion":"1.1.1"'
}

@test "rootlessctl info and info --json" {
    start_rk sleep infinity
    run "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" info
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "- REST API version: 1.1.1" ]
    [ "${lines[2]}" = "- State Directory: $RK_STATE" ]
    [ "${lines[3]}" = "- Child PID: $RK_CHILD" ]
    run "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" info --json
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "{" ]
    [ "${lines[1]}" = '    "apiVersion": "1.1.1",' ]
    [ "$(echo "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["childPID"])')" = "$RK_CHILD" ]
}

@test "rootlessctl uses \$ROOTLESSKIT_STATE_DIR inside the namespace" {
    run "$ROOTLESSKIT" --net=slirp4netns --disable-host-loopback "$ROOTLESSCTL" info
    [ "$status" -eq 0 ]
    assert_contains "$output" "- Network Driver: slirp4netns"
    assert_contains "$output" "  - DNS: [10.0.2.3]"
    assert_contains "$output" "  - IP: 10.0.2.100"
}

@test "rootlessctl errors: no socket, missing socket, server errors, version" {
    run env -u ROOTLESSKIT_STATE_DIR "$ROOTLESSCTL" info
    [ "$status" -eq 1 ]
    assert_equal "$output" 'error: please specify --socket or set $ROOTLESSKIT_STATE_DIR'
    run "$ROOTLESSCTL" --socket /nonexist info
    [ "$status" -eq 1 ]
    assert_equal "$output" "error: stat /nonexist: no such file or directory"
    start_rk sleep infinity
    run "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" list-ports
    [ "$status" -eq 1 ]
    assert_equal "$output" "error: no PortDriver is available"
    run "$ROOTLESSCTL" --version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^rootlessctl\ version\ [0-9] ]]
}
