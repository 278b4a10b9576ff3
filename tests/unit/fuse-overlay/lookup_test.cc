// SPDX-License-Identifier: Apache-2.0
// lookup_test.cc — layer precedence, whiteouts and opaque directories in every form (§2.1–2.3)
#include "temp_tree.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

TEST_CASE("The leftmost lower layer wins for a file", "[fuse-overlay][lookup]") {
    TempTree t(3, {{0, "a", Kind::file, "top"},
                   {1, "a", Kind::file, "mid"},
                   {2, "a", Kind::file, "bottom"},
                   {2, "b", Kind::file, "b2"}});
    auto ov = t.overlay(3);
    CHECK(read_all(*ov, lookup_path(*ov, "a")) == "top");
    CHECK(read_all(*ov, lookup_path(*ov, "b")) == "b2");
}

TEST_CASE("An upper layer wins over every lower", "[fuse-overlay][lookup]") {
    TempTree t(2, {{0, "a", Kind::file, "upper"}, {1, "a", Kind::file, "lower"}});
    auto ov = t.overlay(2, {}, true);
    CHECK(read_all(*ov, lookup_path(*ov, "a")) == "upper");
}

TEST_CASE("An absent name is a negative entry, not an error", "[fuse-overlay][lookup]") {
    TempTree t(1, {{0, "a", Kind::file, "x"}});
    auto ov = t.overlay(1);
    Result<fuse_entry_param> e = do_lookup(*ov, FUSE_ROOT_ID, "nope");
    REQUIRE(e);
    CHECK(e->ino == 0);
    CHECK(e->entry_timeout == 1e9);
}

TEST_CASE("A char 0/0 whiteout hides the name below", "[fuse-overlay][lookup][whiteout]") {
    TempTree t(2, {{0, "a", Kind::whiteout_dev}, {1, "a", Kind::file, "lower"}});
    if (!t.ok())
        SKIP_CASE(t.why()); // a kernel that refuses unprivileged 0/0 devices
    auto ov = t.overlay(2);
    CHECK(lookup_path(*ov, "a") == 0);
}

TEST_CASE("A .wh.NAME file hides the name below", "[fuse-overlay][lookup][whiteout]") {
    TempTree t(2, {{0, ".wh.a", Kind::whiteout_file},
                   {1, "a", Kind::file, "lower"},
                   {1, "b", Kind::file, "b"}});
    auto ov = t.overlay(2);
    CHECK(lookup_path(*ov, "a") == 0);
    CHECK(lookup_path(*ov, "b") != 0);
}

TEST_CASE("A whiteout in a middle layer hides only what is below it",
          "[fuse-overlay][lookup][whiteout]") {
    TempTree t(3, {{0, "a", Kind::file, "top"},
                   {1, ".wh.a", Kind::whiteout_file},
                   {2, "a", Kind::file, "bottom"},
                   {1, ".wh.b", Kind::whiteout_file},
                   {2, "b", Kind::file, "b"}});
    auto ov = t.overlay(3);
    CHECK(read_all(*ov, lookup_path(*ov, "a")) == "top");
    CHECK(lookup_path(*ov, "b") == 0);
}

TEST_CASE(".wh.* names are never found", "[fuse-overlay][lookup][whiteout]") {
    TempTree t(1, {{0, ".wh.a", Kind::whiteout_file}, {0, ".wh..wh..opq", Kind::opaque_file}});
    auto ov = t.overlay(1);
    CHECK(lookup_path(*ov, ".wh.a") == 0);
    CHECK(lookup_path(*ov, ".wh..wh..opq") == 0);
}

TEST_CASE("Directories in several layers are merged", "[fuse-overlay][lookup]") {
    TempTree t(2, {{0, "d/a", Kind::file, "a"}, {1, "d/b", Kind::file, "b"}});
    auto ov = t.overlay(2);
    CHECK(read_all(*ov, lookup_path(*ov, "d/a")) == "a");
    CHECK(read_all(*ov, lookup_path(*ov, "d/b")) == "b");
}

TEST_CASE("A file above a directory hides the directory", "[fuse-overlay][lookup]") {
    TempTree t(2, {{0, "d", Kind::file, "file"}, {1, "d/b", Kind::file, "b"}});
    auto ov = t.overlay(2);
    CHECK(read_all(*ov, lookup_path(*ov, "d")) == "file");
    CHECK(lookup_path(*ov, "d/b") == 0);
}

TEST_CASE("A directory above a file hides the file and stops the merge", "[fuse-overlay][lookup]") {
    TempTree t(
        3, {{0, "d/a", Kind::file, "a"}, {1, "d", Kind::file, "f"}, {2, "d/b", Kind::file, "b"}});
    auto ov = t.overlay(3);
    CHECK(lookup_path(*ov, "d/a") != 0);
    CHECK(lookup_path(*ov, "d/b") == 0);
}

