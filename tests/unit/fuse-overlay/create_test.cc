// SPDX-License-Identifier: Apache-2.0
// create_test.cc — create, mkdir, mknod, symlink and link: made in upper over any whiteout, opaque
// where a lower directory must stay hidden, owned by the caller mapped back to disk ids
#include "names_helpers.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

namespace {

struct stat disk_stat(const TempTree& t, const std::string& rel) {
    struct stat st {};
    REQUIRE(::lstat(t.path(0, rel).c_str(), &st) == 0);
    return st;
}

struct ZeroUmask { // the daemon runs with umask 0; modes arrive with the caller's umask applied
    mode_t old = ::umask(0);
    ~ZeroUmask() { ::umask(old); }
};

} // namespace

TEST_CASE("create makes the file in upper, opens it and honours the mode",
          "[fuse-overlay][create]") {
    ZeroUmask z;
    TempTree t(2, {{1, "d/low", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t d = lookup_path(*ov, "d");
    Result<Created> c = do_create(*ov, d, "new", 0640, O_WRONLY, root_caller());
    REQUIRE(c);
    CHECK(::write(c->fd.get(), "hi", 2) == 2);
    CHECK(c->entry.ino != 0);
    CHECK((c->entry.attr.st_mode & 07777) == 0640);
    CHECK(S_ISREG(c->entry.attr.st_mode));
    CHECK((disk_stat(t, "d/new").st_mode & 07777) == 0640);
    CHECK(lookup_path(*ov, "d/new") == c->entry.ino);
    CHECK(read_all(*ov, c->entry.ino) == "hi");
    CHECK(list(*ov, d) == std::vector<std::string>{"low", "new"});
}

TEST_CASE("create refuses visible names, .wh.* names and a read-only overlay",
          "[fuse-overlay][create]") {
    TempTree t(2, {{1, "f", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    CHECK(do_create(*ov, FUSE_ROOT_ID, "f", 0644, O_RDWR, root_caller()).error().value == EEXIST);
    CHECK(do_create(*ov, FUSE_ROOT_ID, ".wh.f", 0644, O_RDWR, root_caller()).error().value ==
          EINVAL);
    CHECK(do_mkdir(*ov, FUSE_ROOT_ID, ".wh.d", 0755, root_caller()).error().value == EINVAL);
    auto ro = t.overlay(2);
    CHECK(do_mkdir(*ro, FUSE_ROOT_ID, "x", 0755, root_caller()).error().value == EROFS);
}

TEST_CASE("Creating over a whiteout removes it, in both forms", "[fuse-overlay][create]") {
    TempTree t(2, {{0, ".wh.a", Kind::whiteout_file},
                   {1, "a", Kind::file, "low"},
                   {0, "b", Kind::whiteout_dev},
                   {1, "b", Kind::file, "low"}});
    auto ov = t.overlay(2, {}, true);
    REQUIRE(do_create(*ov, FUSE_ROOT_ID, "a", 0644, O_RDWR, root_caller()));
    REQUIRE(do_symlink(*ov, "target", FUSE_ROOT_ID, "b", root_caller()));
    CHECK(kind_at(t, 0, ".wh.a") == "absent");
    CHECK(read_all(*ov, lookup_path(*ov, "a")).empty());
    CHECK(kind_at(t, 0, "b") == "symlink");
    CHECK(*do_readlink(*ov, lookup_path(*ov, "b")) == "target");
}

TEST_CASE("mkdir over a deleted lower directory is opaque; a fresh mkdir is not",
          "[fuse-overlay][create][opaque]") {
    TempTree t(2, {{1, "d/old", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t d = lookup_path(*ov, "d");
    REQUIRE(do_unlink(*ov, d, "old"));
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "d"));
    Result<fuse_entry_param> e = do_mkdir(*ov, FUSE_ROOT_ID, "d", 0755, root_caller());
    REQUIRE(e);
    CHECK(list(*ov, e->ino).empty());
    CHECK(kernel_opaque(t, "d"));
    CHECK(is_opaque_dir(ov->layers[0], "d"));
    REQUIRE(do_mkdir(*ov, FUSE_ROOT_ID, "fresh", 0755, root_caller()));
    CHECK_FALSE(is_opaque_dir(ov->layers[0], "fresh"));
    auto again = t.overlay(2, {}, true);
    CHECK(list(*again, lookup_path(*again, "d")).empty());
}

TEST_CASE("mknod makes fifos; a 0/0 char device is refused", "[fuse-overlay][create]") {
    TempTree t(1, {});
    auto ov = t.overlay(1, {}, true);
    Result<fuse_entry_param> e = do_mknod(*ov, FUSE_ROOT_ID, "p", S_IFIFO | 0600, 0, root_caller());
    REQUIRE(e);
    CHECK(S_ISFIFO(e->attr.st_mode));
    CHECK(kind_at(t, 0, "p") == "fifo");
    CHECK(do_mknod(*ov, FUSE_ROOT_ID, "w", S_IFCHR | 0600, 0, root_caller()).error().value ==
          EPERM);
}

TEST_CASE("New objects belong to the caller mapped back to disk ids", "[fuse-overlay][create]") {
    if (::geteuid() != 0)
        SKIP_CASE("chown to other ids needs CAP_CHOWN: runs when the suite runs as root");
    OverlayOptions o;
    o.uid_map = *parse_idmap("0:1:1:1:0:1");
    o.gid_map = *parse_idmap("0:1:1:1:0:1");
    TempTree t(1, {});
    auto ov = t.overlay(1, o, true);
    Result<fuse_entry_param> e = do_mkdir(*ov, FUSE_ROOT_ID, "d", 0755, Caller{0, 0});
    REQUIRE(e);
    CHECK(disk_stat(t, "d").st_uid == 1);
    CHECK(disk_stat(t, "d").st_gid == 1);
    CHECK(e->attr.st_uid == 0); // shown through the map again
    REQUIRE(do_symlink(*ov, "x", FUSE_ROOT_ID, "l", Caller{1, 1}));
    CHECK(disk_stat(t, "l").st_uid == 0);
    REQUIRE(do_create(*ov, FUSE_ROOT_ID, "f", 0644, O_RDWR, Caller{5, 6}));
    CHECK(disk_stat(t, "f").st_uid == 65534); // unmapped: the overflow id
}

TEST_CASE("With a stat-override upper the owner and mode go to the xattr",
          "[fuse-overlay][create]") {
    ZeroUmask z;
    TempTree t(1, {});
    auto ov = t.overlay(1, {}, true);
    ov->layers[0].set_override_mode(OverrideMode::user);
    REQUIRE(do_mkdir(*ov, FUSE_ROOT_ID, "d", 0700, Caller{5, 6}));
    CHECK(xattr_at(t, 0, "d", "user.fuseoverlayfs.override_stat") == "5:6:700");
    CHECK((disk_stat(t, "d").st_mode & 0777) == 0755);
    Result<fuse_entry_param> e = do_lookup(*ov, FUSE_ROOT_ID, "d");
    CHECK((e->attr.st_mode & 0777) == 0700);
    CHECK(e->attr.st_uid == 5);
}

TEST_CASE("link copies a lower file up and the new name shares its node",
          "[fuse-overlay][create][link]") {
    TempTree t(2, {{1, "a", Kind::file, "data"}, {1, "d/x", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    fuse_ino_t d = lookup_path(*ov, "d");
    Result<fuse_entry_param> e = do_link(*ov, a, d, "a2");
    REQUIRE(e);
    CHECK(e->ino == a);
    CHECK(e->attr.st_nlink == 2);
    CHECK(disk_stat(t, "a").st_ino == disk_stat(t, "d/a2").st_ino);
    fuse_ino_t a2 = lookup_path(*ov, "d/a2");
    REQUIRE(a2 != 0);
    CHECK(do_getattr(*ov, a2)->st_ino == do_getattr(*ov, a)->st_ino);
    CHECK(list(*ov, d) == std::vector<std::string>{"a2", "x"});
    CHECK(do_link(*ov, a, d, "x").error().value == EEXIST);
    CHECK(do_link(*ov, d, FUSE_ROOT_ID, "dl").error().value == EPERM);
    // the first name goes; the shared node is served from the link
    REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "a"));
    CHECK(read_all(*ov, a) == "data");
    CHECK(do_getattr(*ov, a)->st_nlink == 1);
}

TEST_CASE("In a directory of the upper layer alone a name is made at once; a whiteout left at "
          "it is replaced, an object made behind the overlay is kept",
          "[fuse-overlay][create]") {
    TempTree t(2, {{0, "u/.wh.a", Kind::whiteout_file},
                   {0, "u/b", Kind::whiteout_dev},
                   {0, "u/keep", Kind::file},
                   {1, "other", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t u = lookup_path(*ov, "u");
    CHECK(list(*ov, u) == std::vector<std::string>{"keep"}); // loaded: the listing is complete
    REQUIRE(do_create(*ov, u, "a", 0644, O_RDWR, root_caller()));
    REQUIRE(do_symlink(*ov, "target", u, "b", root_caller())); // EEXIST first: the whiteout
    CHECK(kind_at(t, 0, "u/b") == "symlink");
    CHECK(*do_readlink(*ov, lookup_path(*ov, "u/b")) == "target");
    // Made on disk after the listing: the overlay does not know it, and must not remove it.
    std::ofstream(t.path(0, "u/g")) << "mine";
    CHECK(do_create(*ov, u, "g", 0644, O_RDWR, root_caller()).error().value == EEXIST);
    CHECK(kind_at(t, 0, "u/g") == "file");
    std::ifstream in(t.path(0, "u/g"));
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(kept == "mine");
    CHECK(list(*ov, u) == std::vector<std::string>{"a", "b", "keep"});
}
