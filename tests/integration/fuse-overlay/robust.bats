#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# robust.bats — malformed layer content costs one errno, never the mount; threaded and timeout=0

load ../helpers
load lib

setup() {
    require_binary "$FUSE_OVERLAYFS"
    ovl_setup
    echo good >"$T/L1/good"
    mkdir -p "$T/L1/d"
    for i in $(seq 200); do echo "$i" >"$T/L1/d/f$i"; done
}
teardown() { teardown_pids; ovl_unmount_if_mounted "$T/M"; chmod -R u+rwx "$T/L1" 2>/dev/null || true; }

@test "a malformed override_stat fails that file only; the mount keeps serving" {
    # the override layer (L2) on top; d comes from L1, which is not in override mode
    mkdir -p "$T/L2"; echo bad >"$T/L2/bad"; echo good2 >"$T/L2/good2"
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:40755 "$T/L2"
    setfattr -n user.fuseoverlayfs.override_stat -v 0:0:100644 "$T/L2/good2"
    setfattr -n user.fuseoverlayfs.override_stat -v garbage "$T/L2/bad"
    run ovl_in_mount "lowerdir=$T/L2:$T/L1" 'stat bad >/dev/null 2>&1 && echo "bad ok"; cat good2 good; ls d | wc -l'
    [ "$status" -eq 0 ]
    assert_equal "$output" "good2
good
200"
}

@test "a dangling origin xattr keeps the file readable" {
    mkdir -p "$T/L2"
    setfattr -n user.fuseoverlayfs.origin -v does/not/exist "$T/L1/good"
    run ovl_in_mount "lowerdir=$T/L1:$T/L2" 'cat good; stat -c %i good'
    [ "$status" -eq 0 ]
    assert_equal "$output" "good
$(stat -c %i "$T/L1/good")"
}

@test "an unreadable lower directory gives EACCES there and nowhere else (plain user)" {
    mkdir -p "$T/L1/locked"; echo s >"$T/L1/locked/s"; chmod 000 "$T/L1/locked"
    run "$FUSE_OVERLAYFS" -o lowerdir="$T/L1" "$T/M"
    [ "$status" -eq 0 ]
    run ls "$T/M/locked"
    [ "$status" -ne 0 ]
    assert_contains "$output" "Permission denied"
    assert_equal "$(cat "$T/M/good")" "good"
    assert_equal "$(ls "$T/M" | tr '\n' ' ')" "d good locked "
    fusermount3 -u "$T/M"
}

@test "threaded=1 serves parallel readers from a pool of worker threads; the default from one" {
    # after four readers at once, the daemon has its main thread and more than one worker
    local cmd='for j in 1 2 3 4; do (cat d/f* | md5sum >"$T/sum.$j") & done; wait
        cat "$T"/sum.* | sort -u | wc -l; cat d/f* | md5sum; ls /proc/$OVL_PID/task | wc -l'
    run ovl_fg_in_mount "lowerdir=$T/L1,threaded=1" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "${lines[0]}" 1
    assert_equal "${lines[1]}" "$(cat "$T"/L1/d/f* | md5sum)"
    [ "${lines[2]}" -ge 3 ] || { echo "threads: ${lines[2]}" >&2; return 1; }
    run ovl_fg_in_mount "lowerdir=$T/L1" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "${lines[1]}" "$(cat "$T"/L1/d/f* | md5sum)"
    assert_equal "${lines[2]}" 1
}

@test "timeout=0 serves the same view and caches nothing: a change made in the upper layer shows at once" {
    run ovl_in_mount "lowerdir=$T/L1,timeout=0" 'cat good; ls d | wc -l; stat -c %h d'
    [ "$status" -eq 0 ]
    assert_equal "$output" "good
200
2"
    echo u >"$T/U/u"; chmod 644 "$T/U/u"
    local cmd='stat -c %a u; cat n 2>/dev/null || echo no-n
        chmod 600 "$T/U/u"; echo n >"$T/U/n"
        stat -c %a u; cat n 2>/dev/null || echo no-n'
    run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W,timeout=0" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "$output" "644
no-n
600
n"
    # the positive control: by default the kernel keeps what it was told (mode and the negative entry)
    chmod 644 "$T/U/u"; rm "$T/U/n"
    run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W" "$cmd"
    [ "$status" -eq 0 ]
    assert_equal "$output" "644
no-n
644
no-n"
}

