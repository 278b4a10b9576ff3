// SPDX-License-Identifier: Apache-2.0
// attr_test.cc — st_ino (origin chain), directory nlink, id mapping, squash, stat override
#include "names_helpers.h"
#include "temp_tree.h"

#include "fuse-overlay/cli.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

namespace {

ino_t disk_ino(const std::string& p) {
    struct stat st {};
    REQUIRE(lstat(p.c_str(), &st) == 0);
    return st.st_ino;
}

struct stat attr(Overlay& ov, const std::string& path) {
    fuse_ino_t ino = path.empty() ? FUSE_ROOT_ID : lookup_path(ov, path);
    REQUIRE(ino != 0);
    Result<struct stat> st = do_getattr(ov, ino);
    REQUIRE(st);
    return *st;
}

OverlayOptions opts(const std::string& o) {
    return parse_cli({"-o", "lowerdir=/x," + o, "/m"}, false);
}

} // namespace

TEST_CASE("st_ino is the topmost object's inode without an origin", "[fuse-overlay][attr]") {
    TempTree t(2, {{0, "a", Kind::file}, {1, "a", Kind::file}, {1, "b", Kind::file}});
    auto ov = t.overlay(2);
    CHECK(attr(*ov, "a").st_ino == disk_ino(t.path(0, "a")));
    CHECK(attr(*ov, "b").st_ino == disk_ino(t.path(1, "b")));
}

