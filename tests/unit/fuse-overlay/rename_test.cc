// SPDX-License-Identifier: Apache-2.0
// rename_test.cc — rename rules (§2.7): whiteouts at old names, NOREPLACE, EXCHANGE, EXDEV for
// directories with a lower part, renaming over existing names, opaque landing spots, node paths
#include "names_helpers.h"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace ovl;
using namespace ovl::test;

TEST_CASE("Renaming a lower file copies it up and whites out the old name",
          "[fuse-overlay][rename]") {
    TempTree t(2, {{1, "a", Kind::file, "data"}, {1, "d/x", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    fuse_ino_t d = lookup_path(*ov, "d");
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", d, "b", 0));
    CHECK(kind_at(t, 0, "a") == "whiteout");
    CHECK(kind_at(t, 0, "d/b") == "file");
    CHECK(lookup_path(*ov, "a") == 0);
    CHECK(lookup_path(*ov, "d/b") == a); // the kernel's node moved with the name
    CHECK(read_all(*ov, a) == "data");
    CHECK(ov->table.get(a)->path == "d/b");
}

TEST_CASE("Renaming an upper-only file leaves no whiteout", "[fuse-overlay][rename]") {
    TempTree t(2, {{0, "a", Kind::file}, {1, "x", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "b", 0));
    CHECK(kind_at(t, 0, "a") == "absent");
    CHECK(kind_at(t, 0, ".wh.a") == "absent");
    CHECK(list(*ov, FUSE_ROOT_ID) == std::vector<std::string>{"b", "x"});
}

TEST_CASE("Without char whiteouts the old name gets a .wh. file", "[fuse-overlay][rename]") {
    NoCharWhiteouts env;
    TempTree t(2, {{1, "a", Kind::file, "data"}});
    auto ov = t.overlay(2, {}, true);
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "b", 0));
    CHECK(kind_at(t, 0, ".wh.a") == "file");
    CHECK(list(*ov, FUSE_ROOT_ID) == std::vector<std::string>{"b"});
}

TEST_CASE("Renaming over an existing file replaces it", "[fuse-overlay][rename]") {
    TempTree t(2, {{1, "a", Kind::file, "A"}, {1, "b", Kind::file, "B"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    fuse_ino_t b = lookup_path(*ov, "b");
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "b", 0));
    CHECK(lookup_path(*ov, "b") == a);
    CHECK(read_all(*ov, a) == "A");
    CHECK(ov->table.get(b) != nullptr); // still referenced by the kernel, but out of the tree
    CHECK(list(*ov, FUSE_ROOT_ID) == std::vector<std::string>{"b"});
}

TEST_CASE("RENAME_NOREPLACE refuses any visible target", "[fuse-overlay][rename]") {
    TempTree t(2, {{0, "a", Kind::file},
                   {1, "b", Kind::file},
                   {0, ".wh.c", Kind::whiteout_file},
                   {1, "c", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "b", RENAME_NOREPLACE).error().value ==
          EEXIST);
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "c", RENAME_NOREPLACE));
    CHECK(kind_at(t, 0, ".wh.c") == "absent");
    CHECK(list(*ov, FUSE_ROOT_ID) == std::vector<std::string>{"b", "c"});
}

TEST_CASE("RENAME_EXCHANGE swaps files across layers", "[fuse-overlay][rename]") {
    TempTree t(2, {{0, "a", Kind::file, "A"}, {1, "d/b", Kind::file, "B"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    fuse_ino_t b = lookup_path(*ov, "d/b");
    fuse_ino_t d = lookup_path(*ov, "d");
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", d, "b", RENAME_EXCHANGE));
    CHECK(lookup_path(*ov, "a") == b);
    CHECK(lookup_path(*ov, "d/b") == a);
    CHECK(read_all(*ov, lookup_path(*ov, "a")) == "B");
    CHECK(read_all(*ov, lookup_path(*ov, "d/b")) == "A");
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "none", RENAME_EXCHANGE).error().value ==
          ENOENT);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "x", RENAME_EXCHANGE | RENAME_NOREPLACE)
              .error()
              .value == EINVAL);
}

TEST_CASE("Directories with a lower part cannot be renamed (EXDEV)", "[fuse-overlay][rename]") {
    TempTree t(2, {{0, "m/u", Kind::file},
                   {1, "m/l", Kind::file},
                   {1, "low/x", Kind::file},
                   {0, "up", Kind::dir}});
    auto ov = t.overlay(2, {}, true);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "m", FUSE_ROOT_ID, "m2", 0).error().value == EXDEV);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "low", FUSE_ROOT_ID, "l2", 0).error().value == EXDEV);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "up", FUSE_ROOT_ID, "low", RENAME_EXCHANGE).error().value ==
          EXDEV);
    CHECK(kind_at(t, 0, "low") == "absent"); // nothing was copied up for it
}

