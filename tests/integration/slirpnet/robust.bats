#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# robust.bats — random and truncated frames on the tap never take the network down

load ../helpers
load lib
bats_require_minimum_version 1.5.0

setup() { require_binary "$SLIRP4NETNS"; }
teardown() { teardown_pids; }

# Seconds of garbage; the acceptance run uses RT_FUZZ_SECONDS=60.
FUZZ_SECONDS=${RT_FUZZ_SECONDS:-3}

@test "random and truncated frames are dropped and counted, and the network keeps working" {
    make_userns_netns
    mkfifo "$BATS_TEST_TMPDIR/exit"
    exec 6<>"$BATS_TEST_TMPDIR/exit"
    bg "$SLIRP4NETNS" -c -e 7 -r 5 "$NS_PID" tap0 5>"$BATS_TEST_TMPDIR/ready" 7<"$BATS_TEST_TMPDIR/exit" 6>&-
    local pid=$SPAWNED_PID log=$SPAWNED_LOG
    wait_for_file_content 10 "$BATS_TEST_TMPDIR/ready"
    local mac; mac=$(in_ns "$NS_PID" ip -o link show tap0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
    local sent
    sent=$(in_ns "$NS_PID" python3 - "$FUZZ_SECONDS" "$mac" <<'PY'
import os, random, socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("tap0", 0))
mac = sys.argv[2].replace(":", "")
src = bytes.fromhex(mac)
gw = bytes.fromhex("52550a000202")
end = time.time() + float(sys.argv[1])
rnd = random.Random(4)
sent = 0
while time.time() < end:
    kind = rnd.randrange(4)
    body = os.urandom(rnd.randrange(0, 1500))
    if kind == 0:   # garbage IPv4
        frame = gw + src + b"\x08\x00" + body
    elif kind == 1: # truncated IPv4 header with a plausible first byte
        frame = gw + src + b"\x08\x00" + b"\x45" + body[:rnd.randrange(0, 19)]
    elif kind == 2: # garbage ARP
        frame = gw + src + b"\x08\x06" + body[:rnd.randrange(0, 40)]
    else:           # anything
        frame = body[:max(14, len(body))] if len(body) >= 14 else gw + src + body
    try:
        s.send(frame)
        sent += 1
    except OSError:
        pass
print(sent)
PY
)
    kill -0 "$pid"
    in_ns "$NS_PID" ping -c 1 -W 2 10.0.2.2
    # frames the kernel dropped because the tap queue was full never reached slirp
    local qdrops
    qdrops=$(in_ns "$NS_PID" ip -j -s link show tap0 |
        python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])')
    exec 6>&-
    wait_exit 10 "$pid"
    if ! is_original "$SLIRP4NETNS"; then
        # the counters slirpnet prints at exit, shown as a TAP comment
        local counters; counters=$(grep '^frames:' "$log")
        echo "# sent $sent frames in ${FUZZ_SECONDS}s, $qdrops dropped by a full tap queue; $counters" >&3
        [[ "$counters" =~ malformed=[1-9] ]]
        [[ "$counters" =~ in=([0-9]+) ]]
        [ $((BASH_REMATCH[1] + qdrops)) -ge "$sent" ] # every frame that reached the tap was read
    fi
}
