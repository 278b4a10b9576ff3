// SPDX-License-Identifier: Apache-2.0
// unix_sock_test.cc — listen replaces a stale socket file, dial connects, long paths are refused
#include "common/unix_sock.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/unix_sock_test.XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        (void)::unlink((path + "/s").c_str());
        (void)::rmdir(path.c_str());
    }
};

} // namespace

TEST_CASE("listen over a stale socket file, dial it, and pass bytes", "[common][unix_sock]") {
    TempDir dir;
    const std::string path = dir.path + "/s";
    {
        common::UniqueFd stale = common::unix_sock::listen(path, 4, 0, "t");
    } // leaves the file behind
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    common::UniqueFd l = common::unix_sock::listen(path, 4, SOCK_NONBLOCK, "t");
    CHECK((::fcntl(l.get(), F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(l.get(), F_GETFD) & FD_CLOEXEC) != 0);

    common::Result<common::UniqueFd> c = common::unix_sock::dial(path);
    REQUIRE(c);
    CHECK((::fcntl(c->get(), F_GETFD) & FD_CLOEXEC) != 0);
    common::UniqueFd a(::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(a);
    REQUIRE(::write(c->get(), "hi", 2) == 2);
    char buf[2];
    REQUIRE(::read(a.get(), buf, 2) == 2);
    CHECK(std::string(buf, 2) == "hi");
}

TEST_CASE("dial reports a missing socket and an over-long path", "[common][unix_sock]") {
    TempDir dir;
    common::Result<common::UniqueFd> missing = common::unix_sock::dial(dir.path + "/s");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().value == ENOENT);

    const std::string at_limit(common::unix_sock::max_path, 'a');
    const std::string too_long = at_limit + "b";
    common::Result<common::UniqueFd> long_dial = common::unix_sock::dial(too_long);
    REQUIRE_FALSE(long_dial);
    CHECK(long_dial.error().value == ENAMETOOLONG);
    try {
        (void)common::unix_sock::listen(too_long, 1, 0, "listen unix " + too_long);
        FAIL("listen accepted a path longer than sun_path");
    } catch (const common::SysError& e) {
        CHECK(e.err() == ENAMETOOLONG);
        CHECK(e.message() == "listen unix " + too_long + ": bind");
    }
}
