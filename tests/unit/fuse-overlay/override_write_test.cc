// SPDX-License-Identifier: Apache-2.0
// override_write_test.cc — what stat-override mode writes: the upper root's xattr at mount
// (xattr_permissions=N), devices/fifos/sockets stored as regular files typed by the xattr; and
// the st_blocks a metacopy stub shows
#include "names_helpers.h"

#include "common/error.h"
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/session.h"
#include "fuse-overlay/xattr.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/sysmacros.h>

using namespace ovl;
using namespace ovl::test;

namespace {

constexpr const char* containers = "user.containers.override_stat";
constexpr const char* fuseovl = "user.fuseoverlayfs.override_stat";
constexpr const char* privileged = "security.fuseoverlayfs.override_stat";

// open_overlay over the tree: layer 0 upper, 1..n-1 lowers, workdir <tree>/W.
std::unique_ptr<Overlay> mount_tree(const TempTree& t, unsigned n, int xattr_permissions) {
    OverlayOptions o;
    o.upperdir = t.layer_path(0);
    o.workdir = std::filesystem::path(t.work_path()).parent_path();
    for (unsigned i = 1; i < n; ++i)
        o.lowerdirs.push_back(t.layer_path(i));
    o.xattr_permissions = xattr_permissions;
    return open_overlay(std::move(o));
}

struct stat disk_stat(const TempTree& t, const std::string& rel) {
    struct stat st {};
    REQUIRE(::lstat(t.path(0, rel).c_str(), &st) == 0);
    return st;
}

struct ZeroUmask {
    mode_t old = ::umask(0);
    ~ZeroUmask() { ::umask(old); }
};

} // namespace

TEST_CASE("xattr_permissions=2 on a bare upper root writes 0:0:555 to the containers name",
          "[fuse-overlay][override][setup]") {
    TempTree t(2, {{1, "f", Kind::file}});
    auto ov = mount_tree(t, 2, 2);
    CHECK(xattr_at(t, 0, "", containers) == "0:0:555");
    CHECK(xattr_at(t, 0, "", fuseovl).empty());
    CHECK(ov->layers[0].override_mode() == OverrideMode::containers);
    Result<struct stat> root = do_getattr(*ov, FUSE_ROOT_ID);
    REQUIRE(root);
    CHECK(S_ISDIR(root->st_mode));
    CHECK((root->st_mode & 07777) == 0555);
    CHECK(root->st_uid == 0);
    CHECK(root->st_gid == 0);
    // A second mount finds it and writes nothing new.
    REQUIRE(::lsetxattr(t.layer_path(0).c_str(), containers, "1:2:700", 7, 0) == 0);
    auto again = mount_tree(t, 2, 2);
    CHECK(xattr_at(t, 0, "", containers) == "1:2:700");
}

TEST_CASE("The upper root takes the first lower root's value; N=2 also reads the old name",
          "[fuse-overlay][override][setup]") {
    SECTION("the containers name of the first lower that has one") {
        TempTree t(3, {{1, "", Kind::xattr, std::string(containers) + "=3:4:751"},
                       {2, "", Kind::xattr, std::string(containers) + "=9:9:700"}});
        auto ov = mount_tree(t, 3, 2);
        CHECK(xattr_at(t, 0, "", containers) == "3:4:751");
    }
    SECTION("user.fuseoverlayfs.override_stat of a lower is copied to the containers name") {
        TempTree t(3, {{2, "", Kind::xattr, std::string(fuseovl) + "=5:6:711"}});
        auto ov = mount_tree(t, 3, 2);
        CHECK(xattr_at(t, 0, "", containers) == "5:6:711");
        CHECK(xattr_at(t, 0, "", fuseovl).empty());
        CHECK(ov->layers[0].override_mode() == OverrideMode::containers);
    }
    SECTION("a value longer than upstream's 64-byte buffer does not count") {
        std::string big = "0:0:755:" + std::string(70, 'x');
        TempTree t(3, {{1, "", Kind::xattr, std::string(containers) + "=" + big},
                       {2, "", Kind::xattr, std::string(containers) + "=7:7:755"}});
        auto ov = mount_tree(t, 3, 2);
        CHECK(xattr_at(t, 0, "", containers) == "7:7:755");
    }
}

