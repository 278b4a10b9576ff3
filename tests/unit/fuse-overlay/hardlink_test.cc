// SPDX-License-Identifier: Apache-2.0
// hardlink_test.cc — every name of a hard-linked upper file is one node, as the kernel shows hard
// links (one inode: one page cache, one set of attributes), through lookups, listings, link,
// unlink, rename and the node's release
#include "names_helpers.h"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace ovl;
using namespace ovl::test;

namespace {

// An upper layer holding `a` with a second name `d/b` made on disk (an earlier mount made it).
// With `looked_up`, both names were looked up (the node of a, and d).
struct Linked {
    TempTree t{2, {{0, "a", Kind::file, "data"}, {0, "d/x", Kind::file}, {1, "low", Kind::file}}};
    std::unique_ptr<Overlay> ov;
    fuse_ino_t a = 0, d = 0;
    explicit Linked(bool looked_up = false) {
        REQUIRE(::link(t.path(0, "a").c_str(), t.path(0, "d/b").c_str()) == 0);
        ov = t.overlay(2, {}, true);
        if (!looked_up)
            return;
        a = lookup_path(*ov, "a");
        d = lookup_path(*ov, "d");
        REQUIRE(a != 0);
        REQUIRE(lookup_path(*ov, "d/b") == a);
    }
};

} // namespace

TEST_CASE("Both names of a hard link on disk are one node, by lookup or by listing",
          "[fuse-overlay][link]") {
    Linked l;
    Overlay& ov = *l.ov;
    fuse_ino_t a = lookup_path(ov, "a");
    REQUIRE(a != 0);
    CHECK(lookup_path(ov, "d/b") == a);
    CHECK(list(ov, lookup_path(ov, "d")) == std::vector<std::string>{"b", "x"});
    CHECK(do_getattr(ov, a)->st_nlink == 2);

    SECTION("the listing first") {
        Linked m;
        fuse_ino_t d = lookup_path(*m.ov, "d");
        CHECK(list(*m.ov, d) == std::vector<std::string>{"b", "x"});
        fuse_ino_t b = lookup_path(*m.ov, "d/b");
        CHECK(lookup_path(*m.ov, "a") == b);
        CHECK(list(*m.ov, FUSE_ROOT_ID) == std::vector<std::string>{"a", "d", "low"});
    }
    SECTION("a lower file's names are not joined (a copy-up splits them, as kernel overlayfs)") {
        TempTree t(2, {{1, "p", Kind::file}});
        REQUIRE(::link(t.path(1, "p").c_str(), t.path(1, "q").c_str()) == 0);
        auto o = t.overlay(2, {}, true);
        CHECK(lookup_path(*o, "p") != lookup_path(*o, "q"));
    }
}

TEST_CASE("Removing one name of a hard link leaves the node served from the other",
          "[fuse-overlay][link]") {
    Linked l(true);
    Overlay& ov = *l.ov;
    fuse_ino_t a = l.a, d = l.d;

    SECTION("the other name") {
        REQUIRE(do_unlink(ov, d, "b"));
        CHECK(kind_at(l.t, 0, "d/b") == "absent");
        CHECK(kind_at(l.t, 0, "a") == "file");
        CHECK(list(ov, d) == std::vector<std::string>{"x"});
        CHECK(lookup_path(ov, "d/b") == 0);
        CHECK(do_getattr(ov, a)->st_nlink == 1);
        CHECK(read_all(ov, a) == "data");
    }
    SECTION("the node's own name") {
        REQUIRE(do_unlink(ov, FUSE_ROOT_ID, "a"));
        CHECK(kind_at(l.t, 0, "a") == "absent");
        CHECK(lookup_path(ov, "d/b") == a);
        CHECK(do_getattr(ov, a)->st_nlink == 1);
        CHECK(read_all(ov, a) == "data");
        CHECK(list(ov, FUSE_ROOT_ID) == std::vector<std::string>{"d", "low"});
        CHECK(list(ov, d) == std::vector<std::string>{"b", "x"});
        // the last name goes too: nothing left to serve it from
        REQUIRE(do_unlink(ov, d, "b"));
        CHECK(kind_at(l.t, 0, "d/b") == "absent");
        CHECK(list(ov, d) == std::vector<std::string>{"x"});
    }
}

