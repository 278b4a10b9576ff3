// SPDX-License-Identifier: Apache-2.0
// inode_table_test.cc — counter ids, forget, and freeing of readdir-cached children
#include "temp_tree.h"

#include <catch2/catch.hpp>

using namespace ovl;
using namespace ovl::test;

TEST_CASE("The root is id 1 and is never freed", "[fuse-overlay][inode_table]") {
    InodeTable t;
    CHECK(t.root()->id == FUSE_ROOT_ID);
    t.forget(FUSE_ROOT_ID, 100);
    CHECK(t.get(FUSE_ROOT_ID) == t.root());
    CHECK(t.get(0) == nullptr);
    CHECK(t.get(42) == nullptr);
}

TEST_CASE("Ids come from a counter and are never reused", "[fuse-overlay][inode_table]") {
    InodeTable t;
    auto a = std::make_unique<Node>();
    a->name = "a";
    a->nlookup = 1;
    Node* na = t.insert(t.root(), std::move(a));
    fuse_ino_t first = na->id;
    t.forget(first, 1);
    CHECK(t.get(first) == nullptr);
    auto b = std::make_unique<Node>();
    b->name = "a";
    Node* nb = t.insert(t.root(), std::move(b));
    CHECK(nb->id > first);
}

TEST_CASE("Forgetting a directory frees the children readdir cached",
          "[fuse-overlay][inode_table]") {
    TempTree tree(1, {{0, "d/x", Kind::file}, {0, "d/y", Kind::file}, {0, "d/sub/z", Kind::file}});
    auto ov = tree.overlay(1);
    fuse_ino_t d = lookup_path(*ov, "d");
    (void)open_filled(*ov, d); // loads x, y, sub with nlookup 0
    CHECK(ov->table.size() == 5);
    fuse_ino_t x = do_lookup(*ov, d, "x")->ino;
    do_forget(*ov, d, 1);
    // x is still referenced by the kernel, so d stays (and with it the path to x)
    CHECK(ov->table.get(d) != nullptr);
    CHECK(ov->table.get(x) != nullptr);
    CHECK(InodeTable::live_nodes == ov->table.size());
    do_forget(*ov, x, 1);
    CHECK(ov->table.get(x) == nullptr);
    CHECK(ov->table.get(d) == nullptr);
    CHECK(ov->table.size() == 1);
    CHECK_FALSE(ov->table.root()->loaded); // the root's listing lost an entry
    CHECK(lookup_path(*ov, "d/y") != 0);   // and is rebuilt on demand
}

TEST_CASE("A forget larger than the count just frees", "[fuse-overlay][inode_table]") {
    TempTree tree(1, {{0, "a", Kind::file}});
    auto ov = tree.overlay(1);
    fuse_ino_t a = lookup_path(*ov, "a");
    do_forget(*ov, a, 1000);
    CHECK(ov->table.get(a) == nullptr);
    do_forget(*ov, a, 1); // a stale forget is ignored
    CHECK(ov->table.size() == 1);
}

namespace {

// A node `name` under `parent`, loaded (a directory) or a file, with `nlookup` references.
Node* add(InodeTable& t, Node* parent, const char* name, mode_t type, uint64_t nlookup) {
    auto n = std::make_unique<Node>();
    n->name = name;
    n->type = static_cast<uint16_t>(type);
    n->nlookup = nlookup;
    n->loaded = S_ISDIR(type);
    return t.insert(parent, std::move(n));
}

// Makes `dir`/`name` another name of `node` (what find_child does for a hard link).
void alias(Node& node, Node& dir, const char* name) {
    node.links.push_back(Node::Alias{dir.id, name});
    dir.children.emplace(name, node.id);
}

} // namespace

TEST_CASE("Freeing a directory whose entries name a hard link twice frees the node once",
          "[fuse-overlay][inode_table][link]") {
    // d holds "z" (the node's own name) and "b" (another name of it), "b" first in the map:
    // the walk over d's entries meets the other name before the node's own.
    InodeTable t;
    Node* d = add(t, t.root(), "d", S_IFDIR, 1);
    Node* z = add(t, d, "z", S_IFREG, 0);
    fuse_ino_t zid = z->id;
    alias(*z, *d, "b");
    t.remember_linked(77, zid);
    t.forget(d->id, 1);
    CHECK(t.get(zid) == nullptr);
    CHECK(t.size() == 1);
    CHECK_FALSE(t.linked(77));
}

TEST_CASE("A released node's other names leave their directories, which list again",
          "[fuse-overlay][inode_table][link]") {
    InodeTable t;
    Node* e = add(t, t.root(), "e", S_IFDIR, 1);
    Node* z = add(t, t.root(), "z", S_IFREG, 1);
    fuse_ino_t zid = z->id;
    alias(*z, *e, "b");
    t.forget(zid, 1);
    CHECK(t.get(zid) == nullptr);
    CHECK(e->children.empty());
    CHECK_FALSE(e->loaded);
}
