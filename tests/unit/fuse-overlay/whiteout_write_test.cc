// SPDX-License-Identifier: Apache-2.0
// whiteout_write_test.cc — the whiteout and opaque forms the write side leaves in upper (§2.2,
// §2.3)
#include "names_helpers.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

namespace {

Layer upper_of(const TempTree& t) {
    return Layer(t.layer_path(0), 0, true);
}

mode_t perms(const TempTree& t, const std::string& rel) {
    struct stat st {};
    REQUIRE(::lstat(t.path(0, rel).c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("A whiteout is a char 0/0 device when the kernel allows it", "[fuse-overlay][whiteout]") {
    TempTree t(1, {{0, "d", Kind::dir}});
    Layer up = upper_of(t);
    REQUIRE(write_whiteout(up, "d", "x"));
    std::string k = kind_at(t, 0, "d/x");
    if (k == "absent") // a kernel without unprivileged 0/0 devices: the fallback form
        CHECK(kind_at(t, 0, "d/.wh.x") == "file");
    else
        CHECK(k == "whiteout");
    CHECK(has_whiteout(up, "d", "x"));
    CHECK(is_opaque_dir(up, "d") == false);
}

TEST_CASE("With FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT a whiteout is a .wh.NAME file, mode 0700",
          "[fuse-overlay][whiteout]") {
    TempTree t(1, {});
    Layer up = upper_of(t);
    NoCharWhiteouts env;
    REQUIRE(write_whiteout(up, "", "x"));
    CHECK(kind_at(t, 0, "x") == "absent");
    CHECK(kind_at(t, 0, ".wh.x") == "file");
    CHECK((perms(t, ".wh.x") & 0777) == 0700);
    CHECK(has_whiteout(up, "", "x"));
}

TEST_CASE("has_whiteout: a 0/0 device or a .wh. entry in that directory, nothing else",
          "[fuse-overlay][whiteout]") {
    TempTree t(1, {{0, "d/c", Kind::whiteout_dev},
                   {0, "d/.wh.a", Kind::whiteout_file},
                   {0, "d/f", Kind::file, "data"},
                   {0, "d/l", Kind::symlink, "c"},
                   {0, "e/x", Kind::file, "data"},
                   {0, ".wh.top", Kind::whiteout_file}});
    Layer up = upper_of(t);
    CHECK(has_whiteout(up, "d", "c"));
    CHECK(has_whiteout(up, "d", "a"));
    CHECK(has_whiteout(up, "", "top"));
    CHECK_FALSE(has_whiteout(up, "d", "f"));    // an ordinary file
    CHECK_FALSE(has_whiteout(up, "d", "l"));    // a symlink to a whiteout is not one
    CHECK_FALSE(has_whiteout(up, "d", "none")); // nothing there
    CHECK_FALSE(has_whiteout(up, "e", "c"));    // the whiteout is in another directory
    CHECK_FALSE(has_whiteout(up, "d", "top"));
    CHECK_FALSE(has_whiteout(up, "missing", "c")); // no such directory
    CHECK_FALSE(has_whiteout(up, "d/f", "c"));     // not a directory
}

TEST_CASE("remove_whiteout removes both forms and nothing else", "[fuse-overlay][whiteout]") {
    TempTree t(1, {{0, ".wh.a", Kind::whiteout_file},
                   {0, "b", Kind::file, "keep"},
                   {0, "c", Kind::whiteout_dev}});
    Layer up = upper_of(t);
    REQUIRE(remove_whiteout(up, "", "a"));
    REQUIRE(remove_whiteout(up, "", "b"));
    REQUIRE(remove_whiteout(up, "", "c"));
    REQUIRE(remove_whiteout(up, "", "none"));
    CHECK(kind_at(t, 0, ".wh.a") == "absent");
    CHECK(kind_at(t, 0, "b") == "file");
    CHECK(kind_at(t, 0, "c") == "absent");
}

TEST_CASE(
    "An opaque directory is marked with xattrs kernel overlayfs and 1.10 read, no marker file",
    "[fuse-overlay][whiteout][opaque]") {
    TempTree t(1, {{0, "d", Kind::dir}});
    Layer up = upper_of(t);
    REQUIRE(set_opaque(up, "d"));
    CHECK(is_opaque_dir(up, "d"));
    CHECK(kind_at(t, 0, "d/.wh..wh..opq") == "absent");
    if (xattr_at(t, 0, "d", "trusted.overlay.opaque") == "y") {
        // Privileged (the suite as root): the kernel's own non-userxattr form, and only that one.
        CHECK(xattr_at(t, 0, "d", "user.overlay.opaque").empty());
    } else {
        CHECK(xattr_at(t, 0, "d", "user.overlay.opaque") == "y");
    }
    CHECK(xattr_at(t, 0, "d", "user.fuseoverlayfs.opaque").empty()); // visible via the kernel
}

TEST_CASE("clear_whiteouts empties a directory of whiteouts and markers only",
          "[fuse-overlay][whiteout]") {
    TempTree t(1, {{0, "d/.wh.a", Kind::whiteout_file},
                   {0, "d/.wh..wh..opq", Kind::opaque_file},
                   {0, "d/b", Kind::whiteout_dev},
                   {0, "e/real", Kind::file},
                   {0, "e/.wh.x", Kind::whiteout_file}});
    Layer up = upper_of(t);
    REQUIRE(clear_whiteouts(up, "d"));
    CHECK(::rmdir(t.path(0, "d").c_str()) == 0);
    Result<void> r = clear_whiteouts(up, "e");
    REQUIRE_FALSE(r);
    CHECK(r.error().value == ENOTEMPTY);
    CHECK(kind_at(t, 0, "e/real") == "file");
}
