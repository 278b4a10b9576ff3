#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# overlay.sh — read- and write-path benchmark: fuse-overlay vs Debian's fuse-overlayfs vs kernel overlayfs
#
# Usage: bench/overlay.sh [OURS] — OURS defaults to build/fuse-overlay/fuse-overlay. Runs as the
# invoking user; every mount lives in its own `unshare -rm` namespace (kernel overlayfs with
# -o userxattr). Prints seconds per row for the three and the ratios (>1 means ours is faster).
# ROWS=read|write|all (default all) picks the row groups.
# Read rows: "cold" is the first pass after a fresh mount (FUSE caches empty; the layers' page
# cache warm), "warm" the second pass on the same mount. seq_read_*_again reads the big file a
# second time through a new open (keep_cache: from the mount's page cache). rand_4k follows the sequential read on
# the same mount (from the page cache), rand_4k_cold repeats it on a fresh mount (every read a
# request to the daemon). rss_B_per_inode (bytes, not seconds; no daemon for the kernel) is the
# daemon's RSS growth per name over a walk of the tree on a fresh mount, after a warm-up walk.
# Write rows (a fresh, empty upper for each tool and repetition): create NWRITE small files, append
# to NWRITE lower files, write a BIGMB file (dd + fsync), chmod of the BIGMB lower file (a copy-up),
# the same with -o metacopy=on (ours only copies the metadata; Debian's 1.10 ignores the option;
# the kernel refuses metacopy=on together with userxattr, so it shows n/a), rm -rf of a lower
# tree, tar -x of an NTAR-file tarball (100 B to 8 KiB files in 50 directories) and the same
# twice at once into two directories of the mount ("two_at_once", wall time of both), NBIG small
# files created in one new directory, NWRITE created in a merged directory (upper and lower) that
# holds NBIG files (a cost per create that grows with the directory shows in these two), and the
# mean of 20 mount + umount cycles. A row the tool refuses with EROFS shows
# "n/a (EROFS)" (ENOSYS likewise), a refused mount option "n/a (refused)", any other failure
# "n/a (failed)".
# Each tool runs REPS times (interleaved, in all six orders in turn, a fresh mount each time)
# and the median is printed: this host is noisy. The chmod rows time the chmod(2) call in-process.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
OURS=${1:-${FUSE_OVERLAYFS:-$here/build/fuse-overlay/fuse-overlay}}
ORIG=${ORIG_FUSE_OVERLAYFS:-/usr/bin/fuse-overlayfs}
NFILES=${NFILES:-3000}
NWRITE=${NWRITE:-2000}
BIGMB=${BIGMB:-256}
RANDREADS=${RANDREADS:-10000}
NTAR=${NTAR:-5000}
NBIG=${NBIG:-10000}
REPS=${REPS:-6}
ROWS=${ROWS:-all}

# BENCH_DIR holds the layers (default /tmp). Where creating a file costs the disk ~1 ms (this
# host's ext4: 2000 plain creates take 1.4 s), the write rows measure the disk for all three;
# BENCH_DIR=/dev/shm (tmpfs, user xattrs since Linux 6.6) shows what the overlay itself costs.
D=$(mktemp -d "${BENCH_DIR:-/tmp}/ovl-bench-XXXXXX")
# The kernel leaves work/work mode 000: make everything removable first.
trap 'chmod -R u+rwx "$D" 2>/dev/null; rm -rf "$D"' EXIT
mkdir -p "$D"/{L1,L2,L3,M,U,W} "$D/L3/bigm" "$D/bigm.tpl"
(cd "$D/bigm.tpl" && seq "$NBIG" | sed 's/^/f/' | xargs touch)
echo "building $NFILES files in 3 layers and a ${BIGMB} MiB file..." >&2
for l in 1 2 3; do
    for i in $(seq 0 $((NFILES / 3 - 1))); do
        d="$D/L$l/dir$((i % 30))"
        [ -d "$d" ] || mkdir -p "$d"
        echo "$l $i" >"$d/f$l-$i"
    done
