#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# startup.sh — start-up time of ours vs Debian's rootlesskit (hyperfine), with the ratio.
# Usage: bench/startup.sh [BUILD_DIR]   (as root it re-runs itself as $RT_TEST_USER, default rttest)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BUILD_DIR:-$here/../build}}
ours=${ROOTLESSKIT:-$(realpath "$build/rootlesskit/rootlesskit")}
orig=${ORIG_ROOTLESSKIT:-/usr/bin/rootlesskit}
s4n=${SLIRP4NETNS_BIN:-/usr/bin/slirp4netns}

if [ "$(id -u)" = 0 ]; then
    user=${RT_TEST_USER:-rttest}
    uid=$(id -u "$user")
    exec setpriv --reuid="$uid" --regid="$(id -g "$user")" --init-groups --reset-env \
        env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR=/run/user/$uid \
        ROOTLESSKIT="$ours" ORIG_ROOTLESSKIT="$orig" SLIRP4NETNS_BIN="$s4n" "$0" "$build"
fi
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }
[ -x "$ours" ] || { echo "build ours first: $ours" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cases=("true" "--pidns true" "--net=slirp4netns --slirp4netns-binary=$s4n --disable-host-loopback true")
names=("rootlesskit true" "rootlesskit --pidns true" "rootlesskit --net=slirp4netns true")
printf '%-36s %12s %12s %8s\n' "case" "ours (ms)" "original (ms)" "ratio"
for i in "${!cases[@]}"; do
    hyperfine -N --warmup 3 --min-runs 20 --export-json "$out/$i.json" \
        -n ours "$ours ${cases[$i]}" -n original "$orig ${cases[$i]}" >/dev/null 2>&1
    python3 - "$out/$i.json" "${names[$i]}" <<'PY'
import json, sys
r = {x["command"]: x["mean"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f'{sys.argv[2]:<36} {r["ours"]:12.2f} {r["original"]:12.2f} {r["ours"] / r["original"]:8.2f}')
PY
done
# Rows the original (Debian's 1.1.0) cannot run: ours only. --net=gvisor-tap-vsock finds our
# slirpnet beside rootlesskit (the build tree's rootlesskit/slirpnet link).
ours_only=("--net=gvisor-tap-vsock --disable-host-loopback true")
ours_only_names=("rootlesskit --net=gvisor-tap-vsock true")
for i in "${!ours_only[@]}"; do
    hyperfine -N --warmup 3 --min-runs 20 --export-json "$out/o$i.json" \
        -n ours "$ours ${ours_only[$i]}" >/dev/null 2>&1
    python3 - "$out/o$i.json" "${ours_only_names[$i]}" <<'PY'
import json, sys
r = {x["command"]: x["mean"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f'{sys.argv[2]:<36} {r["ours"]:12.2f} {"-":>12} {"-":>8}')
PY
done