TEST_CASE("An upper root with the old user.fuseoverlayfs name keeps it under N=2",
          "[fuse-overlay][override][setup]") {
    TempTree t(2, {{0, "", Kind::xattr, std::string(fuseovl) + "=0:0:40755"}});
    auto ov = mount_tree(t, 2, 2);
    CHECK(ov->layers[0].override_mode() == OverrideMode::user);
    CHECK(xattr_at(t, 0, "", containers).empty());
    CHECK(xattr_at(t, 0, "", fuseovl) == "0:0:40755");
    // Without the option the layer is detected from its root, and nothing is written.
    TempTree plain(2, {});
    auto off = mount_tree(plain, 2, 0);
    CHECK(off->layers[0].override_mode() == OverrideMode::none);
    CHECK(xattr_at(plain, 0, "", containers).empty());
}

TEST_CASE("xattr_permissions=1 uses the security name, and fails the mount where refused",
          "[fuse-overlay][override][setup]") {
    TempTree t(2, {});
    try {
        auto ov = mount_tree(t, 2, 1);
        // Privileged enough (security.* is allowed to us): the standard value is written.
        CHECK(ov->layers[0].override_mode() == OverrideMode::privileged);
        CHECK(xattr_at(t, 0, "", privileged) == "0:0:555");
    } catch (const common::SysError& e) {
        CHECK(e.err() == EPERM);
        CHECK(e.message() == "write xattr `security.fuseoverlayfs.override_stat` to upperdir");
        CHECK_FALSE(std::filesystem::exists(t.work_path())); // the workdir is left alone
    }
}

TEST_CASE("In override mode mknod stores devices, fifos and sockets as regular files",
          "[fuse-overlay][override][create]") {
    ZeroUmask z;
    TempTree t(2, {{1, "d/x", Kind::file}});
    auto ov = mount_tree(t, 2, 2);
    fuse_ino_t d = lookup_path(*ov, "d");
    struct Case {
        const char* name;
        mode_t mode;
        dev_t rdev;
        const char* value;
    };
    const Case cases[] = {{"null", S_IFCHR | 0666, makedev(1, 3), "5:6:666:char-1-3"},
                          {"sda", S_IFBLK | 0660, makedev(8, 1), "5:6:660:block-8-1"},
                          {"fifo", S_IFIFO | 0640, 0, "5:6:640:pipe"},
                          {"sock", S_IFSOCK | 0755, 0, "5:6:755:socket"}};
    for (const Case& k : cases) {
        INFO(k.name);
        Result<fuse_entry_param> e = do_mknod(*ov, d, k.name, k.mode, k.rdev, Caller{5, 6});
        REQUIRE(e);
        std::string rel = std::string("d/") + k.name;
        CHECK(kind_at(t, 0, rel) == "file");
        CHECK((disk_stat(t, rel).st_mode & 0755) == 0755); // the daemon can always reach it
        CHECK(xattr_at(t, 0, rel, containers) == k.value);
        CHECK((e->attr.st_mode & S_IFMT) == (k.mode & S_IFMT));
        CHECK((e->attr.st_mode & 07777) == (k.mode & 07777));
        CHECK(e->attr.st_rdev == k.rdev);
        CHECK(e->attr.st_uid == 5);
        CHECK(e->attr.st_gid == 6);
    }
    // A fresh mount reads them back the same way.
    auto again = mount_tree(t, 2, 2);
    Result<struct stat> st = do_getattr(*again, lookup_path(*again, "d/null"));
    REQUIRE(st);
    CHECK(S_ISCHR(st->st_mode));
    CHECK(st->st_rdev == makedev(1, 3));
    // A regular file made by mknod stays an ordinary override file.
    REQUIRE(do_mknod(*ov, d, "reg", S_IFREG | 0600, 0, Caller{5, 6}));
    CHECK(xattr_at(t, 0, "d/reg", containers) == "5:6:600");
}

