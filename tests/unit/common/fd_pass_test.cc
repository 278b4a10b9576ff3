// SPDX-License-Identifier: Apache-2.0
// fd_pass_test.cc — passing fds with and without payload over a socket pair
#include "common/fd_pass.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

TEST_CASE("send_fd and recv_fd pass a working cloexec fd", "[common][fd_pass]") {
    common::FdPair sock = common::socketpair_cloexec(SOCK_STREAM);
    common::FdPair pipe = common::pipe_cloexec();
    REQUIRE(common::send_fd(sock.first.get(), pipe.second.get()));
    common::Result<common::UniqueFd> got = common::recv_fd(sock.second.get());
    REQUIRE(got);
    CHECK((::fcntl(got->get(), F_GETFD) & FD_CLOEXEC) != 0);
    REQUIRE(::write(got->get(), "ok", 2) == 2);
    char buf[2];
    REQUIRE(::read(pipe.first.get(), buf, 2) == 2);
    CHECK(std::memcmp(buf, "ok", 2) == 0);
}

TEST_CASE("recv_fd returns the payload bytes", "[common][fd_pass]") {
    common::FdPair sock = common::socketpair_cloexec(SOCK_SEQPACKET);
    common::FdPair pipe = common::pipe_cloexec();
    const char msg[] = "tap0";
    REQUIRE(common::send_fd(sock.first.get(), pipe.first.get(),
                            std::as_bytes(std::span<const char>(msg, 4))));
    std::byte buf[16];
    size_t len = 0;
    common::Result<common::UniqueFd> got = common::recv_fd(sock.second.get(), buf, &len);
    REQUIRE(got);
    REQUIRE(len == 4);
    CHECK(std::memcmp(buf, "tap0", 4) == 0);
}

TEST_CASE("recv_fd reports a message without an fd as EBADMSG", "[common][fd_pass]") {
    common::FdPair sock = common::socketpair_cloexec(SOCK_STREAM);
    REQUIRE(::write(sock.first.get(), "x", 1) == 1);
    common::Result<common::UniqueFd> got = common::recv_fd(sock.second.get());
    REQUIRE_FALSE(got);
    CHECK(got.error().value == EBADMSG);
}

TEST_CASE("recv_fd reports a closed peer as ECONNRESET", "[common][fd_pass]") {
    common::FdPair sock = common::socketpair_cloexec(SOCK_STREAM);
    sock.first.reset();
    common::Result<common::UniqueFd> got = common::recv_fd(sock.second.get());
    REQUIRE_FALSE(got);
    CHECK(got.error().value == ECONNRESET);
}

TEST_CASE("send_fd on a closed socket fails with the errno", "[common][fd_pass]") {
    common::FdPair sock = common::socketpair_cloexec(SOCK_STREAM);
    common::FdPair pipe = common::pipe_cloexec();
    sock.second.reset();
    common::Result<void> r = common::send_fd(sock.first.get(), pipe.first.get());
    REQUIRE_FALSE(r);
    CHECK(r.error().value == EPIPE);
}