done
head -c $((BIGMB * 1024 * 1024)) /dev/urandom >"$D/L3/big"
# Write rows: append to the first NWRITE lower files of dir0..dir19 (in every layer); rm -rf the
# lower tree dir20..dir29.
(cd "$D" && for d in $(seq 0 19); do for l in 1 2 3; do ls -1 "L$l/dir$d" 2>/dev/null |
    sed "s|^|dir$d/|"; done; done) >"$D/lower.list"
head -n "$NWRITE" "$D/lower.list" >"$D/append.list"
NAPPEND=$(wc -l <"$D/append.list")
NRM=$(cd "$D" && cat <(for l in 1 2 3; do for d in $(seq 20 29); do
    ls -1 "L$l/dir$d" 2>/dev/null; done; done) | wc -l)
# The tar rows: a tarball of NTAR files of 100 B to 8 KiB in 50 directories (what an image layer
# or a package install unpacks), kept outside the layers.
if [ "$ROWS" != read ]; then
    python3 - "$D/tarsrc" "$NTAR" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 50))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(b"t" * (100 + (i * 7919) % 8093))
PY
    tar -C "$D/tarsrc" -cf "$D/t.tar" . && rm -rf "$D/tarsrc"
fi

# The timed read part, run inside the namespace with the overlay mounted at $M.
inner_read='
t() { local s e; s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; e=$EPOCHREALTIME; echo "$1 $(echo "$e - $s" | bc)"; }
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
warm_lower; s=$EPOCHREALTIME; cat "$M/big" >/dev/null; e=$EPOCHREALTIME; echo "seq_read_${BIGMB}MiB $(echo "$e - $s" | bc)"
s=$EPOCHREALTIME; cat "$M/big" >/dev/null; e=$EPOCHREALTIME; echo "seq_read_${BIGMB}MiB_again $(echo "$e - $s" | bc)"
echo "rand_4k_x$RANDREADS $(t randread | cut -d" " -f2)"
# The same reads on a fresh mount: the file is not in the page cache of the overlay, so every
# read is a request to the daemon (the row above is served by the kernel cache alone).
cd /; umount "$M"; mnt; warm_lower
echo "rand_4k_cold_x$RANDREADS $(t randread | cut -d" " -f2)"
cd /; umount "$M"
# Memory per cached inode, on a fresh mount: the daemon'"'"'s RSS growth over a walk of the tree,
# after walking dir0 first (the first walk also pages in code and grows one-time buffers).
mnt
pid=
for p in /proc/[0-9]*; do
    case "$(tr "\0" " " 2>/dev/null <"$p/cmdline")" in *" $M"|*" $M ") pid=${p#/proc/} ;; esac
done
if [ -n "$pid" ]; then
    rss() { awk "/^VmRSS/ {print \$2}" "/proc/$pid/status"; }
    w=$(find "$M/dir0" -exec stat -c %i {} + | wc -l); r0=$(rss)
    n=$(find "$M" -exec stat -c %i {} + | wc -l); r1=$(rss)
    echo "rss_B_per_inode $(( (r1 - r0) * 1024 / (n - w) ))"
fi
cd /; umount "$M"
'

# The timed write part: each row on a mount with a fresh upper (the first five share one; the
# metacopy row gets its own). tw ROW CMD... prints "ROW SECONDS", or "ROW erofs"/"ROW failed".
inner_write='
tw() {
    local row=$1 s e err; shift; sync
    s=$EPOCHREALTIME
    if err=$("$@" 2>&1 >/dev/null); then
        e=$EPOCHREALTIME; echo "$row $(echo "$e - $s" | bc)"
    elif grep -q "Read-only file system" <<<"$err"; then echo "$row erofs"
    elif grep -q "Function not implemented" <<<"$err"; then echo "$row enosys"
    else echo "$row failed"; echo "$row: ${err:0:300}" >&2; fi
}
# The chmod rows time the one chmod(2) inside the process (a fork and exec of chmod costs more
# than a metadata-only copy-up): prints the seconds, or erofs/enosys/failed like tw.
tchmod() {
    local row=$1 file=$2; sync
    python3 -c "
import errno, os, sys, time
s = time.perf_counter()
try:
    os.chmod(sys.argv[1], 0o600)
except OSError as e:
    print({errno.EROFS: \"erofs\", errno.ENOSYS: \"enosys\"}.get(e.errno, \"failed\"))
    print(e, file=sys.stderr)
    sys.exit(0)
print(\"%.6f\" % (time.perf_counter() - s))" "$file" | sed "s/^/$row /"
}
create() { mkdir "$M/new" || return; local i; for i in $(seq "$NWRITE"); do echo x >"$M/new/f$i" || return; done; }
bigdir() { mkdir "$M/big1" || return; local i; for i in $(seq "$NBIG"); do echo x >"$M/big1/f$i" || return; done; }
bigmerged() { local i; for i in $(seq "$NWRITE"); do echo x >"$M/bigm/n$i" || return; done; }
append() { local p; while read -r p; do echo y >>"$M/$p" || return; done <"$D/append.list"; }
wbig() { dd if=/dev/zero of="$M/wbig" bs=1M count="$BIGMB" conv=fsync status=none; }
rmtree() { rm -rf "$M"/dir2[0-9]; }
untar() { mkdir "$M/$1" && tar --no-same-owner -C "$M/$1" -xf "$D/t.tar"; }
# "two at once": the tar row twice at the same time on one mount, into two directories (compare
# with the single run above it: 1.0x would be two CPUs fully used, 2.0x no overlap at all).
untar2() { untar tx2a & local a=$!; untar tx2b; local rb=$?; wait $a && return $rb; }
fresh() { cd /; chmod -R u+rwx "$D/U" "$D/W" 2>/dev/null; rm -rf "$D/U" "$D/W"; mkdir "$D/U" "$D/W"; }
fresh
cp -a "$D/bigm.tpl" "$D/U/bigm" # the upper half of the merged directory (the lower one is empty)
if mnt ""; then
    tw create_$NWRITE create
    tw append_$NAPPEND append
    tw write_${BIGMB}MiB_fsync wbig
    warm_lower; tchmod chmod_${BIGMB}MiB_lower "$M/big"
    tw rm_rf_lower_$NRM rmtree
    tw tar_x_$NTAR untar tx1
    tw tar_x_${NTAR}_two_at_once untar2
    tw create_${NBIG}_one_dir bigdir
    tw create_${NWRITE}_in_merged_dir_of_$NBIG bigmerged
    cd /; umount "$M"
else
    for r in create_$NWRITE append_$NAPPEND write_${BIGMB}MiB_fsync chmod_${BIGMB}MiB_lower rm_rf_lower_$NRM \
        tar_x_$NTAR tar_x_${NTAR}_two_at_once create_${NBIG}_one_dir \
        create_${NWRITE}_in_merged_dir_of_$NBIG; do
        echo "$r failed"; done
fi
fresh
if mnt ",metacopy=on" 2>/dev/null; then
    warm_lower; tchmod chmod_${BIGMB}MiB_metacopy "$M/big"
    cd /; umount "$M"
else
    echo "chmod_${BIGMB}MiB_metacopy refused"
fi
fresh
# What every container start and stop pays: the mean of 20 mount + umount cycles (with an upper).
cd /; s=$EPOCHREALTIME; n=0
for i in $(seq 20); do mnt "" || break; umount "$M"; n=$((n + 1)); done
e=$EPOCHREALTIME
if [ $n = 20 ]; then echo "mount_umount $(echo "($e - $s) / 20" | bc -l)"; else echo "mount_umount failed"; fi
fresh
'
# warm_lower: a row reading the big lower file reads it first, untimed, so that it times the
# overlay and not the disk should the host have dropped some of its page cache meanwhile.
run_one() { # INNER MOUNTCMD
    M=$D/M D=$D NTAR=$NTAR NBIG=$NBIG RANDREADS=$RANDREADS BIGMB=$BIGMB NWRITE=$NWRITE NAPPEND=$NAPPEND NRM=$NRM OVL_MNT=$2 unshare -rm bash -c \
        "mnt() { local extra=\${1:-}; eval \"\$OVL_MNT\"; }; warm_lower() { cat \"\$D/L3/big\" >/dev/null; }; $1"
}
lowers="$D/L1:$D/L2:$D/L3"
rw="lowerdir=$lowers,upperdir=$D/U,workdir=$D/W"
declare -A R
rows=()
# Repetition r runs the tools in the r-th of the six orders, so each tool runs first, and right
# after each other tool, equally often (the writes of one tool must not bias the next one's row:
# on a disk with discard, freeing its upper costs the following seconds); every run also starts
# after a sync, untimed.
orders=("ours orig kernel" "orig kernel ours" "kernel ours orig" "kernel orig ours"
    "orig ours kernel" "ours kernel orig")
for rep in $(seq "$REPS"); do
    for who in ${orders[(rep - 1) % 6]}; do
        groups=()
        case $ROWS in read) groups=(read) ;; write) groups=(write) ;; *) groups=(read write) ;; esac
        for g in "${groups[@]}"; do
            if [ "$g" = read ]; then
                inner=$inner_read
                case $who in
                ours) cmd="\"$OURS\" -o lowerdir=$lowers \"\$M\" 2>/dev/null" ;;
                orig) cmd="\"$ORIG\" -o lowerdir=$lowers \"\$M\" 2>/dev/null" ;;
                kernel) cmd="mount -t overlay overlay -o lowerdir=$lowers,userxattr \"\$M\"" ;;
                esac
            else
                inner=$inner_write
                case $who in
                ours) cmd="\"$OURS\" -o $rw\$extra \"\$M\" 2>/dev/null" ;;
                orig) cmd="\"$ORIG\" -o $rw\$extra \"\$M\" 2>/dev/null" ;;
                kernel) cmd="mount -t overlay overlay -o $rw,userxattr\$extra \"\$M\" 2>/dev/null" ;;
                esac
            fi
            echo "run $rep/$REPS: $who $g" >&2
            sync
            while read -r row secs; do
                R[$who,$row]="${R[$who,$row]:-} $secs"
                rows+=("$row")
            done < <(run_one "$inner" "$cmd")
        done
    done