TEST_CASE("An upper-only directory moves with its subtree's paths", "[fuse-overlay][rename]") {
    TempTree t(1, {{0, "d/s/f", Kind::file, "deep"}});
    auto ov = t.overlay(1, {}, true);
    fuse_ino_t f = lookup_path(*ov, "d/s/f");
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "d", FUSE_ROOT_ID, "e", 0));
    CHECK(ov->table.get(f)->path == "e/s/f");
    CHECK(read_all(*ov, f) == "deep");
    CHECK(lookup_path(*ov, "e/s/f") == f);
    CHECK(lookup_path(*ov, "d") == 0);
}

TEST_CASE("Renaming a directory checks the target", "[fuse-overlay][rename]") {
    TempTree t(2, {{0, "a", Kind::dir}, {0, "f", Kind::file}, {1, "full/x", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "f", 0).error().value == ENOTDIR);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "a", 0).error().value == EISDIR);
    CHECK(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "full", 0).error().value == ENOTEMPTY);
}

TEST_CASE("A directory renamed over a lower name becomes opaque",
          "[fuse-overlay][rename][opaque]") {
    TempTree t(2, {{0, "a/mine", Kind::file},
                   {1, "gone/old", Kind::file},
                   {1, "empty/.wh.z", Kind::file},
                   {0, "b/mine2", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t gone = lookup_path(*ov, "gone");
    REQUIRE(do_unlink(*ov, gone, "old"));
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "gone"));
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "gone", 0)); // over its whiteout
    CHECK(list(*ov, lookup_path(*ov, "gone")) == std::vector<std::string>{"mine"});
    CHECK(kernel_opaque(t, "gone"));
    REQUIRE(
        do_rename(*ov, FUSE_ROOT_ID, "b", FUSE_ROOT_ID, "empty", 0)); // over an empty merged dir
    CHECK(kernel_opaque(t, "empty"));
    auto again = t.overlay(2, {}, true);
    CHECK(list(*again, lookup_path(*again, "gone")) == std::vector<std::string>{"mine"});
    CHECK(list(*again, lookup_path(*again, "empty")) == std::vector<std::string>{"mine2"});
}

TEST_CASE("Renaming one hard link over another changes nothing", "[fuse-overlay][rename][link]") {
    TempTree t(1, {{0, "a", Kind::file, "x"}});
    REQUIRE(::link(t.path(0, "a").c_str(), t.path(0, "b").c_str()) == 0);
    auto ov = t.overlay(1, {}, true);
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "a", FUSE_ROOT_ID, "b", 0));
    CHECK(list(*ov, FUSE_ROOT_ID) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("An opaque upper directory moved off a lower name leaves a whiteout there",
          "[fuse-overlay][rename][opaque]") {
    TempTree t(2, {{1, "k/old", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t k = lookup_path(*ov, "k");
    REQUIRE(do_unlink(*ov, k, "old"));
    REQUIRE(do_rmdir(*ov, FUSE_ROOT_ID, "k"));
    Result<fuse_entry_param> e = do_mkdir(*ov, FUSE_ROOT_ID, "k", 0755, root_caller());
    REQUIRE(e);
    REQUIRE(do_create(*ov, e->ino, "n", 0644, O_RDWR, root_caller()));
    REQUIRE(do_rename(*ov, FUSE_ROOT_ID, "k", FUSE_ROOT_ID, "k2", 0));
    CHECK(lookup_path(*ov, "k") == 0);
    CHECK(list(*ov, lookup_path(*ov, "k2")) == std::vector<std::string>{"n"});
    CHECK(kind_at(t, 0, "k") != "dir");
    auto again = t.overlay(2, {}, true);
    CHECK(list(*again, FUSE_ROOT_ID) == std::vector<std::string>{"k2"});
    CHECK(list(*again, lookup_path(*again, "k2")) == std::vector<std::string>{"n"});
}