@test "parallel creates, renames, links, removes, copy-ups and listings end as on a plain directory, threaded=1 and not" {
    # Four workers change names and copy lower files up at once while two more list and stat the
    # whole tree, each in a tight loop of system calls, with the daemon's worker threads serving
    # them side by side. The end state must be what the same steps make on a plain directory,
    # through the mount and again through a fresh single-threaded mount of the same upper layer
    # (what reached disk). Hard links included: a listing that met a link's second name between
    # link and unlink once left that name a node of its own, with a stale nlink of 2.
    for j in 0 1 2 3; do
        mkdir -p "$T/L1/low/w$j/sub"
        for i in $(seq 40); do echo "l$j.$i" >"$T/L1/low/w$j/f$i"; done
    done
    cat >"$T/race.py" <<'PY'
import os, sys, threading, hashlib
def work(j):
    d = "n%d" % j
    os.mkdir(d)
    for i in range(300):
        c, r, h = "%s/c%d" % (d, i), "%s/r%d" % (d, i), "%s/h%d" % (d, i)
        with open(c, "w") as f: f.write("%d.%d\n" % (j, i))
        os.rename(c, r); os.link(r, h)
        if i % 3 == 0: os.unlink(r)
        os.mkdir("%s/d%d" % (d, i))
        if i % 2 == 0: os.rmdir("%s/d%d" % (d, i))
    for i in range(1, 41):
        p = "low/w%d/f%d" % (j, i)
        with open(p, "a") as f: f.write("a%d\n" % j)
        os.chmod(p, 0o600)
        if i % 2: os.unlink(p)
    os.mkdir("low/w%d/sub/new" % j)  # copies sub up; a lower directory would not rename (EXDEV)
    with open("low/w%d/sub/new/x" % j, "w") as f: f.write("x")
    os.rename("low/w%d/sub/new" % j, "low/w%d/moved" % j)
    os.rename(d, "m%d" % j)
def look(stop):
    while not stop.is_set():
        for root, dirs, files in os.walk("."):
            for n in files + dirs:
                try: os.lstat(os.path.join(root, n))
                except FileNotFoundError: pass
def report():
    out = []
    for j in range(4):
        for d in ("m%d" % j, "low/w%d" % j):
            names = sorted(os.listdir(d))
            digest = hashlib.md5()
            for n in names:
                p = os.path.join(d, n)
                st = os.lstat(p)
                nlink = st.st_nlink if n[0] != "d" and sys.argv[-1] != "no-nlink" else 0
                digest.update(("%s %o %d\n" % (n, st.st_mode, nlink)).encode())
                if os.path.isfile(p):
                    with open(p, "rb") as f: digest.update(f.read())
            out.append("%s %d %s" % (d, len(names), digest.hexdigest()))
    out.append(" ".join(sorted(os.listdir("."))))
    print("\n".join(out))
if sys.argv[1] == "run":
    stop = threading.Event()
    lookers = [threading.Thread(target=look, args=(stop,)) for _ in range(2)]
    workers = [threading.Thread(target=work, args=(j,)) for j in range(4)]
    for t in lookers + workers: t.start()
    for t in workers: t.join()
    stop.set()
    for t in lookers: t.join()
report()
PY
    mkdir "$T/plain"; cp -a "$T/L1/." "$T/plain/"
    expected=$(cd "$T/plain" && python3 "$T/race.py" run)
    run ovl_fg_in_mount "lowerdir=$T/L1,upperdir=$T/U,workdir=$T/W,threaded=1" \
        'python3 "$T/race.py" run; ls /proc/$OVL_PID/task | wc -l >"$T/threads"'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$expected"
    [ "$(cat "$T/threads")" -ge 3 ] || { echo "threads: $(cat "$T/threads")" >&2; return 1; }
    # The same from one thread, on a second upper layer (the kernel's caches race the same way).
    mkdir "$T/U2" "$T/W2"
    run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/U2,workdir=$T/W2" 'python3 "$T/race.py" run'
    [ "$status" -eq 0 ]
    assert_equal "$output" "$expected"
    # Debian's 1.10 shows a hard link's nlink as 1 on a fresh mount (the kernel and ours: 2).
    local nl=
    if is_original "$FUSE_OVERLAYFS"; then
        nl=no-nlink
        expected=$(cd "$T/plain" && python3 "$T/race.py" report $nl)
    fi
    for u in U U2; do
        run ovl_in_mount "lowerdir=$T/L1,upperdir=$T/$u,workdir=$T/W" \
            "python3 \"\$T/race.py\" report $nl"
        [ "$status" -eq 0 ]
        assert_equal "$output" "$expected"
    done
}
