// SPDX-License-Identifier: Apache-2.0
// locks_test.cc — flock and OFD locks on backing fds conflict between different opens
#include "temp_tree.h"

#include <catch2/catch.hpp>

#include <sys/file.h>

using namespace ovl;
using namespace ovl::test;

TEST_CASE("flock on one open's fd excludes another open", "[fuse-overlay][locks]") {
    TempTree t(2, {{1, "f", Kind::file, "x"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    Result<common::UniqueFd> a = do_open(*ov, f, O_RDWR), b = do_open(*ov, f, O_RDWR);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(do_flock(a->get(), LOCK_EX));
    CHECK(do_flock(b->get(), LOCK_EX | LOCK_NB).error().value == EWOULDBLOCK);
    REQUIRE(do_flock(a->get(), LOCK_UN));
    CHECK(do_flock(b->get(), LOCK_SH | LOCK_NB));
}

TEST_CASE("POSIX locks go through as OFD locks on the backing fd", "[fuse-overlay][locks]") {
    TempTree t(2, {{1, "f", Kind::file, "0123456789"}});
    auto ov = t.overlay(2, {}, true);
    fuse_ino_t f = lookup_path(*ov, "f");
    Result<common::UniqueFd> a = do_open(*ov, f, O_RDWR), b = do_open(*ov, f, O_RDWR);
    REQUIRE(a);
    REQUIRE(b);
    struct flock l {};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 0;
    l.l_len = 5;
    REQUIRE(do_setlk(a->get(), l, false));
    CHECK(do_setlk(b->get(), l, false).error().value == EAGAIN);
    struct flock q = l;
    REQUIRE(do_getlk(b->get(), q));
    CHECK(q.l_type == F_WRLCK);
    l.l_start = 5; // a range nobody holds
    CHECK(do_setlk(b->get(), l, false));
    l.l_type = F_UNLCK;
    l.l_start = 0;
    REQUIRE(do_setlk(a->get(), l, false));
    q.l_type = F_WRLCK;
    q.l_start = 0;
    REQUIRE(do_getlk(b->get(), q));
    CHECK(q.l_type == F_UNLCK);
}
