// SPDX-License-Identifier: Apache-2.0
// remove_test.cc — unlink and rmdir: whiteouts only where a lower layer holds the name, no copy-up
// of what is deleted, ENOTEMPTY on the merged view, and the node tree kept equal to it
#include "names_helpers.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

TEST_CASE("Unlinking a lower-only file writes a whiteout and copies no data",
          "[fuse-overlay][remove]") {
    TempTree t(2, {{1, "d/f", Kind::file, "data"}, {1, "d/g", Kind::file, "g"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t d = lookup_path(*ov, "d");
    REQUIRE(do_unlink(*ov, d, "f"));
    CHECK(kind_at(t, 0, "d") == "dir"); // the parent is copied up
    CHECK(kind_at(t, 0, "d/f") == "whiteout");
    CHECK(lookup_path(*ov, "d/f") == 0);
    CHECK(list(*ov, d) == std::vector<std::string>{"g"});
    auto fresh = t.overlay(2, {}, true); // and so after a remount
    CHECK(list(*fresh, lookup_path(*fresh, "d")) == std::vector<std::string>{"g"});
}

TEST_CASE("Unlinking an upper-only file leaves nothing behind", "[fuse-overlay][remove]") {
    TempTree t(2, {{0, "f", Kind::file, "x"}, {1, "g", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
    CHECK(kind_at(t, 0, "f") == "absent");
    CHECK(kind_at(t, 0, ".wh.f") == "absent");
    CHECK(list(*ov, FUSE_ROOT_ID) == std::vector<std::string>{"g"});
}

TEST_CASE("Unlinking an upper file over a lower one leaves a whiteout in every form",
          "[fuse-overlay][remove]") {
    TempTree t(2, {{0, "f", Kind::file, "up"}, {1, "f", Kind::file, "low"}});
    SECTION("atomically through the work dir") {
        auto ov = t.overlay(2, {}, true);
        REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
        CHECK(kind_at(t, 0, "f") == "whiteout");
        CHECK(lookup_path(*ov, "f") == 0);
    }
    SECTION("without a work dir") {
        auto ov = t.overlay(2, {}, true);
        ov->work_fd.reset();
        REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
        CHECK(kind_at(t, 0, "f") == "whiteout");
    }
    SECTION("with FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT") {
        NoCharWhiteouts env;
        auto ov = t.overlay(2, {}, true);
        REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
        CHECK(kind_at(t, 0, "f") == "absent");
        CHECK(kind_at(t, 0, ".wh.f") == "file");
        CHECK(lookup_path(*ov, "f") == 0);
    }
}

TEST_CASE("No whiteout when a middle layer already hides the name", "[fuse-overlay][remove]") {
    TempTree t(3, {{0, "f", Kind::file, "up"},
                   {1, ".wh.f", Kind::whiteout_file},
                   {2, "f", Kind::file, "low"}});
    auto ov = t.overlay(3, {}, true);
    REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
    CHECK(kind_at(t, 0, "f") == "absent");
    CHECK(lookup_path(*ov, "f") == 0);
}

TEST_CASE("rmdir is ENOTEMPTY on the merged view", "[fuse-overlay][remove]") {
    TempTree t(2, {{0, "d/u", Kind::file}, {1, "d/l", Kind::file}, {1, "e/.wh.x", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t d = lookup_path(*ov, "d");
    Result<void> r = do_rmdir(*ov, FUSE_ROOT_ID, "d");
    REQUIRE_FALSE(r);
    CHECK(r.error().value == ENOTEMPTY);
    REQUIRE(do_unlink(*ov, d, "u"));
    r = do_rmdir(*ov, FUSE_ROOT_ID, "d");
    REQUIRE_FALSE(r); // the lower name still counts
    CHECK(r.error().value == ENOTEMPTY);
    REQUIRE(do_unlink(*ov, d, "l"));
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "d")); // only whiteouts were left in upper
    CHECK(kind_at(t, 0, "d") == "whiteout");
    CHECK(lookup_path(*ov, "d") == 0);
    // a lower directory whose only entries are whiteouts is empty in the merged view
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "e"));
    CHECK(kind_at(t, 0, "e") == "whiteout");
}

TEST_CASE("rmdir of an upper-only directory holding whiteouts removes it entirely",
          "[fuse-overlay][remove]") {
    TempTree t(2, {{0, "d/.wh.gone", Kind::whiteout_file},
                   {0, "d/.wh..wh..opq", Kind::opaque_file},
                   {1, "other", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "d"));
    CHECK(kind_at(t, 0, "d") == "absent");
}

TEST_CASE("rm -rf of a lower tree copies up directories only", "[fuse-overlay][remove]") {
    TempTree t(2, {{1, "t/s/x", Kind::file, "x"}, {1, "t/y", Kind::file, "y"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t tt = lookup_path(*ov, "t");
    fuse_ino_t s = lookup_path(*ov, "t/s");
    REQUIRE(do_unlink(*ov, s, "x"));
    REQUIRE(do_rmdir(*ov, tt, "s"));
    REQUIRE(do_unlink(*ov, tt, "y"));
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "t"));
    CHECK(kind_at(t, 0, "t") == "whiteout");
    CHECK(list(*ov, FUSE_ROOT_ID).empty());
}

TEST_CASE("unlink and rmdir check the type and the name", "[fuse-overlay][remove]") {
    TempTree t(2, {{1, "d", Kind::dir}, {1, "f", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    CHECK(do_unlink(*ov, FUSE_ROOT_ID, "d").error().value == EISDIR);
    CHECK(do_rmdir(*ov, FUSE_ROOT_ID, "f").error().value == ENOTDIR);
    CHECK(do_unlink(*ov, FUSE_ROOT_ID, "nope").error().value == ENOENT);
    auto ro = t.overlay(2);
    CHECK(do_unlink(*ro, FUSE_ROOT_ID, "f").error().value == EROFS);
}

TEST_CASE("A removed node the kernel still holds stays valid; a new name gets a new node",
          "[fuse-overlay][remove]") {
    TempTree t(2, {{1, "f", Kind::file, "low"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
    REQUIRE(ov->table.get(f) != nullptr);
    Result<Created> c = do_create(*ov, FUSE_ROOT_ID, "f", 0644, O_RDWR, root_caller());
    REQUIRE(c);
    CHECK(c->entry.ino != f);
    CHECK(lookup_path(*ov, "f") == c->entry.ino);
    do_forget(*ov, f, 1); // the old node goes without touching the new name
    CHECK(ov->table.get(f) == nullptr);
    CHECK(lookup_path(*ov, "f") == c->entry.ino);
    CHECK(kind_at(t, 0, "f") == "file");
}

TEST_CASE("An unlinked upper file the kernel still holds stays reachable until forgotten",
          "[fuse-overlay][remove]") {
    TempTree t(
        2, {{0, "f", Kind::file, "data"}, {1, "f", Kind::file, "low"}, {0, "g", Kind::file, "gg"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    fuse_ino_t g = lookup_path(*ov, "g");
    REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "f"));
    CHECK(kind_at(t, 0, "f") == "whiteout");
    Result<struct stat> st = do_getattr(*ov, f); // fstat of an open, unlinked file
    REQUIRE(st);
    CHECK(st->st_size == 4);
    CHECK(read_all(*ov, f) == "data");
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "g", FUSE_ROOT_ID, "h", 0)); // no effect on f
    do_forget(*ov, f, 1);
    CHECK(std::filesystem::is_empty(t.work_path()));
    // a file replaced by a rename is kept the same way
    fuse_ino_t h = lookup_path(*ov, "h");
    CHECK(h == g);
    REQUIRE(do_create(*ov, FUSE_ROOT_ID, "n", 0644, O_RDWR, root_caller()));
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "n", FUSE_ROOT_ID, "h", 0));
    CHECK(read_all(*ov, h) == "gg");
    do_forget(*ov, h, 2);
    CHECK(std::filesystem::is_empty(t.work_path()));
}