done
# median: of the numbers; a row that failed in any run shows why instead.
median() {
    local v; v=$(tr ' ' '\n' | grep -v '^$' || true)
    case $v in
    "") echo "n/a"; return ;;
    *erofs*) echo "n/a (EROFS)"; return ;;
    *enosys*) echo "n/a (ENOSYS)"; return ;;
    *refused*) echo "n/a (refused)"; return ;;
    *failed*) echo "n/a (failed)"; return ;;
    esac
    sort -g <<<"$v" | awk '{a[NR]=$1} END {printf "%.4f\n", a[int((NR + 1) / 2)]}'
}
ratio() { if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]]; then printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; else echo -; fi; }
echo "median of $REPS runs; $NFILES files in 3 layers on $(stat -f -c %T "$D"); seconds (lower is better)"
printf '%-24s %12s %14s %10s %10s %12s\n' row fuse-overlay fuse-ovlfs1.10 kernel "orig/ours" "kernel/ours"
for row in $(printf '%s\n' "${rows[@]}" | awk '!seen[$0]++'); do
    o=$(median <<<"${R[ours,$row]:-}"); f=$(median <<<"${R[orig,$row]:-}"); k=$(median <<<"${R[kernel,$row]:-}")
    printf '%-24s %12s %14s %10s %10s %12s\n' "$row" "$o" "$f" "$k" "$(ratio "$f" "$o")" "$(ratio "$k" "$o")"
done
