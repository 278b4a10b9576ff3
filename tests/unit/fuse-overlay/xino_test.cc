// SPDX-License-Identifier: Apache-2.0
// xino_test.cc — fsids from the layers' st_dev and the st_ino layout of Xino
#include "fuse-overlay/xino.h"

#include <catch2/catch.hpp>

using namespace ovl;

TEST_CASE("Layers on one filesystem keep their inode numbers", "[fuse-overlay][xino]") {
    Xino x({7, 7, 7});
    CHECK(x.bits() == 0);
    CHECK(x.filesystems() == 1);
    for (unsigned l = 0; l < 3; ++l)
        CHECK(x.map(l, 12345) == 12345);
    CHECK(x.map(2, ~ino_t{0}) == ~ino_t{0});
    CHECK(x.overflows() == 0);
    CHECK(Xino().map(0, 99) == 99);
}

TEST_CASE("Fsids follow the layers' order, the top layer's filesystem being 0",
          "[fuse-overlay][xino]") {
    // upper and the second lower share a filesystem; the other two lowers each have their own.
    Xino x({10, 20, 10, 30});
    CHECK(x.filesystems() == 3);
    CHECK(x.fsid(0) == 0);
    CHECK(x.fsid(1) == 1);
    CHECK(x.fsid(2) == 0);
    CHECK(x.fsid(3) == 2);
    CHECK(x.fsid(99) == 0);
}

TEST_CASE("The fsid sits in the top bits above one reserved bit, as the kernel's xino",
          "[fuse-overlay][xino]") {
    // Two filesystems: ilog2(1) + 2 = 2 bits; fsid 1 at bit 63, bit 62 reserved.
    Xino two({1, 2});
    CHECK(two.bits() == 2);
    CHECK(two.map(0, 42) == 42);
    CHECK(two.map(1, 42) == (ino_t{1} << 63 | 42));
    // Three and four filesystems: 3 bits, fsid in bits 62-63, bit 61 reserved.
    Xino three({1, 2, 3});
    CHECK(three.bits() == 3);
    CHECK(three.map(2, 5) == (ino_t{2} << 62 | 5));
    Xino four({1, 2, 3, 4});
    CHECK(four.bits() == 3);
    CHECK(four.map(3, 5) == (ino_t{3} << 62 | 5));
    // Five: 4 bits.
    CHECK(Xino({1, 2, 3, 4, 5}).bits() == 4);
}

TEST_CASE("Equal inode numbers of different filesystems map apart; each mapping is stable",
          "[fuse-overlay][xino]") {
    Xino x({1, 2, 3});
    CHECK(x.map(0, 2) != x.map(1, 2));
    CHECK(x.map(1, 2) != x.map(2, 2));
    CHECK(x.map(0, 2) != x.map(2, 2));
    CHECK(x.map(1, 2) == Xino({1, 2, 3}).map(1, 2));
    // The reserved bit is never set, so no mapped number equals another layer's raw one there.
    for (unsigned l = 0; l < 3; ++l)
        CHECK((x.map(l, 77) >> (64 - x.bits()) & 1) == 0);
}

TEST_CASE("An inode number using the high bits is shown unchanged and counted",
          "[fuse-overlay][xino]") {
    Xino x({1, 2});
    ino_t big = ino_t{1} << 62; // in the reserved bit
    CHECK(x.map(1, big) == big);
    CHECK(x.overflows() == 1);
    CHECK(x.map(1, ino_t{1} << 61) == (ino_t{1} << 63 | ino_t{1} << 61));
    CHECK(x.overflows() == 1);
}
