// SPDX-License-Identifier: Apache-2.0
// setattr_test.cc — setattr, open for write, xattr writes and fsync through do_X on layer trees
#include "temp_tree.h"

#include "fuse-overlay/copyup.h"
#include "fuse-overlay/idmap.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace ovl;
using namespace ovl::test;

namespace {

struct stat attr_with(mode_t mode, uid_t uid = 0, gid_t gid = 0, off_t size = 0) {
    struct stat a {};
    a.st_mode = mode;
    a.st_uid = uid;
    a.st_gid = gid;
    a.st_size = size;
    return a;
}

} // namespace

TEST_CASE("chmod copies a lower file up and changes only the upper copy",
          "[fuse-overlay][setattr]") {
    TempTree t(2, {{1, "f", Kind::file, "data"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    Result<struct stat> st = do_setattr(*ov, f, attr_with(0600), FUSE_SET_ATTR_MODE, nullptr);
    REQUIRE(st);
    CHECK((st->st_mode & 07777) == 0600);
    struct stat low {};
    REQUIRE(lstat(t.path(1, "f").c_str(), &low) == 0);
    CHECK((low.st_mode & 07777) == 0644);
    CHECK(slurp(t.path(0, "f")) == "data");
}

TEST_CASE("truncate and utimes work on the upper copy", "[fuse-overlay][setattr]") {
    TempTree t(2, {{1, "f", Kind::file, "0123456789"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    REQUIRE(do_setattr(*ov, f, attr_with(0, 0, 0, 4), FUSE_SET_ATTR_SIZE, nullptr));
    CHECK(slurp(t.path(0, "f")) == "0123");
    CHECK(slurp(t.path(1, "f")) == "0123456789");
    struct stat a {};
    a.st_mtim = {12345, 0};
    a.st_atim = {54321, 0};
    Result<struct stat> st =
        do_setattr(*ov, f, a, FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME, nullptr);
    REQUIRE(st);
    CHECK(st->st_mtim.tv_sec == 12345);
    CHECK(st->st_atim.tv_sec == 54321);
}

TEST_CASE("setattr with a write fd uses it", "[fuse-overlay][setattr]") {
    TempTree t(2, {{1, "f", Kind::file, "abcdef"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    Result<common::UniqueFd> fd = do_open(*ov, f, O_RDWR);
    REQUIRE(fd);
    fuse_file_info fi{};
    fi.fh = static_cast<uint64_t>(fd->get());
    REQUIRE(do_setattr(*ov, f, attr_with(0, 0, 0, 2), FUSE_SET_ATTR_SIZE, &fi));
    CHECK(slurp(t.path(0, "f")) == "ab");
}

TEST_CASE("chown maps ids back to disk ids", "[fuse-overlay][setattr][mapping]") {
    if (geteuid() != 0)
        SKIP_CASE("chown to other ids needs CAP_CHOWN: runs when the suite runs as root");
    TempTree t(2, {{1, "f", Kind::file, "x"}});
    OverlayOptions o;
    o.uid_map = *parse_idmap("0:100:10");
    o.gid_map = *parse_idmap("0:200:10");
    auto ov = t.overlay(2, o, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    Result<struct stat> st =
        do_setattr(*ov, f, attr_with(0, 103, 205), FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID, nullptr);
    REQUIRE(st);
    CHECK(st->st_uid == 103);
    CHECK(st->st_gid == 205);
    struct stat disk {};
    REQUIRE(lstat(t.path(0, "f").c_str(), &disk) == 0);
    CHECK(disk.st_uid == 3);
    CHECK(disk.st_gid == 5);
}

TEST_CASE("chmod under metacopy=on leaves a metacopy; truncate copies the data",
          "[fuse-overlay][setattr][metacopy]") {
    TempTree t(2, {{1, "f", Kind::file, "0123456789"}});
    OverlayOptions o;
    o.metacopy = true;
    auto ov = t.overlay(2, o, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    REQUIRE(do_setattr(*ov, f, attr_with(0604), FUSE_SET_ATTR_MODE, nullptr));
    Node* n = ov->table.get(f);
    CHECK(is_metacopy(*ov, *n));
    CHECK(read_all(*ov, f) == "0123456789");
    CHECK((do_getattr(*ov, f)->st_mode & 07777) == 0604);
    REQUIRE(do_setattr(*ov, f, attr_with(0, 0, 0, 3), FUSE_SET_ATTR_SIZE, nullptr));
    CHECK_FALSE(is_metacopy(*ov, *n));
    CHECK(slurp(t.path(0, "f")) == "012");
    struct stat st {};
    REQUIRE(lstat(t.path(0, "f").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0604);
}

TEST_CASE("Opening for write copies up; O_TRUNC copies no data", "[fuse-overlay][write]") {
    TempTree t(2, {{1, "a", Kind::file, "old"}, {1, "b", Kind::file, "keep"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    Result<common::UniqueFd> fd = do_open(*ov, a, O_WRONLY | O_TRUNC);
    REQUIRE(fd);
    REQUIRE(pwrite(fd->get(), "new!", 4, 0) == 4);
    CHECK(slurp(t.path(0, "a")) == "new!");
    CHECK(slurp(t.path(1, "a")) == "old");
    fuse_ino_t b = lookup_path(*ov, "b");
    Result<common::UniqueFd> fb = do_open(*ov, b, O_RDWR);
    REQUIRE(fb);
    fuse_bufvec bv = fd_bufvec(fb->get(), 2, 4);
    CHECK(bv.buf[0].pos == 4);
    REQUIRE(pwrite(fb->get(), "++", 2, 4) == 2);
    CHECK(read_all(*ov, b) == "keep++");
    CHECK(do_fsync(*ov, fb->get(), false));
    CHECK(do_fsyncdir(*ov, FUSE_ROOT_ID, false));
}

TEST_CASE("An open of an unlinked upper file keeps working", "[fuse-overlay][write]") {
    TempTree t(2, {{1, "a", Kind::file, "x"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    Result<common::UniqueFd> fd = do_open(*ov, a, O_RDWR);
    REQUIRE(fd);
    REQUIRE(unlink(t.path(0, "a").c_str()) == 0);
    CHECK(pwrite(fd->get(), "yz", 2, 1) == 2);
    char buf[3];
    CHECK(pread(fd->get(), buf, 3, 0) == 3);
}

TEST_CASE("fsync=0 makes fsync a no-op even on a bad fd", "[fuse-overlay][write]") {
    TempTree t(1, {});
    OverlayOptions o;
    o.fsync = false;
    auto ov = t.overlay(1, o, true);
    CHECK(do_fsync(*ov, -1, false));
    OverlayOptions o2;
    auto ov2 = t.overlay(1, o2, true);
    CHECK(do_fsync(*ov2, -1, true).error().value == EBADF);
}

TEST_CASE("Without an upper layer writes are EROFS", "[fuse-overlay][write]") {
    TempTree t(1, {{0, "a", Kind::file, "x"}});
    auto ov = t.overlay(1);
    fuse_ino_t a = lookup_path(*ov, "a");
    CHECK(do_setattr(*ov, a, attr_with(0600), FUSE_SET_ATTR_MODE, nullptr).error().value == EROFS);
    CHECK(do_setxattr(*ov, a, "user.x", "1", 0).error().value == EROFS);
    CHECK(do_open(*ov, a, O_RDWR).error().value == EROFS);
}

TEST_CASE("setxattr passes user names through and refuses the overlay's own",
          "[fuse-overlay][xattr]") {
    TempTree t(2, {{1, "f", Kind::file, "x"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    CHECK(do_setxattr(*ov, f, "user.fuseoverlayfs.evil", "1", 0).error().value == EPERM);
    CHECK(do_setxattr(*ov, f, "user.overlay.opaque", "y", 0).error().value == EPERM);
    CHECK(do_setxattr(*ov, f, "trusted.overlay.opaque", "y", 0).error().value == EPERM);
    CHECK(do_removexattr(*ov, f, "user.overlay.origin").error().value == EPERM);
    REQUIRE(do_setxattr(*ov, f, "user.foo", "bar", 0));
    CHECK(*do_getxattr(*ov, f, "user.foo") == "bar");
    char buf[8];
    CHECK(lgetxattr(t.path(0, "f").c_str(), "user.foo", buf, sizeof buf) == 3);
    CHECK(lgetxattr(t.path(1, "f").c_str(), "user.foo", buf, sizeof buf) < 0);
    REQUIRE(do_removexattr(*ov, f, "user.foo"));
    CHECK(do_getxattr(*ov, f, "user.foo").error().value == ENODATA);
    OverlayOptions o;
    o.noxattrs = true;
    auto ov2 = t.overlay(2, o, true);
    CHECK(do_setxattr(*ov2, lookup_path(*ov2, "f"), "user.a", "1", 0).error().value == ENOSYS);
}

TEST_CASE("chmod and utimes of the mount root change the upper root", "[fuse-overlay][setattr]") {
    TempTree t(2, {{1, "f", Kind::file, "x"}});
    auto ov = t.overlay(2, {}, true);
    struct stat a = attr_with(0711);
    a.st_mtim = {4242, 0};
    Result<struct stat> st =
        do_setattr(*ov, FUSE_ROOT_ID, a, FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_MTIME, nullptr);
    REQUIRE(st);
    CHECK((st->st_mode & 07777) == 0711);
    struct stat up {};
    REQUIRE(lstat(t.layer_path(0).c_str(), &up) == 0);
    CHECK((up.st_mode & 07777) == 0711);
    CHECK(up.st_mtim.tv_sec == 4242);
    if (geteuid() == 0) {
        REQUIRE(do_setattr(*ov, FUSE_ROOT_ID, attr_with(0, 7, 8),
                           FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID, nullptr));
        REQUIRE(lstat(t.layer_path(0).c_str(), &up) == 0);
        CHECK(up.st_uid == 7);
    }
}