TEST_CASE("Without override mode mknod of a fifo makes a real fifo", "[fuse-overlay][create]") {
    TempTree t(1, {});
    auto ov = t.overlay(1, {}, true);
    REQUIRE(do_mknod(*ov, FUSE_ROOT_ID, "p", S_IFIFO | 0600, 0, root_caller()));
    CHECK(kind_at(t, 0, "p") == "fifo");
}

TEST_CASE("A symlink in a user.* override mode is made although it cannot carry the xattr",
          "[fuse-overlay][override][create]") {
    TempTree t(1, {});
    auto ov = mount_tree(t, 1, 2);
    Result<fuse_entry_param> e = do_symlink(*ov, "target", FUSE_ROOT_ID, "l", Caller{5, 6});
    REQUIRE(e);
    CHECK(kind_at(t, 0, "l") == "symlink");
    CHECK(S_ISLNK(e->attr.st_mode));
}

TEST_CASE("format_stat_override writes what parse_stat_override reads",
          "[fuse-overlay][override][xattr]") {
    CHECK(format_stat_override({0, 0, 0555, 0, 0}) == "0:0:555");
    CHECK(format_stat_override({5, 6, 0100751, 0, 0}) == "5:6:100751");
    CHECK(format_stat_override({1, 2, 0644, S_IFREG, 0}) == "1:2:644");
    CHECK(format_stat_override({1, 2, S_IFCHR | 0620, S_IFCHR, makedev(4, 64)}) ==
          "1:2:620:char-4-64");
    CHECK(format_stat_override({1, 2, 0777, S_IFLNK, 0}) == "1:2:777:symlink");
    std::optional<StatOverride> o =
        parse_stat_override(format_stat_override({7, 8, 0640, S_IFBLK, makedev(259, 70000)}));
    REQUIRE(o);
    CHECK(o->type == S_IFBLK);
    CHECK(o->rdev == makedev(259, 70000));
    CHECK((o->mode & 07777) == 0640);
}

TEST_CASE("A metacopy stub shows the data file's st_blocks, everything else its own",
          "[fuse-overlay][metacopy]") {
    std::string data(300000, 'q');
    TempTree t(2, {{1, "m", Kind::file, data}});
    OverlayOptions o;
    o.metacopy = true;
    auto ov = t.overlay(2, o, true);
    fuse_ino_t m = lookup_path(*ov, "m");
    struct stat attr {};
    attr.st_mode = 0600;
    REQUIRE(do_setattr(*ov, m, attr, FUSE_SET_ATTR_MODE, nullptr));
    REQUIRE(is_metacopy(*ov, *ov->table.get(m)));
    struct stat lower {};
    REQUIRE(::lstat(t.path(1, "m").c_str(), &lower) == 0);
    struct stat stub = disk_stat(t, "m");
    REQUIRE(stub.st_blocks < lower.st_blocks);
    Result<struct stat> st = do_getattr(*ov, m);
    REQUIRE(st);
    CHECK(st->st_blocks == lower.st_blocks);
    CHECK(st->st_blksize == lower.st_blksize);
    CHECK(st->st_size == 300000);
    CHECK((st->st_mode & 07777) == 0600);
    CHECK(st->st_mtime == stub.st_mtime);
    // Once the data is up, the upper file's own blocks count.
    REQUIRE(do_open(*ov, m, O_WRONLY));
    CHECK(do_getattr(*ov, m)->st_blocks == disk_stat(t, "m").st_blocks);
}
