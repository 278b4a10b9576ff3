// SPDX-License-Identifier: Apache-2.0
// node_test.cc — the Node's size (memory per cached inode) and its lazily allocated containers
#include "fuse-overlay/node.h"

#include <catch2/catch.hpp>

using namespace ovl;

TEST_CASE("A Node stays small: one per name the kernel looked up", "[fuse-overlay][node]") {
    // docs/compat/fuse-overlayfs.md §4.3: 152 bytes on 64-bit (was 240 before the containers a
    // file never uses became one pointer each).
    CHECK(sizeof(Node) <= 152);
    Node n;
    CHECK(n.children.empty());
    CHECK(n.links.empty());
    CHECK(n.followers.empty());
}

TEST_CASE("Lazy map: empty reads, then find, erase and iteration as std::map",
          "[fuse-overlay][node]") {
    Lazy<std::map<std::string, fuse_ino_t, std::less<>>> m;
    CHECK(m.find(std::string_view("a")) == m.end());
    CHECK(m.begin() == m.end());
    CHECK(m.erase(std::string("a")) == 0);
    CHECK(m.size() == 0);
    m.emplace("b", 2);
    m.emplace("a", 1);
    CHECK(m.size() == 2);
    auto it = m.find(std::string_view("a"));
    REQUIRE(it != m.end());
    CHECK(it->second == 1);
    std::string order;
    for (const auto& [name, id] : m)
        order += name;
    CHECK(order == "ab");
    it = m.erase(it);
    CHECK(it->first == "b");
    CHECK(m.erase(std::string("b")) == 1);
    CHECK(m.empty());
    const auto& cm = m;
    CHECK(cm.find(std::string_view("b")) == cm.end());
}

TEST_CASE("Lazy vector: push_back, append, back/pop_back, erase while iterating, clear",
          "[fuse-overlay][node]") {
    Lazy<std::vector<fuse_ino_t>> v;
    CHECK(v.begin() == v.end());
    v.append(v.begin(), v.end()); // appending nothing allocates nothing
    CHECK(v.empty());
    v.push_back(fuse_ino_t{1});
    std::vector<fuse_ino_t> more{2, 3, 4};
    v.append(more.begin(), more.end());
    CHECK(v.size() == 4);
    CHECK(v.back() == 4);
    v.pop_back();
    for (auto it = v.begin(); it != v.end();)
        it = *it == 2 ? v.erase(it) : it + 1;
    std::vector<fuse_ino_t> left(v.begin(), v.end());
    CHECK(left == std::vector<fuse_ino_t>{1, 3});
    v.clear();
    CHECK(v.empty());
    CHECK(v.size() == 0);
}
