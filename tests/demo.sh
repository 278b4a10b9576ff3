#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh — the stack end to end, as an unprivileged user: a rootless namespace with user-mode
# networking, an overlay mount inside it, and a published port that the host reaches.
# Uses our binary for each role once it is built, and says so; until then Debian's original.
set -euo pipefail
: "${BUILD_DIR:=$(cd "$(dirname "$0")/.." && pwd)/build}"

pick() { # ROLE OURS ORIGINAL
    if [ -x "$2" ]; then echo "  $1: ours ($2)" >&2; echo "$2"; else
        echo "  $1: Debian's original ($3) — ours is not built yet" >&2; echo "$3"; fi
}
exec 2>&1
echo "demo as $(id -un) (uid $(id -u)); binaries:"
rk=$(pick rootlesskit "$BUILD_DIR/rootlesskit/rootlesskit" /usr/bin/rootlesskit)
sn=$(pick slirp4netns "$BUILD_DIR/slirpnet/slirpnet" /usr/bin/slirp4netns)
fo=$(pick fuse-overlayfs "$BUILD_DIR/fuse-overlay/fuse-overlay" /usr/bin/fuse-overlayfs)

d=$(mktemp -d /tmp/rootless-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$d"; }
trap cleanup EXIT

mkdir -p "$d/lower/www" "$d/upper" "$d/work" "$d/merged"
echo "hello from the lower layer" >"$d/lower/www/index.html"
host_port=$((20000 + RANDOM % 20000))
echo "host service on 127.0.0.1:$host_port"
socat TCP-LISTEN:$host_port,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo reply-from-the-host' &
pids+=($!)

pub_port=$((20000 + RANDOM % 20000))
cat >"$d/inside.sh" <<INSIDE
set -e
echo "--- inside: uid_map"; cat /proc/self/uid_map
echo "--- inside: tap0"; ip -o -4 addr show tap0
"$fo" -o lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work $d/merged
echo "--- inside: overlay mounted"; grep " $d/merged " /proc/self/mountinfo | sed 's/.* - //'
if ! echo "written through the overlay" 2>/dev/null > $d/merged/www/new.html; then
    echo "--- inside: this overlay build is read-only (its write side is issue 7); serving the lower layer"
fi
echo "--- inside: the host service through 10.0.2.2"; socat -T5 - TCP:10.0.2.2:$host_port </dev/null
echo "--- inside: serving the overlay's www on :8080 (published as 127.0.0.1:$pub_port)"
exec socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:"cat $d/merged/www/*.html"
INSIDE
"$rk" --state-dir="$d/state" --net=slirp4netns --slirp4netns-binary="$sn" --disable-host-loopback=false \
    --copy-up=/etc --port-driver=builtin -p 127.0.0.1:$pub_port:8080/tcp sh "$d/inside.sh" \
    >"$d/rootlesskit.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    if out=$(socat -T2 - TCP:127.0.0.1:$pub_port </dev/null 2>/dev/null) && [ -n "$out" ]; then
        cat "$d/rootlesskit.log"
        echo "--- host: GET 127.0.0.1:$pub_port"; echo "$out"
        echo "--- host: the upper layer now holds"; (cd "$d/upper" && find . -type f)
        echo "demo OK"; exit 0
    fi
    sleep 0.1
done
cat "$d/rootlesskit.log" >&2
echo "demo FAILED: the published port never answered" >&2
exit 1
