// SPDX-License-Identifier: Apache-2.0
// file_test.cc — open/read/readlink/statfs/xattrs of the merged view, EROFS for writes
#include "temp_tree.h"

#include "fuse-overlay/cli.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

TEST_CASE("Reading goes to the topmost object", "[fuse-overlay][file]") {
    TempTree t(2, {{0, "d/a", Kind::file, "hello"}, {1, "d/a", Kind::file, "nope"}});
    auto ov = t.overlay(2);
    fuse_ino_t a = lookup_path(*ov, "d/a");
    Result<common::UniqueFd> fd = do_open(*ov, a, O_RDONLY);
    REQUIRE(fd);
    char buf[8] = {};
    Result<size_t> n = do_read(fd->get(), buf, 3, 1);
    REQUIRE(n);
    CHECK(std::string(buf, *n) == "ell");
    CHECK(*do_read(fd->get(), buf, sizeof buf, 4) == 1);
    CHECK(*do_read(fd->get(), buf, sizeof buf, 100) == 0);
    CHECK(do_read(-1, buf, 1, 0).error().value == EBADF);
    fuse_bufvec b = fd_bufvec(fd->get(), 3, 1);
    CHECK(b.count == 1);
    CHECK(b.buf[0].fd == fd->get());
    CHECK(b.buf[0].pos == 1);
    CHECK(b.buf[0].size == 3);
    CHECK((b.buf[0].flags & FUSE_BUF_FD_SEEK) != 0);
    CHECK(splice_pays_off() == splice_pays_off()); // decided once per thread
    CHECK(read_all(*ov, a) == "hello");
}

TEST_CASE("Opening for writing is EROFS without the write side", "[fuse-overlay][file]") {
    TempTree t(1, {{0, "a", Kind::file, "x"}});
    auto ov = t.overlay(1);
    fuse_ino_t a = lookup_path(*ov, "a");
    CHECK(do_open(*ov, a, O_WRONLY).error().value == EROFS);
    CHECK(do_open(*ov, a, O_RDWR).error().value == EROFS);
    CHECK(do_open(*ov, a, O_RDONLY | O_TRUNC).error().value == EROFS);
    CHECK(do_open(*ov, a, O_RDONLY | O_DIRECT));
}

TEST_CASE("readlink returns the topmost link's target", "[fuse-overlay][file]") {
    TempTree t(2, {{0, "l", Kind::symlink, "../target"}, {1, "l", Kind::file, "x"}});
    auto ov = t.overlay(2);
    CHECK(*do_readlink(*ov, lookup_path(*ov, "l")) == "../target");
    CHECK(do_readlink(*ov, FUSE_ROOT_ID).error().value == EINVAL);
}

TEST_CASE("statfs reports namemax minus 4", "[fuse-overlay][statfs]") {
    TempTree t(1, {});
    auto ov = t.overlay(1);
    struct statvfs real {};
    REQUIRE(statvfs(t.layer_path(0).c_str(), &real) == 0);
    Result<struct statvfs> sv = do_statfs(*ov);
    REQUIRE(sv);
    CHECK(sv->f_namemax == real.f_namemax - 4);
    CHECK(sv->f_bsize == real.f_bsize);
}

