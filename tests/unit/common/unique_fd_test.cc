// SPDX-License-Identifier: Apache-2.0
// unique_fd_test.cc — ownership, moves and cloexec helpers of UniqueFd
#include "common/unique_fd.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

using common::UniqueFd;

namespace {
bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) >= 0;
}
} // namespace

TEST_CASE("UniqueFd closes its fd when destroyed", "[common][unique_fd]") {
    int raw;
    {
        common::FdPair p = common::pipe_cloexec();
        raw = p.first.get();
        REQUIRE(is_open(raw));
    }
    CHECK_FALSE(is_open(raw));
}

TEST_CASE("UniqueFd moves ownership and release gives it up", "[common][unique_fd]") {
    common::FdPair p = common::pipe_cloexec();
    int raw = p.first.get();
    UniqueFd moved(std::move(p.first));
    CHECK_FALSE(p.first);
    CHECK(moved.get() == raw);
    int released = moved.release();
    CHECK_FALSE(moved);
    CHECK(is_open(released));
    ::close(released);
}

TEST_CASE("UniqueFd reset closes the old fd and move-assignment closes the target",
          "[common][unique_fd]") {
    common::FdPair a = common::pipe_cloexec();
    common::FdPair b = common::pipe_cloexec();
    int old_a = a.first.get();
    a.first = std::move(b.first);
    CHECK_FALSE(is_open(old_a));
    int cur = a.first.get();
    a.first.reset();
    CHECK_FALSE(is_open(cur));
    CHECK(a.first.get() == -1);
}

TEST_CASE("pipe_cloexec and socketpair_cloexec set FD_CLOEXEC", "[common][unique_fd]") {
    common::FdPair p = common::pipe_cloexec(O_NONBLOCK);
    CHECK((::fcntl(p.first.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(p.second.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(p.first.get(), F_GETFL) & O_NONBLOCK) != 0);
    common::FdPair s = common::socketpair_cloexec(SOCK_STREAM);
    CHECK((::fcntl(s.first.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(::write(s.first.get(), "x", 1) == 1);
    char c = 0;
    CHECK(::read(s.second.get(), &c, 1) == 1);
    CHECK(c == 'x');
}
