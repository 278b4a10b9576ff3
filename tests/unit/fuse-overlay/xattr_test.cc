// SPDX-License-Identifier: Apache-2.0
// xattr_test.cc — internal xattr names and the override_stat format (§2.4, §2.5)
#include "fuse-overlay/xattr.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>

using ovl::is_internal_xattr;
using ovl::parse_stat_override;

TEST_CASE("The overlay's own xattrs are internal, users' are not", "[fuse-overlay][xattr]") {
    CHECK(is_internal_xattr("user.fuseoverlayfs.origin"));
    CHECK(is_internal_xattr("user.fuseoverlayfs.opaque"));
    CHECK(is_internal_xattr("trusted.overlay.opaque"));
    CHECK(is_internal_xattr("user.overlay.origin"));
    CHECK(is_internal_xattr("user.containers.override_stat"));
    CHECK(is_internal_xattr("security.fuseoverlayfs.override_stat"));
    CHECK_FALSE(is_internal_xattr("user.foo"));
    CHECK_FALSE(is_internal_xattr("user.overlayfoo"));
    CHECK_FALSE(is_internal_xattr("security.capability"));
    CHECK_FALSE(is_internal_xattr("trusted.other"));
}

TEST_CASE("override_stat with three fields keeps the backing type", "[fuse-overlay][xattr]") {
    auto o = parse_stat_override("5:6:755");
    REQUIRE(o);
    CHECK(o->uid == 5);
    CHECK(o->gid == 6);
    CHECK(o->mode == 0755);
    CHECK(o->type == 0);
    auto t = parse_stat_override("0:0:100751");
    REQUIRE(t);
    CHECK(t->mode == 0100751);
}

TEST_CASE("override_stat as containers/storage writes it", "[fuse-overlay][xattr]") {
    auto d = parse_stat_override("0:0:0755:dir");
    REQUIRE(d);
    CHECK(d->type == S_IFDIR);
    CHECK(d->mode == 0755);
    auto c = parse_stat_override("0:0:0666:char-1-3");
    REQUIRE(c);
    CHECK(c->type == S_IFCHR);
    CHECK(c->rdev == makedev(1, 3));
    auto b = parse_stat_override("1:2:0660:block-8-1");
    REQUIRE(b);
    CHECK(b->type == S_IFBLK);
    CHECK(b->rdev == makedev(8, 1));
    CHECK(parse_stat_override("0:0:0644:file")->type == S_IFREG);
    CHECK(parse_stat_override("0:0:0777:symlink")->type == S_IFLNK);
    CHECK(parse_stat_override("0:0:0644:pipe")->type == S_IFIFO);
    CHECK(parse_stat_override("0:0:0644:socket")->type == S_IFSOCK);
    CHECK(parse_stat_override(std::string_view("0:0:755\0", 8)));
}

TEST_CASE("Malformed override_stat values are refused", "[fuse-overlay][xattr]") {
    CHECK_FALSE(parse_stat_override(""));
    CHECK_FALSE(parse_stat_override("0:0"));
    CHECK_FALSE(parse_stat_override("0:0:999"));
    CHECK_FALSE(parse_stat_override("a:0:755"));
    CHECK_FALSE(parse_stat_override("0:0:755:weird"));
    CHECK_FALSE(parse_stat_override("0:0:755:char-1"));
    CHECK_FALSE(parse_stat_override("0:0:755:dir:extra"));
}

TEST_CASE("containers mode keeps security.* and internal names under user.containers.override_",
          "[fuse-overlay][xattr]") {
    using ovl::stored_xattr_name;
    using ovl::visible_xattr_name;
    CHECK(stored_xattr_name("security.capability", true) ==
          "user.containers.override_security.capability");
    CHECK(stored_xattr_name("security.capability", false) == "security.capability");
    CHECK(stored_xattr_name("user.overlay.opaque", true) ==
          "user.containers.override_user.overlay.opaque");
    CHECK(stored_xattr_name("user.overlay.opaque", false).empty());
    CHECK(stored_xattr_name("user.color", true) == "user.color");
    CHECK(stored_xattr_name("security." + std::string(250, 'x'), true).empty()); // > 255 bytes
    CHECK(visible_xattr_name("user.containers.override_security.capability", true) ==
          "security.capability");
    // the real override_stat and a raw security.* stay hidden in containers mode
    CHECK(visible_xattr_name("user.containers.override_stat", true).empty());
    CHECK(visible_xattr_name("security.capability", true).empty());
    CHECK(visible_xattr_name("security.capability", false) == "security.capability");
    // outside containers mode an encoded name is just internal
    CHECK(visible_xattr_name("user.containers.override_security.capability", false).empty());
    // an encoded accessible name is not decoded (upstream): it stays hidden
    CHECK(visible_xattr_name("user.containers.override_user.color", true).empty());
    // round trip for every name a client may set
    for (std::string n : {"security.selinux", "trusted.overlay.x", "user.fuseoverlayfs.origin",
                          "user.containers.override_stat", "user.a"})
        CHECK(visible_xattr_name(stored_xattr_name(n, true), true) == n);
}
