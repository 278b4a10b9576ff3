// SPDX-License-Identifier: Apache-2.0
// idmap_test.cc — uidmapping/gidmapping arithmetic (§2.9)
#include "fuse-overlay/idmap.h"

#include <catch2/catch.hpp>

using ovl::parse_idmap;

TEST_CASE("An empty map is the identity", "[fuse-overlay][idmap]") {
    ovl::IdMap m;
    CHECK(m.to_shown(1234, 65534) == 1234);
    CHECK(m.to_disk(1234, 65534) == 1234);
}

TEST_CASE("Upstream's swap example: 0:1:1:1:0:1", "[fuse-overlay][idmap]") {
    auto m = parse_idmap("0:1:1:1:0:1");
    REQUIRE(m);
    CHECK(m->to_shown(0, 65534) == 1);
    CHECK(m->to_shown(1, 65534) == 0);
    CHECK(m->to_shown(1000, 65534) == 65534);
    CHECK(m->to_disk(0, 65534) == 1);
    CHECK(m->to_disk(1, 65534) == 0);
}

TEST_CASE("Ranges map by offset and the first match wins", "[fuse-overlay][idmap]") {
    auto m = parse_idmap("100:0:10:105:500:10");
    REQUIRE(m);
    CHECK(m->to_shown(100, 7) == 0);
    CHECK(m->to_shown(109, 7) == 9);
    CHECK(m->to_shown(115, 7) == 7);
    CHECK(m->to_shown(110, 7) == 505); // the second range
    CHECK(m->to_shown(99, 7) == 7);
    CHECK(m->to_shown(106, 7) == 6);
    CHECK(m->to_disk(9, 7) == 109);
    CHECK(m->to_disk(10, 7) == 7);
}

TEST_CASE("Empty tokens vanish, as with strtok", "[fuse-overlay][idmap]") {
    auto a = parse_idmap(":0:1000:1");
    REQUIRE(a);
    REQUIRE(a->ranges().size() == 1);
    CHECK(a->ranges()[0].disk == 0);
    CHECK(a->ranges()[0].shown == 1000);
    CHECK(parse_idmap("0::1000::1::"));
    CHECK(parse_idmap("")->empty());
}

TEST_CASE("Malformed mappings are refused", "[fuse-overlay][idmap]") {
    CHECK_FALSE(parse_idmap("0:1"));
    CHECK_FALSE(parse_idmap("0:1:1:2"));
    CHECK_FALSE(parse_idmap("0:a:1"));
    CHECK_FALSE(parse_idmap("0:1:-1"));
    CHECK_FALSE(parse_idmap("0:1:99999999999"));
}

TEST_CASE("A range ending at UINT32_MAX does not overflow", "[fuse-overlay][idmap]") {
    auto m = parse_idmap("4294967290:0:6");
    REQUIRE(m);
    CHECK(m->to_shown(4294967295u, 1) == 5);
    CHECK(m->to_shown(5, 1) == 1);
}
