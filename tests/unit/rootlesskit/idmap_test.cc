// SPDX-License-Identifier: Apache-2.0
// idmap_test.cc — subid parsing (file and getsubids) and newuidmap argument packing
#include "rootlesskit/idmap.h"

#include <catch2/catch.hpp>

using namespace rlk;

TEST_CASE("subuid file: matches by uid or name, keeps file order, skips comments",
          "[rootlesskit][idmap]") {
    std::string text = "# comment\n\nother:1:2\nrttest:100000:65536\n1001:200000:65536\n";
    auto r = parse_subid_file(text, "/etc/subuid", "1001", "rttest");
    CHECK(r == std::vector<SubIdRange>{{100000, 65536}, {200000, 65536}});
    CHECK(parse_subid_file(text, "/etc/subuid", "5", "nobody").empty());
}

TEST_CASE("subuid file: a malformed line is an error with upstream's text",
          "[rootlesskit][idmap]") {
    CHECK_THROWS_WITH(
        parse_subid_file("a:b\n", "/etc/subuid", "1", "a"),
        "Cannot parse subuid/gid information: Format not correct for /etc/subuid file");
    CHECK_THROWS_WITH(
        parse_subid_file("a:1:x\n", "/etc/subgid", "1", "a"),
        "Cannot parse subuid/gid information: Format not correct for /etc/subgid file");
}

TEST_CASE("getsubids output", "[rootlesskit][idmap]") {
    auto r = parse_getsubids("0: rttest 100000 65536\n1: rttest 300000 10\n");
    CHECK(r == std::vector<SubIdRange>{{100000, 65536}, {300000, 10}});
    CHECK(parse_getsubids("").empty());
    CHECK_THROWS(parse_getsubids("garbage\n"));
}

TEST_CASE("duplicate ranges from name and uid lookups are merged", "[rootlesskit][idmap]") {
    CHECK(dedup({{1, 2}, {3, 4}, {1, 2}}) == std::vector<SubIdRange>{{1, 2}, {3, 4}});
}

TEST_CASE("newuidmap arguments pack ranges contiguously after 0", "[rootlesskit][idmap]") {
    auto a = newidmap_args(1234, 1001, {{100000, 65536}, {200000, 65536}});
    CHECK(a == std::vector<std::string>{"1234", "0", "1001", "1", "1", "100000", "65536", "65537",
                                        "200000", "65536"});
    CHECK(newidmap_args(7, 1000, {}) == std::vector<std::string>{"7", "0", "1000", "1"});
}
