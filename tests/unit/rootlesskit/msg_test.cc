// SPDX-License-Identifier: Apache-2.0
// msg_test.cc — parent↔child framing: uint32le length + JSON
#include "rootlesskit/msg.h"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace rlk;

TEST_CASE("messages are framed with a little-endian length", "[rootlesskit][msg]") {
    std::string b = msg::encode({{"Name", "ParentHello"}});
    REQUIRE(b.size() == 4 + 22);
    CHECK(b.substr(0, 4) == std::string("\x16\0\0\0", 4));
    CHECK(b.substr(4) == "{\"Name\":\"ParentHello\"}");
}

TEST_CASE("decode waits for a whole message and reports its size", "[rootlesskit][msg]") {
    std::string b = msg::encode({{"A", 1}});
    CHECK_FALSE(msg::decode(b.substr(0, 3)));
    CHECK_FALSE(msg::decode(b.substr(0, b.size() - 1)));
    size_t used = 0;
    auto j = msg::decode(b + "xx", &used);
    REQUIRE(j);
    CHECK((*j)["A"] == 1);
    CHECK(used == b.size());
}

TEST_CASE("zero and oversized lengths are rejected", "[rootlesskit][msg]") {
    CHECK_THROWS(msg::decode(std::string("\0\0\0\0", 4)));
    CHECK_THROWS(msg::decode(std::string("\xff\xff\xff\x7f", 4)));
}

TEST_CASE("send and recv over a pipe; EOF is reported as no message", "[rootlesskit][msg]") {
    int p[2];
    REQUIRE(pipe(p) == 0);
    msg::send(p[1], {{"Name", "ChildHello"}, {"DNS", {"10.0.2.3"}}});
    close(p[1]);
    auto j = msg::recv(p[0]);
    REQUIRE(j);
    CHECK((*j)["Name"] == "ChildHello");
    CHECK((*j)["DNS"][0] == "10.0.2.3");
    CHECK_FALSE(msg::recv(p[0]));
    close(p[0]);
}