TEST_CASE("Opaque by .wh..wh..opq", "[fuse-overlay][lookup][opaque]") {
    TempTree t(2, {{0, "d/.wh..wh..opq", Kind::opaque_file},
                   {0, "d/a", Kind::file, "a"},
                   {1, "d/b", Kind::file, "b"}});
    auto ov = t.overlay(2);
    CHECK(lookup_path(*ov, "d/a") != 0);
    CHECK(lookup_path(*ov, "d/b") == 0);
}

TEST_CASE("Opaque by user.overlay.opaque (kernel userxattr) and user.fuseoverlayfs.opaque",
          "[fuse-overlay][lookup][opaque]") {
    for (std::string name : {"user.overlay.opaque", "user.fuseoverlayfs.opaque"}) {
        TempTree t(2, {{0, "d", Kind::dir},
                       {0, "d", Kind::xattr, name + "=y"},
                       {1, "d/b", Kind::file, "b"},
                       {1, "e/b", Kind::file, "b"}});
        if (!t.ok())
            SKIP_CASE(t.why()); // no user xattrs on this filesystem
        auto ov = t.overlay(2);
        CHECK(lookup_path(*ov, "d") != 0);
        CHECK(lookup_path(*ov, "d/b") == 0);
        CHECK(lookup_path(*ov, "e/b") != 0);
    }
}

TEST_CASE("Opaque by trusted.overlay.opaque (privileged)", "[fuse-overlay][lookup][opaque]") {
    TempTree t(2, {{0, "d", Kind::dir},
                   {0, "d", Kind::xattr, "trusted.overlay.opaque=y"},
                   {1, "d/b", Kind::file, "b"}});
    if (!t.ok())
        SKIP_CASE(t.why()); // trusted.* needs CAP_SYS_ADMIN: runs when the suite runs as root
    auto ov = t.overlay(2);
    CHECK(lookup_path(*ov, "d/b") == 0);
}

TEST_CASE("An opaque xattr other than y is not opaque, and wins over the marker file",
          "[fuse-overlay][lookup][opaque]") {
    TempTree t(2, {{0, "d/.wh..wh..opq", Kind::opaque_file},
                   {0, "d", Kind::xattr, "user.overlay.opaque=n"},
                   {1, "d/b", Kind::file, "b"}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(2);
    CHECK(lookup_path(*ov, "d/b") != 0);
}

TEST_CASE("An opaque directory in a middle layer still merges with the layers above",
          "[fuse-overlay][lookup][opaque]") {
    TempTree t(3, {{0, "d/a", Kind::file, "a"},
                   {1, "d/.wh..wh..opq", Kind::opaque_file},
                   {1, "d/m", Kind::file, "m"},
                   {2, "d/b", Kind::file, "b"}});
    auto ov = t.overlay(3);
    CHECK(lookup_path(*ov, "d/a") != 0);
    CHECK(lookup_path(*ov, "d/m") != 0);
    CHECK(lookup_path(*ov, "d/b") == 0);
}

TEST_CASE("Lookup counts references and forget frees the node", "[fuse-overlay][lookup]") {
    TempTree t(1, {{0, "d/a", Kind::file, "a"}});
    auto ov = t.overlay(1);
    fuse_ino_t d = lookup_path(*ov, "d");
    fuse_ino_t a = lookup_path(*ov, "d/a");
    REQUIRE(a != 0);
    CHECK(do_lookup(*ov, d, "a")->ino == a);
    CHECK(ov->table.get(a)->nlookup == 2);
    do_forget(*ov, a, 2);
    CHECK(ov->table.get(a) == nullptr);
    CHECK(do_getattr(*ov, a).error().value == ESTALE);
    do_forget(*ov, d, 2); // looked up twice by lookup_path
    CHECK(ov->table.get(d) == nullptr);
    CHECK(ov->table.size() == 1);
    // ids are never reused
    fuse_ino_t again = lookup_path(*ov, "d");
    CHECK(again != d);
    CHECK(again != a);
}

TEST_CASE("Lookup in a non-directory is ENOTDIR and an unknown id ESTALE",
          "[fuse-overlay][lookup]") {
    TempTree t(1, {{0, "f", Kind::file, "x"}});
    auto ov = t.overlay(1);
    fuse_ino_t f = lookup_path(*ov, "f");
    CHECK(do_lookup(*ov, f, "x").error().value == ENOTDIR);
    CHECK(do_lookup(*ov, 9999, "x").error().value == ESTALE);
}
