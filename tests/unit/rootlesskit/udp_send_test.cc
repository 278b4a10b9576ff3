// SPDX-License-Identifier: Apache-2.0
// udp_send_test.cc — the relay's datagram sender: UDP GSO runs through a real loopback socket
// pair arrive as the datagrams they were, in order; mixed sizes; the plain fallback, forced and
// after the kernel refuses GSO
#include "rootlesskit/port/udp_send.h"

#include "common/unique_fd.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <vector>

using namespace rlk::port;
using common::UniqueFd;

namespace {

// A receiver bound on 127.0.0.1 and a sender connected to it.
struct Pair {
    UniqueFd rx, tx;
    Pair() {
        rx = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        tx = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        int buf = 4 << 20;
        setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(rx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        getsockname(rx.get(), reinterpret_cast<sockaddr*>(&a), &len);
        REQUIRE(connect(tx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
};

// Datagram k of a test: `size` bytes, every byte (k * 7 + offset) so reordering or merging shows.
struct Payloads {
    std::vector<std::vector<unsigned char>> d;
    explicit Payloads(const std::vector<size_t>& sizes) {
        for (size_t k = 0; k < sizes.size(); ++k) {
            d.emplace_back(sizes[k]);
            for (size_t o = 0; o < sizes[k]; ++o)
                d[k][o] = static_cast<unsigned char>(k * 7 + o);
        }
    }
    void load(DgramSender& s) {
        for (size_t k = 0; k < d.size(); ++k)
            s.iov[k] = {d[k].data(), d[k].size()};
    }
};

// Receives until 1 s passes without a datagram; each as its bytes.
std::vector<std::vector<unsigned char>> drain(int fd) {
    std::vector<std::vector<unsigned char>> got;
    std::vector<unsigned char> buf(65536);
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 1000) != 1)
            return got;
        ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        REQUIRE(n >= 0);
        got.emplace_back(buf.begin(), buf.begin() + n);
    }
}

} // namespace

TEST_CASE("udp send: an equal-sized run goes as one GSO message and arrives as N datagrams",
          "[rootlesskit][relay][gso]") {
    Pair p;
    std::vector<size_t> sizes(12, 1400);
    sizes.push_back(300); // a shorter last segment, as the kernel allows
    Payloads pl(sizes);
    DgramSender s;
    pl.load(s);
    bool gso_ok = true;
    CHECK(s.send(p.tx.get(), static_cast<unsigned>(sizes.size()), nullptr, 0, gso_ok) == 13);
    CHECK(gso_ok); // loopback takes UDP_SEGMENT (Linux 4.18+)
    CHECK(s.gso_messages == 1);
    CHECK(drain(p.rx.get()) == pl.d);
}

TEST_CASE("udp send: a mixed-size batch keeps every datagram's size and the order",
          "[rootlesskit][relay][gso]") {
    Pair p;
    Payloads pl(
        {1400, 1400, 1400, 500, 500, 1400, 0, 1200, 1200, 1200, 64, 9000, 9000, 9000, 9000, 1});
    DgramSender s;
    pl.load(s);
    bool gso_ok = true;
    CHECK(s.send(p.tx.get(), 16, nullptr, 0, gso_ok) == 16);
    CHECK(gso_ok);
    // [1400 1400 1400 500] [500] [1400] [0] [1200 1200 1200 64] [9000 9000 9000 9000 1]
    CHECK(s.gso_messages == 3);
    CHECK(drain(p.rx.get()) == pl.d);
}

TEST_CASE("udp send: a run longer than 64 KiB is cut into several GSO messages",
          "[rootlesskit][relay][gso]") {
    Pair p;
    Payloads pl(std::vector<size_t>(16, 9000)); // 144000 bytes: three messages of ≤ 63 KiB
    DgramSender s;
    pl.load(s);
    bool gso_ok = true;
    CHECK(s.send(p.tx.get(), 16, nullptr, 0, gso_ok) == 16);
    CHECK(s.gso_messages == 3);
    CHECK(drain(p.rx.get()) == pl.d);
}

TEST_CASE("udp send: with gso_ok false every datagram goes plainly", "[rootlesskit][relay][gso]") {
    Pair p;
    Payloads pl(std::vector<size_t>(16, 1400));
    DgramSender s;
    pl.load(s);
    bool gso_ok = false;
    CHECK(s.send(p.tx.get(), 16, nullptr, 0, gso_ok) == 16);
    CHECK(s.gso_messages == 0);
    CHECK_FALSE(gso_ok);
    CHECK(drain(p.rx.get()) == pl.d);
}

TEST_CASE("udp send: when the kernel refuses GSO the flow falls back and loses nothing",
          "[rootlesskit][relay][gso]") {
    Pair p;
    // SO_NO_CHECK (no UDP checksum) makes the kernel refuse UDP_SEGMENT with EINVAL
    int one = 1;
    REQUIRE(setsockopt(p.tx.get(), SOL_SOCKET, SO_NO_CHECK, &one, sizeof one) == 0);
    // a plain first message, then a run: sendmmsg() sends one, then the GSO message fails
    std::vector<size_t> sizes{700};
    sizes.insert(sizes.end(), 15, 1400);
    Payloads pl(sizes);
    DgramSender s;
    pl.load(s);
    bool gso_ok = true;
    CHECK(s.send(p.tx.get(), 16, nullptr, 0, gso_ok) == 16);
    CHECK_FALSE(gso_ok);
    CHECK(drain(p.rx.get()) == pl.d);
    // remembered: the next batch does not try
    pl.load(s);
    CHECK(s.send(p.tx.get(), 16, nullptr, 0, gso_ok) == 16);
    CHECK(s.gso_messages == 0);
    CHECK(drain(p.rx.get()) == pl.d);
}

TEST_CASE("udp send: an unconnected socket gets the address on every message",
          "[rootlesskit][relay][gso]") {
    Pair p;
    UniqueFd tx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_storage to{};
    socklen_t len = sizeof to;
    getsockname(p.rx.get(), reinterpret_cast<sockaddr*>(&to), &len);
    Payloads pl({1000, 1000, 1000, 10});
    DgramSender s;
    pl.load(s);
    bool gso_ok = true;
    CHECK(s.send(tx.get(), 4, &to, len, gso_ok) == 4);
    CHECK(drain(p.rx.get()) == pl.d);
}