TEST_CASE("st_ino follows user.fuseoverlayfs.origin down the layers", "[fuse-overlay][attr]") {
    TempTree t(3, {{0, "b", Kind::file},
                   {0, "b", Kind::xattr, "user.fuseoverlayfs.origin=x/y"},
                   {1, "x/y", Kind::file},
                   {1, "x/y", Kind::xattr, std::string("user.fuseoverlayfs.origin=z\0", 28)},
                   {2, "z", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(3);
    CHECK(attr(*ov, "b").st_ino == disk_ino(t.path(2, "z")));
}

TEST_CASE("A dangling origin keeps the inode found so far", "[fuse-overlay][attr]") {
    TempTree t(2, {{0, "b", Kind::file}, {0, "b", Kind::xattr, "user.fuseoverlayfs.origin=nope"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(2);
    CHECK(attr(*ov, "b").st_ino == disk_ino(t.path(0, "b")));
}

TEST_CASE("fast_ino=1 skips the origin chain", "[fuse-overlay][attr]") {
    TempTree t(2, {{0, "b", Kind::file},
                   {0, "b", Kind::xattr, "user.fuseoverlayfs.origin=c"},
                   {1, "c", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(2, opts("fast_ino=1"));
    CHECK(attr(*ov, "b").st_ino == disk_ino(t.path(0, "b")));
}

TEST_CASE("A merged directory shows its topmost layer's inode", "[fuse-overlay][attr]") {
    TempTree t(2, {{0, "d", Kind::dir}, {1, "d", Kind::dir}});
    auto ov = t.overlay(2);
    CHECK(attr(*ov, "d").st_ino == disk_ino(t.path(0, "d")));
    CHECK(attr(*ov, "").st_ino == disk_ino(t.layer_path(0)));
}

TEST_CASE("Directory nlink is 2 + subdirectories of the merged view", "[fuse-overlay][attr]") {
    TempTree t(2, {{0, "a/s1", Kind::dir},
                   {1, "a/s2", Kind::dir},
                   {1, "a/s1", Kind::dir},
                   {1, "a/f", Kind::file},
                   {0, "a/.wh.s3", Kind::whiteout_file},
                   {1, "a/s3", Kind::dir}});
    auto ov = t.overlay(2);
    CHECK(attr(*ov, "a").st_nlink == 4);
    auto st = t.overlay(2, opts("static_nlink"));
    CHECK(attr(*st, "a").st_nlink == 1);
}

TEST_CASE("A directory of one layer keeps its nlink right through mkdir and rmdir",
          "[fuse-overlay][attr]") {
    // Its count comes from the layer (no walk of the children); a merged one is counted.
    TempTree t(2, {{0, "u/s1", Kind::dir}, {0, "u/f", Kind::file}, {1, "m/s1", Kind::dir}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t u = lookup_path(*ov, "u");
    REQUIRE(load_dir(*ov, *ov->table.get(u)));
    CHECK(attr(*ov, "u").st_nlink == 3);
    REQUIRE(do_mkdir(*ov, u, "s2", 0755, root_caller()));
    REQUIRE(do_mkdir(*ov, u, "s3", 0755, root_caller()));
    CHECK(attr(*ov, "u").st_nlink == 5);
    REQUIRE(do_rmdir(*ov, u, "s1"));
    CHECK(attr(*ov, "u").st_nlink == 4);
    fuse_ino_t m = lookup_path(*ov, "m"); // lower only, one layer; a mkdir copies it up
    CHECK(attr(*ov, "m").st_nlink == 3);
    REQUIRE(do_mkdir(*ov, m, "s2", 0755, root_caller()));
    CHECK(attr(*ov, "m").st_nlink == 4);
    REQUIRE(do_rmdir(*ov, m, "s1")); // whited out in upper: the merged count
    CHECK(attr(*ov, "m").st_nlink == 3);
}

TEST_CASE("A merged directory's nlink is counted once; mkdir and rmdir move it, rename recounts",
          "[fuse-overlay][attr]") {
    TempTree t(2, {{0, "m/s1", Kind::dir},
                   {1, "m/s2", Kind::dir},
                   {1, "m/f", Kind::file},
                   {0, "n/x", Kind::dir},
                   {1, "n/y", Kind::dir}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t m = lookup_path(*ov, "m");
    fuse_ino_t n = lookup_path(*ov, "n");
    CHECK(attr(*ov, "m").st_nlink == 4);
    // Behind the overlay's back (never done to a live mount): shows that the count is kept,
    // not listed again per getattr.
    REQUIRE(::mkdir(t.path(1, "m/behind").c_str(), 0755) == 0);
    CHECK(attr(*ov, "m").st_nlink == 4);
    REQUIRE(do_mkdir(*ov, m, "s3", 0755, root_caller()));
    CHECK(attr(*ov, "m").st_nlink == 5); // the kept count, one up (not listed again)
    REQUIRE(do_rmdir(*ov, m, "s2"));
    CHECK(attr(*ov, "m").st_nlink == 4);
    CHECK_FALSE(do_rmdir(*ov, m, "f"));  // a failed rmdir forgets: counted again
    CHECK(attr(*ov, "m").st_nlink == 5); // s1, s3 and the one made behind
    CHECK(attr(*ov, "n").st_nlink == 4);
    REQUIRE(do_rename(*ov, m, "s1", n, "s1", 0)); // forgets both
    CHECK(attr(*ov, "m").st_nlink == 4);
    CHECK(attr(*ov, "n").st_nlink == 5);
    REQUIRE(do_rename(*ov, n, "s1", m, "f", RENAME_EXCHANGE)); // a directory for a file
    CHECK(attr(*ov, "m").st_nlink == 5);
    CHECK(attr(*ov, "n").st_nlink == 4);
    REQUIRE(do_create(*ov, m, "g", 0644, O_WRONLY, root_caller())); // not a directory
    CHECK(attr(*ov, "m").st_nlink == 5);
}

TEST_CASE("Directory nlink from the listings alone equals the one from the loaded children",
          "[fuse-overlay][attr]") {
    // x: a file in the upper layer over a directory below (not a subdirectory); s3 whited out.
    TempTree t(3, {{0, "a/x", Kind::file},
                   {1, "a/x/in", Kind::dir},
                   {1, "a/s1", Kind::dir},
                   {2, "a/s2", Kind::dir},
                   {2, "a/s1", Kind::dir},
                   {0, "a/.wh.s3", Kind::whiteout_file},
                   {2, "a/s3", Kind::dir},
                   {2, "a/f", Kind::file}});
    auto ov = t.overlay(3);
    Result<fuse_entry_param> a = do_lookup(*ov, FUSE_ROOT_ID, "a");
    REQUIRE(a);
    CHECK(a->attr.st_nlink == 4);
    Node* dir = ov->table.get(a->ino);
    REQUIRE(dir != nullptr);
    CHECK_FALSE(dir->loaded); // counted without a lookup of every entry
    REQUIRE(load_dir(*ov, *dir));
    Result<struct stat> loaded = node_stat(*ov, *dir);
    REQUIRE(loaded);
    CHECK(loaded->st_nlink == 4);
}

TEST_CASE("uidmapping/gidmapping show on-disk ids mapped; unmapped ids overflow",
          "[fuse-overlay][attr][idmap]") {
    TempTree t(1, {{0, "f", Kind::file}});
    uid_t u = getuid();
    gid_t g = getgid();
    auto ov = t.overlay(1, opts("uidmapping=" + std::to_string(u) +
                                ":5000:1,gidmapping=:" + std::to_string(g) + ":6000:1"));
    struct stat st = attr(*ov, "f");
    CHECK(st.st_uid == 5000);
    CHECK(st.st_gid == 6000);
    auto other = t.overlay(1, opts("uidmapping=" + std::to_string(u + 1) + ":0:1"));
    CHECK(attr(*other, "f").st_uid == 65534);
}

TEST_CASE("squash_to_uid/gid take precedence over squash_to_root", "[fuse-overlay][attr]") {
    TempTree t(1, {{0, "f", Kind::file}});
    auto root = t.overlay(1, opts("squash_to_root"));
    CHECK(attr(*root, "f").st_uid == 0);
    CHECK(attr(*root, "f").st_gid == 0);
    auto both = t.overlay(1, opts("squash_to_root,squash_to_uid=7"));
    CHECK(attr(*both, "f").st_uid == 7);
    CHECK(attr(*both, "f").st_gid == 0);
    auto g = t.overlay(1, opts("squash_to_gid=9"));
    CHECK(attr(*g, "f").st_gid == 9);
    CHECK(attr(*g, "f").st_uid == getuid());
}

TEST_CASE("user.containers.override_stat on a layer root turns override mode on",
          "[fuse-overlay][attr][override]") {
    TempTree t(1, {{0, "f", Kind::file},
                   {0, "dev", Kind::file},
                   {0, "l", Kind::symlink, "f"},
                   {0, "", Kind::xattr, "user.containers.override_stat=0:0:0755:dir"},
                   {0, "f", Kind::xattr, "user.containers.override_stat=5:6:0600:file"},
                   {0, "dev", Kind::xattr, "user.containers.override_stat=0:0:0666:char-1-3"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    ov->layers[0].set_override_mode(OverrideMode::containers); // what open_overlay detects
    struct stat f = attr(*ov, "f");
    CHECK(f.st_uid == 5);
    CHECK(f.st_gid == 6);
    CHECK(f.st_mode == (S_IFREG | 0600));
    struct stat d = attr(*ov, "dev");
    CHECK(S_ISCHR(d.st_mode));
    CHECK(d.st_rdev == makedev(1, 3));
    CHECK(attr(*ov, "").st_mode == (S_IFDIR | 0755));
    CHECK(S_ISLNK(attr(*ov, "l").st_mode)); // only regular files and directories are overridden
}

TEST_CASE("A malformed override_stat is EINVAL for that file only",
          "[fuse-overlay][attr][override]") {
    TempTree t(1, {{0, "bad", Kind::file},
                   {0, "good", Kind::file},
                   {0, "bad", Kind::xattr, "user.fuseoverlayfs.override_stat=junk"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    ov->layers[0].set_override_mode(OverrideMode::user);
    CHECK(do_lookup(*ov, FUSE_ROOT_ID, "bad").error().value == EINVAL);
    CHECK(do_lookup(*ov, FUSE_ROOT_ID, "good"));
}

TEST_CASE("Mapping applies after the override", "[fuse-overlay][attr][override]") {
    TempTree t(1, {{0, "f", Kind::file},
                   {0, "f", Kind::xattr, "user.fuseoverlayfs.override_stat=0:0:100644"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1, opts("uidmapping=0:1000:1,gidmapping=0:1000:1"));
    ov->layers[0].set_override_mode(OverrideMode::user);
    CHECK(attr(*ov, "f").st_uid == 1000);
    CHECK(attr(*ov, "f").st_mode == (S_IFREG | 0644));
}
