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

@test "random and truncated frames (IPv4, ARP, IPv6, ICMPv6, NDP) are dropped and counted, and the network keeps working" {
    make_userns_netns
    mkfifo "$BATS_TEST_TMPDIR/exit"
    exec 6<>"$BATS_TEST_TMPDIR/exit"
    bg "$SLIRP4NETNS" -c -6 -e 7 -r 5 "$NS_PID" tap0 5>"$BATS_TEST_TMPDIR/ready" 7<"$BATS_TEST_TMPDIR/exit" 6>&-
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
gw6 = bytes.fromhex("525600000002")
mine = bytes.fromhex("fd00000000000000") + os.urandom(8)
router = bytes.fromhex("fd000000000000000000000000000002")
def v6(nxt, payload, plen=None, hop=255):
    plen = len(payload) if plen is None else plen
    return gw6 + src + b"\x86\xdd" + struct.pack("!IHBB", 6 << 28, plen & 0xffff, nxt, hop) + \
        mine + router + payload
end = time.time() + float(sys.argv[1])
rnd = random.Random(4)
sent = 0
while time.time() < end:
    kind = rnd.randrange(9)
    body = os.urandom(rnd.randrange(0, 1500))
    if kind == 0:   # garbage IPv4
        frame = gw + src + b"\x08\x00" + body
    elif kind == 1: # truncated IPv4 header with a plausible first byte
        frame = gw + src + b"\x08\x00" + b"\x45" + body[:rnd.randrange(0, 19)]
    elif kind == 2: # garbage ARP
        frame = gw + src + b"\x08\x06" + body[:rnd.randrange(0, 40)]
    elif kind == 3: # anything
        frame = body[:max(14, len(body))] if len(body) >= 14 else gw + src + body
    elif kind == 4: # garbage IPv6
        frame = gw6 + src + b"\x86\xdd" + b"\x60" + body
    elif kind == 5: # IPv6 with a lying payload length
        frame = v6(rnd.choice([6, 17, 58]), body[:rnd.randrange(0, 200)], rnd.randrange(0, 65536))
    elif kind == 6: # extension header chains (hop-by-hop, routing, fragment, dest opts)
        chain = b""
        for _ in range(rnd.randrange(1, 12)):
            chain += bytes([rnd.choice([0, 43, 44, 60, 58, 17, 6]), rnd.randrange(0, 4)]) + os.urandom(6)
        frame = v6(rnd.choice([0, 43, 44, 60]), chain + body[:rnd.randrange(0, 100)])
    elif kind == 7: # ICMPv6 / NDP types with random bodies (RS, RA, NS, NA, echo, errors)
        t = rnd.choice([1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137])
        frame = v6(58, bytes([t, rnd.randrange(0, 2)]) + body[:rnd.randrange(0, 120)])
    else:           # DHCPv6 to port 547 with random options
        frame = v6(17, struct.pack("!HHHH", 546, 547, 8 + len(body[:300]), 0) + body[:300])
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
    wait_until 15 sh -c "nsenter --preserve-credentials -U -n -t $NS_PID -- ip -6 addr show dev tap0 |
        grep 'inet6 fd00::' | grep -qv tentative"
    in_ns "$NS_PID" ping -6 -c 1 -W 2 fd00::2
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