TEST_CASE("The overlay's own xattrs are hidden from get and list", "[fuse-overlay][xattr]") {
    TempTree t(1, {{0, "f", Kind::file},
                   {0, "f", Kind::xattr, "user.foo=bar"},
                   {0, "f", Kind::xattr, "user.fuseoverlayfs.origin=f"},
                   {0, "f", Kind::xattr, "user.overlay.opaque=y"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    fuse_ino_t f = lookup_path(*ov, "f");
    CHECK(*do_getxattr(*ov, f, "user.foo") == "bar");
    CHECK(do_getxattr(*ov, f, "user.fuseoverlayfs.origin").error().value == ENODATA);
    CHECK(do_getxattr(*ov, f, "user.overlay.opaque").error().value == ENODATA);
    CHECK(do_getxattr(*ov, f, "user.absent").error().value == ENODATA);
    CHECK(*do_listxattr(*ov, f) == std::string("user.foo\0", 9));
}

TEST_CASE("noxattrs=1 answers ENOSYS", "[fuse-overlay][xattr]") {
    TempTree t(1, {{0, "f", Kind::file}});
    auto ov = t.overlay(1, parse_cli({"-o", "lowerdir=/x,noxattrs=1", "/m"}, false));
    fuse_ino_t f = lookup_path(*ov, "f");
    CHECK(do_getxattr(*ov, f, "user.foo").error().value == ENOSYS);
    CHECK(do_listxattr(*ov, f).error().value == ENOSYS);
}

// A file with no xattr ("plain") and one with user.k=v ("tagged"), looked up.
struct PlainAndTagged {
    TempTree tree{1,
                  {{0, "plain", Kind::file},
                   {0, "tagged", Kind::file},
                   {0, "tagged", Kind::xattr, "user.k=v"}}};
    std::unique_ptr<Overlay> ov = tree.ok() ? tree.overlay(1) : nullptr;
    fuse_ino_t plain = ov ? lookup_path(*ov, "plain") : 0;
    fuse_ino_t tagged = ov ? lookup_path(*ov, "tagged") : 0;
};

TEST_CASE("A file without xattrs is remembered as such", "[fuse-overlay][xattr]") {
    PlainAndTagged t;
    if (!t.tree.ok())
        SKIP_CASE(t.tree.why());
    auto& ov = t.ov;
    fuse_ino_t p = t.plain, g = t.tagged;
    CHECK(do_getxattr(*ov, p, "security.selinux").error().value == ENODATA);
    CHECK(ov->table.get(p)->xattrs == Node::Xattrs::none);
    CHECK(do_listxattr(*ov, p)->empty());
    CHECK(*do_getxattr(*ov, g, "user.k") == "v");
    CHECK(ov->table.get(g)->xattrs == Node::Xattrs::some);
}

TEST_CASE("Without SELinux a missing security.selinux is EOPNOTSUPP", "[fuse-overlay][xattr]") {
    PlainAndTagged t;
    if (!t.tree.ok())
        SKIP_CASE(t.tree.why());
    auto& ov = t.ov;
    fuse_ino_t p = t.plain, g = t.tagged;
    ov->selinux_unsupported = true;
    // Known to carry nothing (no syscall), and asked of the layer: both say "unsupported", so
    // `ls -l` stops asking for every entry; other names still say ENODATA.
    CHECK(do_getxattr(*ov, p, "security.selinux").error().value == EOPNOTSUPP);
    CHECK(do_getxattr(*ov, g, "security.selinux").error().value == EOPNOTSUPP);
    CHECK(do_getxattr(*ov, g, "user.absent").error().value == ENODATA);
    CHECK(do_getxattr(*ov, p, "security.capability").error().value == ENODATA);
    ov->selinux_unsupported = false;
    CHECK(do_getxattr(*ov, g, "security.selinux").error().value == ENODATA);
}

TEST_CASE("The first xattr ask in a directory learns its looked-up siblings too",
          "[fuse-overlay][xattr]") {
    TempTree t(2, {{0, "d/a", Kind::file},
                   {1, "d/b", Kind::file},
                   {1, "d/b", Kind::xattr, "user.k=v"},
                   {1, "d/c", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(2);
    fuse_ino_t a = lookup_path(*ov, "d/a");
    fuse_ino_t b = lookup_path(*ov, "d/b");
    fuse_ino_t c = lookup_path(*ov, "d/c");
    CHECK(do_getxattr(*ov, a, "system.posix_acl_access").error().value == ENODATA);
    CHECK(ov->table.get(a)->xattrs == Node::Xattrs::none);
    CHECK(ov->table.get(b)->xattrs == Node::Xattrs::some); // in another layer: still learned
    CHECK(ov->table.get(c)->xattrs == Node::Xattrs::none);
    CHECK(*do_getxattr(*ov, b, "user.k") == "v");
}

TEST_CASE("The sibling walk learns the entries after the asked one, up to one already known",
          "[fuse-overlay][xattr]") {
    // `ls -l` asks in listing order; a create asks for one new entry among known ones. Walking
    // the whole directory on every ask made n creates in one directory cost n * n visits.
    TempTree t(1, {{0, "d/a", Kind::file},
                   {0, "d/b", Kind::file},
                   {0, "d/c", Kind::file},
                   {0, "d/d", Kind::file},
                   {0, "d/e", Kind::file}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(1);
    std::vector<fuse_ino_t> ino;
    for (const char* n : {"d/a", "d/b", "d/c", "d/d", "d/e"})
        ino.push_back(lookup_path(*ov, n));
    auto state = [&](size_t i) { return ov->table.get(ino[i])->xattrs; };
    CHECK(do_getxattr(*ov, ino[2], "security.capability").error().value == ENODATA);
    CHECK(state(0) == Node::Xattrs::unknown); // before the asked one: not visited
    CHECK(state(1) == Node::Xattrs::unknown);
    CHECK(state(2) == Node::Xattrs::none);
    CHECK(state(3) == Node::Xattrs::none);
    CHECK(state(4) == Node::Xattrs::none);
    ov->table.get(ino[4])->xattrs = Node::Xattrs::unknown; // past the stop: must stay unvisited
    CHECK(do_getxattr(*ov, ino[0], "security.capability").error().value == ENODATA);
    CHECK(state(0) == Node::Xattrs::none);
    CHECK(state(1) == Node::Xattrs::none);
    CHECK(state(4) == Node::Xattrs::unknown); // the walk stopped at c, learned earlier
}
