#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ports.bats — --port-driver=slirp4netns: -p, the ports API and rootlessctl's port commands (§4, §5.3)

load lib

teardown() { teardown_pids; }

setup() {
    require_binary "$ROOTLESSKIT"
    require_binary "$ROOTLESSCTL"
    S4N=${RK_SLIRP4NETNS:-/usr/bin/slirp4netns}
}

# start_http PORT: the rootlesskit child runs an HTTP server on PORT inside the namespace.
start_http_rk() {
    local inner=$1; shift
    start_rk --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback --port-driver=slirp4netns "$@" \
        python3 -m http.server --bind 0.0.0.0 "$inner"
}

ctl() { "$ROOTLESSCTL" --socket "$RK_STATE/api.sock" "$@"; }

@test "-p publishes a port: the host reaches the namespace's server" {
    local port; port=$(free_port)
    start_http_rk 8000 -p "127.0.0.1:$port:8000/tcp"
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
    run ctl list-ports
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ID    PROTO    PARENTIP     PARENTPORT    CHILDIP    CHILDPORT    " ]
    assert_contains "${lines[1]}" "tcp      127.0.0.1    $port"
}

@test "add-ports, list-ports --json, remove-ports" {
    local port; port=$(free_port)
    start_http_rk 8000
    run ctl list-ports --json
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    run ctl add-ports "127.0.0.1:$port:8000/tcp"
    [ "$status" -eq 0 ]
    local id=$output
    [[ "$id" =~ ^[0-9]+$ ]]
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
    run ctl list-ports --json
    [ "$status" -eq 0 ]
    assert_equal "$output" "{\"id\":$id,\"spec\":{\"proto\":\"tcp\",\"parentIP\":\"127.0.0.1\",\"parentPort\":$port,\"childPort\":8000}}"
    run ctl remove-ports "$id"
    [ "$status" -eq 0 ]
    [ "$output" = "$id" ]
    run curl -s -m 2 "http://127.0.0.1:$port/"
    [ "$status" -ne 0 ]
}

@test "ports API: GET with no ports is null; POST is 201 with the spec echoed; info lists the driver" {
    local port; port=$(free_port)
    start_http_rk 8000
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/ports
    [ "$output" = null ]
    run api_raw -X POST -d "{\"proto\":\"tcp\",\"parentPort\":$port,\"childPort\":8000}" http://rootlesskit/v1/ports
    assert_contains "$output" "HTTP/1.1 201 Created"
    assert_contains "$output" "\"spec\":{\"proto\":\"tcp\",\"parentPort\":$port,\"childPort\":8000}}"
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    assert_contains "$output" '"portDriver":{"driver":"slirp4netns","protos":["tcp","tcp4","udp","udp4"],"disallowLoopbackChildIP":true}}'
}

@test "ports API errors: conflict, bad proto, bad JSON, bad id" {
    local port; port=$(free_port)
    start_http_rk 8000 -p "127.0.0.1:$port:8000/tcp"
    run ctl add-ports "127.0.0.1:$port:8000/tcp"
    [ "$status" -eq 1 ]
    assert_equal "$output" "error: conflict with ID 1"
    run ctl add-ports "127.0.0.1:$port:8000/tcp6"
    [ "$status" -eq 1 ]
    assert_equal "$output" 'error: unsupported protocol "tcp6"'
    run api_raw -X POST -d '{"proto":"tcp","parentPort":"x"}' http://rootlesskit/v1/ports
    assert_contains "$output" "HTTP/1.1 400 Bad Request"
    assert_contains "$output" 'json: cannot unmarshal string into Go struct field Spec.parentPort of type int'
    run api_raw -X DELETE http://rootlesskit/v1/ports/abc
    assert_contains "$output" '{"message":"bad id abc: strconv.Atoi: parsing \"abc\": invalid syntax"}'
    run ctl remove-ports abc
    [ "$status" -eq 1 ]
    assert_equal "$output" 'error: strconv.Atoi: parsing "abc": invalid syntax'
}

@test "-p syntax errors are reported before anything starts" {
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$S4N" --port-driver=slirp4netns -p 8080:80/tcp true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'unexpected ParentIP in PortSpec string: "8080:80/tcp"'
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$S4N" --port-driver=slirp4netns -p 127.0.0.1:8080:80 true
    [ "$status" -eq 1 ]
    assert_contains "$output" 'missing proto in PortSpec string: "127.0.0.1:8080:80"'
}

@test "port driver slirp4netns requires --net=slirp4netns" {
    run "$ROOTLESSKIT" --port-driver=slirp4netns true
    [ "$status" -eq 1 ]
    assert_contains "$output" "port driver requires slirp4netns network"
}

@test "--port-driver=builtin: -p over TCP, dual-stack for tcp on 0.0.0.0, add and remove" {
    local p1 p2 p3; p1=$(free_port); p2=$(free_port); p3=$(free_port)
    start_http_rk 8000 --port-driver=builtin -p "127.0.0.1:$p1:8000/tcp" -p "0.0.0.0:$p2:8000/tcp"
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$p1/"
    curl -sf -o /dev/null "http://127.0.0.1:$p2/"
    curl -sf -o /dev/null "http://[::1]:$p2/"
    run curl -s --unix-socket "$RK_STATE/api.sock" http://rootlesskit/v1/info
    assert_contains "$output" '"portDriver":{"driver":"builtin","protos":["tcp","tcp4","tcp6"'
    run ctl add-ports "127.0.0.1:$p3:8000/tcp"
    [ "$status" -eq 0 ]
    local id=$output
    curl -sf -o /dev/null "http://127.0.0.1:$p3/"
    run ctl remove-ports "$id"
    [ "$status" -eq 0 ]
    run curl -s -m 2 "http://127.0.0.1:$p3/"
    [ "$status" -ne 0 ]
}

@test "--port-driver=builtin: a bind conflict on the host is reported" {
    local port; port=$(free_port)
    spawn python3 -m http.server --bind 127.0.0.1 "$port"
    wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$port/"
    run "$ROOTLESSKIT" --net=slirp4netns --slirp4netns-binary="$S4N" --disable-host-loopback --port-driver=builtin \
        -p "127.0.0.1:$port:80/tcp" true
    [ "$status" -eq 1 ]
    assert_contains "$output" "failed to expose port {tcp 127.0.0.1 $port 80 }: listen tcp"
    assert_contains "$output" "bind: address already in use"
}

@test "--port-driver=builtin with --net=none" {
    skip_if_original "$ROOTLESSKIT" "v2-only: --net=none"
    local port; port=$(free_port)
    start_rk --net=none --port-driver=builtin -p "127.0.0.1:$port:8000/tcp" python3 -m http.server --bind 127.0.0.1 8000
    wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/"
}