TEST_CASE("Renaming one name of a hard link moves only that name", "[fuse-overlay][link]") {
    Linked l(true);
    Overlay& ov = *l.ov;
    fuse_ino_t a = l.a, d = l.d;

    SECTION("the other name moves; the node keeps its own") {
        REQUIRE(do_rename(ov, d, "b", FUSE_ROOT_ID, "c", 0));
        CHECK(kind_at(l.t, 0, "c") == "file");
        CHECK(kind_at(l.t, 0, "d/b") == "absent");
        CHECK(lookup_path(ov, "c") == a);
        CHECK(list(ov, d) == std::vector<std::string>{"x"});
        CHECK(list(ov, FUSE_ROOT_ID) == std::vector<std::string>{"a", "c", "d", "low"});
        REQUIRE(do_unlink(ov, FUSE_ROOT_ID, "a")); // served from c now
        CHECK(read_all(ov, a) == "data");
        CHECK(lookup_path(ov, "c") == a);
    }
    SECTION("another file replaces the other name; the node keeps its own") {
        REQUIRE(do_rename(ov, d, "x", d, "b", 0));
        fuse_ino_t b = lookup_path(ov, "d/b");
        CHECK(b != a);
        CHECK(read_all(ov, b).empty());
        CHECK(read_all(ov, a) == "data");
        CHECK(do_getattr(ov, a)->st_nlink == 1);
        CHECK(list(ov, d) == std::vector<std::string>{"b"});
    }
    SECTION("the other name is exchanged with another file") {
        REQUIRE(do_rename(ov, d, "b", d, "x", RENAME_EXCHANGE));
        CHECK(lookup_path(ov, "d/x") == a);
        CHECK(read_all(ov, lookup_path(ov, "d/b")).empty());
        CHECK(list(ov, d) == std::vector<std::string>{"b", "x"});
        REQUIRE(do_unlink(ov, FUSE_ROOT_ID, "a")); // served from d/x now
        CHECK(read_all(ov, a) == "data");
    }
    SECTION("renaming a name over the other name of the same file changes nothing") {
        REQUIRE(do_rename(ov, d, "b", FUSE_ROOT_ID, "a", 0));
        CHECK(kind_at(l.t, 0, "a") == "file");
        CHECK(kind_at(l.t, 0, "d/b") == "file");
    }
}

TEST_CASE("A link made through the mount is the same node to later lookups and listings",
          "[fuse-overlay][link]") {
    TempTree t(2, {{1, "a", Kind::file, "data"}, {0, "d/x", Kind::file}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    fuse_ino_t d = lookup_path(*ov, "d");
    REQUIRE(do_link(*ov, a, d, "l"));
    // the kernel dropped its entry for the new name and asks again, or lists the directory
    CHECK(lookup_path(*ov, "d/l") == a);
    CHECK(list(*ov, d) == std::vector<std::string>{"l", "x"});
    CHECK(do_getattr(*ov, a)->st_nlink == 2);
}

TEST_CASE("When the node of a hard link is released, both names stay listed and found",
          "[fuse-overlay][link]") {
    Linked l;
    Overlay& ov = *l.ov;
    fuse_ino_t d = lookup_path(ov, "d");
    CHECK(list(ov, d) == std::vector<std::string>{"b", "x"});
    fuse_ino_t a = lookup_path(ov, "a");
    REQUIRE(lookup_path(ov, "d/b") == a);
    do_forget(ov, a, 2); // both lookups
    CHECK(ov.table.get(a) == nullptr);
    CHECK(list(ov, d) == std::vector<std::string>{"b", "x"});
    fuse_ino_t b = lookup_path(ov, "d/b");
    REQUIRE(b != 0);
    CHECK(lookup_path(ov, "a") == b);
    CHECK(read_all(ov, b) == "data");
}

TEST_CASE("A node keeps at most max_aliases other names; further names get nodes of their own",
          "[fuse-overlay][link]") {
    // A container can give one file tens of thousands of names: each alias costs a search of
    // the node's list, so the list is bounded and every name still lists, looks up and reads.
    TempTree t(1, {{0, "a", Kind::file, "data"}, {0, "d/x", Kind::file}});
    size_t n = max_aliases + 2;
    for (size_t i = 0; i < n; ++i)
        REQUIRE(::link(t.path(0, "a").c_str(), t.path(0, "d/l" + std::to_string(i)).c_str()) == 0);
    auto ov = t.overlay(1, {}, true);
    fuse_ino_t a = lookup_path(*ov, "a");
    fuse_ino_t d = lookup_path(*ov, "d");
    CHECK(list(*ov, d).size() == n + 1);
    size_t same = 0;
    for (size_t i = 0; i < n; ++i) {
        fuse_ino_t l = lookup_path(*ov, "d/l" + std::to_string(i));
        REQUIRE(l != 0);
        same += l == a ? 1 : 0;
        CHECK(read_all(*ov, l) == "data");
    }
    CHECK(same == max_aliases);
    CHECK(ov->table.get(a)->links.size() == max_aliases);
    REQUIRE(do_unlink(*ov, FUSE_ROOT_ID, "a")); // served from one of its other names
    CHECK(read_all(*ov, a) == "data");
    CHECK(list(*ov, d).size() == n + 1);
}
