// SPDX-License-Identifier: Apache-2.0
// args_test.cc — whole-string parsers for numbers, addresses, CIDRs, MACs and booleans
#include "common/args.h"

#include <catch2/catch.hpp>

namespace a = common::args;

TEST_CASE("parse_uint accepts whole decimal strings in range only", "[common][args]") {
    CHECK(a::parse_uint("1500", 1, 65521) == 1500u);
    CHECK(a::parse_uint("65521", 1, 65521) == 65521u);
    CHECK_FALSE(a::parse_uint("65522", 1, 65521));
    CHECK_FALSE(a::parse_uint("0", 1, 65521));
    CHECK_FALSE(a::parse_uint("", 0, 10));
    CHECK_FALSE(a::parse_uint("-1", 0, 10));
    CHECK_FALSE(a::parse_uint("+1", 0, 10));
    CHECK_FALSE(a::parse_uint(" 1", 0, 10));
    CHECK_FALSE(a::parse_uint("1x", 0, 10));
    CHECK_FALSE(a::parse_uint("99999999999999999999999", 0, UINT64_MAX));
}

TEST_CASE("parse_int accepts negative numbers in range", "[common][args]") {
    CHECK(a::parse_int("-1", -5, 5) == -1);
    CHECK(a::parse_int("3", -5, 5) == 3);
    CHECK_FALSE(a::parse_int("-6", -5, 5));
    CHECK_FALSE(a::parse_int("--1", -5, 5));
}

TEST_CASE("parse_ipv4 and parse_ipv6 follow inet_pton", "[common][args]") {
    CHECK(a::format_ipv4(*a::parse_ipv4("10.0.2.2")) == "10.0.2.2");
    CHECK_FALSE(a::parse_ipv4("300.0.2.0"));
    CHECK_FALSE(a::parse_ipv4("10.0.2"));
    CHECK_FALSE(a::parse_ipv4("10.0.2.2 "));
    CHECK(a::format_ipv6(*a::parse_ipv6("fd00::2")) == "fd00::2");
    CHECK_FALSE(a::parse_ipv6("fd00:::2"));
}

TEST_CASE("parse_cidr4 splits address and prefix", "[common][args]") {
    auto c = a::parse_cidr4("10.0.135.128/25");
    REQUIRE(c);
    CHECK(a::format_ipv4(c->addr) == "10.0.135.128");
    CHECK(c->prefix == 25);
    CHECK_FALSE(a::parse_cidr4("10.0.2.0"));
    CHECK_FALSE(a::parse_cidr4("10.0.2.0/33"));
    CHECK_FALSE(a::parse_cidr4("10.0.2.0/"));
    CHECK_FALSE(a::parse_cidr4("24"));
    auto c6 = a::parse_cidr6("fd00::/64");
    REQUIRE(c6);
    CHECK(c6->prefix == 64);
    CHECK_FALSE(a::parse_cidr6("fd00::/129"));
}

TEST_CASE("mask4 and host-order conversion do CIDR arithmetic", "[common][args]") {
    CHECK(a::mask4(24) == 0xffffff00u);
    CHECK(a::mask4(0) == 0u);
    CHECK(a::mask4(32) == 0xffffffffu);
    CHECK(a::mask4(25) == 0xffffff80u);
    in_addr net = *a::parse_ipv4("10.0.2.0");
    CHECK(a::format_ipv4(a::from_host(a::to_host(net) + 100)) == "10.0.2.100");
}

TEST_CASE("parse_mac takes six colon-separated hex pairs", "[common][args]") {
    auto m = a::parse_mac("0e:D4:18:d9:38:fb");
    REQUIRE(m);
    CHECK(a::format_mac(*m) == "0e:d4:18:d9:38:fb");
    CHECK_FALSE(a::parse_mac("zz:bb"));
    CHECK_FALSE(a::parse_mac("0e:d4:18:d9:38:fb:00"));
    CHECK_FALSE(a::parse_mac("0e-d4-18-d9-38-fb"));
    CHECK_FALSE(a::parse_mac("0e:d4:18:d9:38:f"));
}

TEST_CASE("parse_bool accepts the usual spellings", "[common][args]") {
    CHECK(a::parse_bool("true") == true);
    CHECK(a::parse_bool("TRUE") == true);
    CHECK(a::parse_bool("1") == true);
    CHECK(a::parse_bool("off") == false);
    CHECK(a::parse_bool("false") == false);
    CHECK_FALSE(a::parse_bool("auto"));
    CHECK_FALSE(a::parse_bool(""));
}
