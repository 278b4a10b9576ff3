// SPDX-License-Identifier: Apache-2.0
// readdir_test.cc — the sorted, deduplicated union with whiteouts hidden (§2.1, 1.16 order)
#include "temp_tree.h"

#include "fuse-overlay/dir_merge.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

using Names = std::vector<std::string>;

TEST_CASE("readdir is the sorted union without duplicates", "[fuse-overlay][readdir]") {
    TempTree t(3, {{0, "z", Kind::file},
                   {0, "b", Kind::file},
                   {1, "a", Kind::file},
                   {1, "b", Kind::file},
                   {2, "c", Kind::file},
                   {2, "z", Kind::dir}});
    auto ov = t.overlay(3);
    CHECK(list(*ov, FUSE_ROOT_ID) == Names{"a", "b", "c", "z"});
}

TEST_CASE("readdir hides whiteouts of both forms and the names they hide",
          "[fuse-overlay][readdir][whiteout]") {
    TempTree t(2, {{0, ".wh.a", Kind::whiteout_file},
                   {0, "keep", Kind::file},
                   {1, "a", Kind::file},
                   {1, "b", Kind::file},
                   {0, "b", Kind::whiteout_dev}});
    if (!t.ok())
        SKIP_CASE(t.why());
    auto ov = t.overlay(2);
    CHECK(list(*ov, FUSE_ROOT_ID) == Names{"keep"});
}

TEST_CASE("A whiteout does not hide the same name in its own layer",
          "[fuse-overlay][readdir][whiteout]") {
    TempTree t(2, {{0, ".wh.a", Kind::whiteout_file},
                   {0, "a", Kind::file, "new"},
                   {1, "a", Kind::file, "old"}});
    auto ov = t.overlay(2);
    CHECK(list(*ov, FUSE_ROOT_ID) == Names{"a"});
    CHECK(read_all(*ov, lookup_path(*ov, "a")) == "new");
}

TEST_CASE("readdir of an opaque directory shows only its own layer and above",
          "[fuse-overlay][readdir][opaque]") {
    TempTree t(3, {{0, "d/top", Kind::file},
                   {1, "d/.wh..wh..opq", Kind::opaque_file},
                   {1, "d/mid", Kind::file},
                   {2, "d/low", Kind::file}});
    auto ov = t.overlay(3);
    CHECK(list(*ov, lookup_path(*ov, "d")) == Names{"mid", "top"});
}

TEST_CASE("readdir lists '.' and '..' except '..' in the root", "[fuse-overlay][readdir]") {
    TempTree t(1, {{0, "d/x", Kind::file}});
    auto ov = t.overlay(1);
    auto root = open_filled(*ov, FUSE_ROOT_ID);
    CHECK(root->entries.at(0).name == ".");
    CHECK(root->entries.at(1).name == "d");
    auto d = open_filled(*ov, lookup_path(*ov, "d"));
    CHECK(d->entries.at(0).name == ".");
    CHECK(d->entries.at(1).name == "..");
    CHECK(d->entries.at(1).ino == root->entries.at(0).ino);
}

TEST_CASE("readdir d_ino and d_type agree with lookup", "[fuse-overlay][readdir]") {
    TempTree t(2, {{0, "f", Kind::file}, {1, "d", Kind::dir}, {1, "l", Kind::symlink, "f"}});
    auto ov = t.overlay(2);
    auto h = open_filled(*ov, FUSE_ROOT_ID);
    for (const DirEntry& e : h->entries) {
        if (e.name == ".")
            continue;
        Result<fuse_entry_param> p = do_lookup(*ov, FUSE_ROOT_ID, e.name);
        REQUIRE(p);
        CHECK(p->attr.st_ino == e.ino);
        CHECK((p->attr.st_mode & S_IFMT) == e.type);
    }
}

TEST_CASE("After readdir, lookups of absent names need no layer access",
          "[fuse-overlay][readdir]") {
    TempTree t(1, {{0, "a", Kind::file}});
    auto ov = t.overlay(1);
    CHECK(list(*ov, FUSE_ROOT_ID) == Names{"a"});
    CHECK(ov->table.root()->loaded);
    CHECK(do_lookup(*ov, FUSE_ROOT_ID, "b")->ino == 0);
}

TEST_CASE("opendir is cheap: the listing is taken at the first readdir",
          "[fuse-overlay][readdir]") {
    TempTree t(1, {{0, "a", Kind::file}});
    auto ov = t.overlay(1);
    Result<std::unique_ptr<DirHandle>> h = do_opendir(*ov, FUSE_ROOT_ID);
    REQUIRE(h);
    CHECK((*h)->entries.empty());
    CHECK_FALSE(ov->table.root()->loaded);
    REQUIRE(do_fill_dir(*ov, FUSE_ROOT_ID, **h));
    CHECK((*h)->entries.size() == 2);
    REQUIRE(do_fill_dir(*ov, FUSE_ROOT_ID, **h)); // idempotent
    CHECK((*h)->entries.size() == 2);
}

TEST_CASE("opendir of a file is ENOTDIR", "[fuse-overlay][readdir]") {
    TempTree t(1, {{0, "a", Kind::file}});
    auto ov = t.overlay(1);
    CHECK(do_opendir(*ov, lookup_path(*ov, "a")).error().value == ENOTDIR);
}

TEST_CASE("merged_names reports the first layer listing each name", "[fuse-overlay][readdir]") {
    TempTree t(3, {{0, "a", Kind::file},
                   {1, "b", Kind::file},
                   {2, "b", Kind::file},
                   {2, "c", Kind::file},
                   {1, ".wh.c", Kind::whiteout_file},
                   {2, "d", Kind::file}});
    auto ov = t.overlay(3);
    Result<std::vector<MergedName>> m = merged_names(ov->layers, {0, 1, 2}, "");
    REQUIRE(m);
    REQUIRE(m->size() == 3);
    CHECK((*m)[0].name == "a");
    CHECK((*m)[0].first_pos == 0);
    CHECK((*m)[1].name == "b");
    CHECK((*m)[1].first_pos == 1);
    CHECK((*m)[2].name == "d");
    CHECK((*m)[2].first_pos == 2);
}
