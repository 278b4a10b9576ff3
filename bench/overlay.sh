#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# overlay.sh — read-path benchmark: fuse-overlay vs Debian's fuse-overlayfs vs kernel overlayfs
#
# Usage: bench/overlay.sh [OURS] — OURS defaults to build/fuse-overlay/fuse-overlay. Runs as the
# invoking user; every mount lives in its own `unshare -rm` namespace (kernel overlayfs with
# -o userxattr). Prints seconds per row for the three and the ratios (>1 means ours is faster).
# "cold" is the first pass after a fresh mount (FUSE caches empty; the layers' page cache warm),
# "warm" the second pass on the same mount. Each tool runs REPS times (interleaved, a fresh mount
# each time) and the median is printed: this host is noisy.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
OURS=${1:-${FUSE_OVERLAYFS:-$here/build/fuse-overlay/fuse-overlay}}
ORIG=${ORIG_FUSE_OVERLAYFS:-/usr/bin/fuse-overlayfs}
NFILES=${NFILES:-3000}
BIGMB=${BIGMB:-256}
RANDREADS=${RANDREADS:-20000}
REPS=${REPS:-5}

D=$(mktemp -d /tmp/ovl-bench-XXXXXX)
trap 'chmod -R u+rwx "$D" 2>/dev/null; rm -rf "$D"' EXIT
mkdir -p "$D"/{L1,L2,L3,M,U,W}
echo "building $NFILES files in 3 layers and a ${BIGMB} MiB file..." >&2
for l in 1 2 3; do
    for i in $(seq 0 $((NFILES / 3 - 1))); do
        d="$D/L$l/dir$((i % 30))"
        [ -d "$d" ] || mkdir -p "$d"
        echo "$l $i" >"$d/f$l-$i"
    done
done
head -c $((BIGMB * 1024 * 1024)) /dev/urandom >"$D/L3/big"

# The timed part, run inside the namespace with the overlay mounted at $M.
inner='
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$1 $(echo "$e - $s" | bc)"; }
findstat() { find "$M" -type f -exec stat -c %i {} + ; }
lsr() { ls -lR "$M"; }
randread() { python3 -c "
import os, random
fd = os.open(\"$M/big\", os.O_RDONLY); size = os.fstat(fd).st_size; random.seed(1)
for _ in range($RANDREADS): os.pread(fd, 4096, random.randrange(0, size // 4096) * 4096)
"; }
mnt
echo "find_stat_cold $(t findstat | cut -d" " -f2)"
echo "find_stat_warm $(t findstat | cut -d" " -f2)"
echo "ls_lR $(t lsr | cut -d" " -f2)"
s=$(date +%s.%N); cat "$M/big" >/dev/null; e=$(date +%s.%N); echo "seq_read_${BIGMB}MiB $(echo "$e - $s" | bc)"
echo "rand_4k_x$RANDREADS $(t randread | cut -d" " -f2)"
cd /; umount "$M"
'
run_one() { # NAME MOUNTCMD
    M=$D/M RANDREADS=$RANDREADS BIGMB=$BIGMB OVL_MNT=$2 unshare -rm bash -c \
        "mnt() { eval \"\$OVL_MNT\"; }; $inner"
}
lowers="$D/L1:$D/L2:$D/L3"
declare -A R
rows=()
for rep in $(seq "$REPS"); do
    for who in ours orig kernel; do
        case $who in
        ours) cmd="\"$OURS\" -o lowerdir=$lowers \"\$M\" 2>/dev/null" ;;
        orig) cmd="\"$ORIG\" -o lowerdir=$lowers \"\$M\" 2>/dev/null" ;;
        kernel) cmd="mount -t overlay overlay -o lowerdir=$lowers,userxattr \"\$M\"" ;;
        esac
        echo "run $rep/$REPS: $who" >&2
        while read -r row secs; do
            R[$who,$row]="${R[$who,$row]:-} $secs"
            rows+=("$row")
        done < <(run_one "$who" "$cmd")
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "median of $REPS runs; $NFILES files in 3 layers; seconds (lower is better)"
printf '%-20s %12s %12s %10s %10s %12s\n' row fuse-overlay fuse-ovlfs1.10 kernel "orig/ours" "kernel/ours"
for row in $(printf '%s\n' "${rows[@]}" | awk '!seen[$0]++'); do
    o=$(median <<<"${R[ours,$row]}"); f=$(median <<<"${R[orig,$row]}"); k=$(median <<<"${R[kernel,$row]}")
    printf '%-20s %12.3f %12.3f %10.3f %9.2fx %11.2fx\n' "$row" "$o" "$f" "$k" \
        "$(echo "$f / $o" | bc -l)" "$(echo "$k / $o" | bc -l)"
done
