// SPDX-License-Identifier: Apache-2.0
// held_dirs_test.cc — Layer::hold_dirs: the same answers as unheld, confinement kept, and no fd
// or cached directory outliving the hold
#include "tests/unit/fuse-overlay/temp_tree.h"

#include <dirent.h>
#include <sys/xattr.h>

using namespace ovl;
using namespace ovl::test;

namespace {

size_t open_fds() {
    size_t n = 0;
    DIR* d = opendir("/proc/self/fd");
    while (d != nullptr && readdir(d) != nullptr)
        ++n;
    if (d != nullptr)
        closedir(d);
    return n;
}

bool refused(int e) {
    return e == ENOTDIR || e == ELOOP;
}

} // namespace

// Before Linux 6.13 (no getxattrat/listxattrat) xattrs go through /proc/self/fd: both ways.
struct XattratSetting {
    explicit XattratSetting(bool on) { use_xattrat_syscalls(on); }
    ~XattratSetting() { use_xattrat_syscalls(true); }
};

TEST_CASE("A held layer answers stat and getxattr as an unheld one", "[fuse-overlay][held]") {
    bool xattrat = GENERATE(true, false);
    CAPTURE(xattrat);
    XattratSetting setting(xattrat);
    TempTree t(1, {{0, "d/f", Kind::file, "data"},
                   {0, "d/f", Kind::xattr, "user.k=v"},
                   {0, "d/s", Kind::symlink, "f"},
                   {0, "r", Kind::file},
                   {0, "r", Kind::xattr, "user.top=1"},
                   {0, "e/g", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    const Layer& l = ov->layers[0];
    struct stat plain = *l.stat("d/f");
    CHECK(*l.getxattr("d/f", "user.k") == "v"); // unheld, each way
    CHECK(!l.getxattr("d/s", "user.k"));
    CHECK(*l.getxattr("r", "user.top") == "1");
    size_t fds = open_fds();
    l.hold_dirs(true);
    CHECK(l.stat("d/f")->st_ino == plain.st_ino);
    CHECK(open_fds() == fds + 1);           // "d" stays open for the next name in it
    CHECK(S_ISLNK(l.stat("d/s")->st_mode)); // never followed
    CHECK(*l.getxattr("d/f", "user.k") == "v");
    CHECK(!l.getxattr("d/s", "user.k")); // the symlink itself carries nothing
    CHECK(l.getxattr("d/f", "user.none").error().value == ENODATA);
    CHECK(*l.getxattr("r", "user.top") == "1");
    char names[64];
    Result<size_t> listed = l.listxattr("d/f", names, sizeof names);
    REQUIRE(listed);
    CHECK(std::string(names, *listed) == std::string("user.k\0", 7));
    REQUIRE(l.setxattr("d/f", "user.n", "1")); // setxattrat/removexattrat, or the /proc path
    CHECK(*l.getxattr("d/f", "user.n") == "1");
    CHECK(l.setxattr("d/f", "user.n", "2", XATTR_CREATE).error().value == EEXIST);
    REQUIRE(l.removexattr("d/f", "user.n"));
    CHECK(l.getxattr("d/f", "user.n").error().value == ENODATA);
    CHECK(l.removexattr("d/f", "user.n").error().value == ENODATA);
    CHECK(l.setxattr("d/s", "user.n", "1").error().value == EPERM); // the symlink, not "f"
    // A value over the kernel's 64 KiB limit: E2BIG, and the *xattrat calls stay in use (a
    // container must not switch the whole mount to the slower path).
    bool in_use = xattrat_syscalls_in_use();
    CHECK(l.setxattr("d/f", "user.big", std::string(70000, 'x')).error().value == E2BIG);
    CHECK(xattrat_syscalls_in_use() == in_use);
    CHECK(l.getxattr("d/f", "user.n").error().value == ENODATA);
    CHECK(l.stat("d/none").error().value == ENOENT);
    CHECK(l.stat("e/g")); // another directory: the held one is replaced
    CHECK(l.stat("d/f"));
    CHECK(l.stat("d/f/x").error().value == ENOTDIR);
    l.hold_dirs(false);
    CHECK(open_fds() == fds);
}

TEST_CASE("A held layer resolves a new directory beneath the root only", "[fuse-overlay][held]") {
    bool xattrat = GENERATE(true, false);
    CAPTURE(xattrat);
    XattratSetting setting(xattrat);
    TempTree t(1, {{0, "d/f", Kind::file}, {0, "link", Kind::symlink, "d"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    const Layer& l = ov->layers[0];
    int unheld = l.stat("link/f").error().value; // a symlink is never a directory on the way
    CHECK(refused(unheld));
    // Unheld xattr calls go through the directory openat2 found (getxattrat/listxattrat) or the
    // /proc path of the object (before Linux 6.13, ELOOP there): a symlink on the way is
    // refused either way.
    CHECK(refused(l.getxattr("link/f", "user.k").error().value));
    char names[64];
    CHECK(refused(l.listxattr("link/f", names, sizeof names).error().value));
    CHECK(l.listxattr("d/f", names, sizeof names));
    HeldDirs held(*ov);
    CHECK(l.stat("link/f").error().value == unheld);
    CHECK(refused(l.getxattr("link/f", "user.k").error().value));
    CHECK(l.stat("d/f")); // and a refusal leaves nothing held that answers wrongly
}

TEST_CASE("Nothing held survives the hold", "[fuse-overlay][held]") {
    TempTree t(1, {{0, "d/f", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    const Layer& l = ov->layers[0];
    {
        HeldDirs held(*ov);
        REQUIRE(l.stat("d/f"));
    }
    // The directory replaced behind the layer: an unheld stat sees the new one at once.
    REQUIRE(::rename(t.path(0, "d").c_str(), t.path(0, "old").c_str()) == 0);
    REQUIRE(::mkdir(t.path(0, "d").c_str(), 0755) == 0);
    CHECK(l.stat("d/f").error().value == ENOENT);
    HeldDirs again(*ov);
    CHECK(l.stat("d/f").error().value == ENOENT);
    CHECK(l.stat("old/f"));
}

TEST_CASE("A listing's stats serve its readdirplus entries in the same request only",
          "[fuse-overlay][held]") {
    TempTree t(
        2, {{0, "d/a", Kind::file, "1"}, {1, "d/b", Kind::file, "22"}, {1, "d/c/x", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(2);
    fuse_ino_t d = lookup_path(*ov, "d");
    Node& dir = *ov->table.get(d);
    {
        HeldDirs held(*ov);
        REQUIRE(load_dir(*ov, dir));
        CHECK(ov->fresh_stats.size() == 3); // a, b, c: one stat each, kept
        for (const char* name : {"a", "b", "c"}) {
            Node* n = *find_child(*ov, dir, name);
            struct stat kept = *node_stat(*ov, *n);
            struct stat real = *ov->layers[n->layer].stat(n->path);
            CHECK(kept.st_size == real.st_size);
            CHECK(kept.st_mode == real.st_mode);
            CHECK(kept.st_mtim.tv_nsec == real.st_mtim.tv_nsec);
        }
    }
    CHECK(ov->fresh_stats.empty());
    // Changed behind the layer after the request: the next stat sees it.
    std::ofstream(t.path(1, "d/b"), std::ios::app) << "more";
    Node* b = *find_child(*ov, dir, "b");
    CHECK(node_stat(*ov, *b)->st_size == 6);
}

TEST_CASE("A rename or rmdir closes the held directories it moves or removes, and only those",
          "[fuse-overlay][held]") {
    TempTree t(1, {{0, "d/f", Kind::file}, {0, "a/b/g", Kind::file}, {0, "e/h", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1, {}, true);
    const Layer& l = ov->layers[0];
    size_t base = open_fds();
    l.hold_dirs(true);
    REQUIRE(l.stat("d/f"));
    REQUIRE(l.stat("a/b/g"));
    REQUIRE(l.stat("e/h"));
    CHECK(open_fds() == base + 3);
    REQUIRE(l.rename("d/f", "e/f2", 0)); // files move: every held directory stays where it was
    CHECK(open_fds() == base + 3);
    CHECK(l.stat("d/f").error().value == ENOENT);
    CHECK(l.stat("e/f2"));
    REQUIRE(l.rename("a", "c", 0)); // "a/b" is held and moved with "a": closed
    CHECK(open_fds() == base + 2);
    REQUIRE(::mkdir(t.path(0, "a").c_str(), 0755) == 0);
    REQUIRE(::mkdir(t.path(0, "a/b").c_str(), 0755) == 0);
    CHECK(l.stat("a/b/g").error().value == ENOENT); // the new "a/b", not the moved one
    CHECK(l.stat("c/b/g"));
    REQUIRE(l.unlink("c/b/g", 0));
    REQUIRE(l.unlink("c/b", AT_REMOVEDIR));
    CHECK(l.stat("c/b/g").error().value == ENOENT);
    // At most max_held (4) stay open, the least recently used replaced.
    for (const char* p : {"x1/f", "x2/f", "x3/f", "x4/f", "x5/f"}) {
        REQUIRE(::mkdir(t.path(0, std::string(p, 2)).c_str(), 0755) == 0);
        CHECK(l.stat(p).error().value == ENOENT);
    }
    CHECK(open_fds() == base + 4);
    l.hold_dirs(false);
    CHECK(open_fds() == base);
}
