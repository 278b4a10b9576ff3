// SPDX-License-Identifier: Apache-2.0
// checksum_test.cc — Internet checksum against the RFC 1071 and RFC 1624 examples
#include "slirpnet/stack/checksum.h"

#include <array>
#include <catch2/catch.hpp>

using namespace slirp;

TEST_CASE("RFC 1071 §3 example sums to ddf2", "[slirpnet][checksum]") {
    std::array<std::byte, 8> d{std::byte{0x00}, std::byte{0x01}, std::byte{0xf2}, std::byte{0x03},
                               std::byte{0xf4}, std::byte{0xf5}, std::byte{0xf6}, std::byte{0xf7}};
    CHECK(csum::fold(csum::sum16(d)) == 0xddf2);
    CHECK(csum::finish(d) == static_cast<uint16_t>(~0xddf2));
}

TEST_CASE("An odd trailing byte is padded with zero", "[slirpnet][checksum]") {
    std::array<std::byte, 3> d{std::byte{0x12}, std::byte{0x34}, std::byte{0x56}};
    CHECK(csum::fold(csum::sum16(d)) == 0x1234 + 0x5600);
}

TEST_CASE("A buffer including its own checksum verifies to zero", "[slirpnet][checksum]") {
    std::array<std::byte, 6> d{std::byte{0x45}, std::byte{0x00}, std::byte{0x00},
                               std::byte{0x1c}, std::byte{0},    std::byte{0}};
    uint16_t c = csum::finish(d);
    d[4] = std::byte(c >> 8);
    d[5] = std::byte(c & 0xff);
    CHECK(csum::finish(d) == 0);
}

TEST_CASE("RFC 1624 §4 incremental update gives the recomputed checksum", "[slirpnet][checksum]") {
    // RFC 1624 §4: HC = 0xdd2f, m = 0x5555 → m' = 0x3285 gives HC' = 0x0000 (not 0xffff).
    CHECK(csum::update16(0xdd2f, 0x5555, 0x3285) == 0x0000);
}

TEST_CASE("Pseudo-header sum covers addresses, protocol and length", "[slirpnet][checksum]") {
    CHECK(csum::pseudo4(0x0a000264, 0x0a000202, 17, 8) ==
          0x0a00u + 0x0264u + 0x0a00u + 0x0202u + 17u + 8u);
}
