// SPDX-License-Identifier: Apache-2.0
// udp_test.cc — UDP NAT through real loopback sockets: gateway → 127.0.0.1, DNS → resolver
#include "frames.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

namespace {

/// A UDP server on 127.0.0.1:<ephemeral>.
struct UdpServer {
    common::UniqueFd fd{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    uint16_t port = 0;
    UdpServer() {
        port = bind_loopback(fd.get());
        REQUIRE(port != 0);
    }
    /// Receives one datagram (waits up to 2 s); returns the payload and the sender.
    std::string recv(sockaddr_in& from) {
        pollfd p{fd.get(), POLLIN, 0};
        REQUIRE(poll(&p, 1, 2000) == 1);
        char buf[2048];
        socklen_t l = sizeof(from);
        ssize_t n = recvfrom(fd.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &l);
        REQUIRE(n >= 0);
        return std::string(buf, static_cast<size_t>(n));
    }
    bool idle() {
        pollfd p{fd.get(), POLLIN, 0};
        return poll(&p, 1, 50) == 0;
    }
};

} // namespace

TEST_CASE("UDP to the gateway reaches host loopback and the reply comes back", "[slirpnet][udp]") {
    UdpServer srv;
    TestStack t;
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP,
                    udp_seg(guest_ip, 0x0a000202, 40000, srv.port, bytes_of("ping"))));
    sockaddr_in from{};
    CHECK(srv.recv(from) == "ping");
    CHECK(ntohl(from.sin_addr.s_addr) == INADDR_LOOPBACK);
    REQUIRE(sendto(srv.fd.get(), "pong!", 5, 0, reinterpret_cast<sockaddr*>(&from), sizeof(from)) ==
            5);
    REQUIRE(poll_once(t.st, 2000) == 1);
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_ip(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->ip.src.host() == 0x0a000202);
    CHECK(r->ip.dst.host() == guest_ip);
    CHECK(csum::finish(r->l4.rest(),
                       csum::pseudo4(0x0a000202, guest_ip, IPPROTO_UDP, r->l4.remaining())) == 0);
    auto u = r->l4.pull<UdpHeader>();
    REQUIRE(u);
    CHECK(u->sport.host() == srv.port);
    CHECK(u->dport.host() == 40000);
    CHECK(r->l4.remaining() == 5);
}

TEST_CASE("The same guest flow reuses one host socket", "[slirpnet][udp]") {
    UdpServer srv;
    TestStack t;
    for (int i = 0; i < 3; ++i)
        t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP,
                        udp_seg(guest_ip, 0x0a000202, 40001, srv.port, bytes_of("x"))));
    sockaddr_in a{}, b{}, c{};
    srv.recv(a);
    srv.recv(b);
    srv.recv(c);
    CHECK(a.sin_port == b.sin_port);
    CHECK(b.sin_port == c.sin_port);
}

TEST_CASE("UDP to the gateway is dropped with --disable-host-loopback", "[slirpnet][udp]") {
    UdpServer srv;
    Config cfg = Config::from_cidr(0x0a000200, 24);
    cfg.disable_host_loopback = true;
    TestStack t(cfg);
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP,
                    udp_seg(guest_ip, 0x0a000202, 40002, srv.port, bytes_of("x"))));
    CHECK(srv.idle());
    CHECK(t.st.cnt.no_route == 1);
}

TEST_CASE("DNS to the DNS address is forwarded to the host resolver", "[slirpnet][dns]") {
    UdpServer resolver;
    TestStack t;
    t.st.cfg.dns_server = INADDR_LOOPBACK;
    t.st.cfg.dns_server_port = resolver.port;
    t.in(ipv4_frame(guest_ip, 0x0a000203, IPPROTO_UDP,
                    udp_seg(guest_ip, 0x0a000203, 5353, 53, bytes_of("query"))));
    sockaddr_in from{};
    CHECK(resolver.recv(from) == "query");
    REQUIRE(sendto(resolver.fd.get(), "answer", 6, 0, reinterpret_cast<sockaddr*>(&from),
                   sizeof(from)) == 6);
    REQUIRE(poll_once(t.st, 2000) == 1);
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_ip(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->ip.src.host() == 0x0a000203);
    CHECK(r->eth.src[5] == 0x03);
    auto u = r->l4.pull<UdpHeader>();
    REQUIRE(u);
    CHECK(u->sport.host() == 53);
}

TEST_CASE("Other ports on the DNS address and --disable-dns are refused", "[slirpnet][dns]") {
    TestStack t;
    t.st.cfg.dns_server = INADDR_LOOPBACK;
    t.in(ipv4_frame(guest_ip, 0x0a000203, IPPROTO_UDP,
                    udp_seg(guest_ip, 0x0a000203, 5353, 54, bytes_of("q"))));
    CHECK(t.st.cnt.no_route == 1);
    t.st.cfg.disable_dns = true;
    t.in(ipv4_frame(guest_ip, 0x0a000203, IPPROTO_UDP,
                    udp_seg(guest_ip, 0x0a000203, 5353, 53, bytes_of("q"))));
    CHECK(t.st.cnt.no_route == 2);
}

TEST_CASE("resolv.conf: the first IPv4 nameserver wins", "[slirpnet][dns]") {
    CHECK(dns::parse_resolv_conf("search x\nnameserver ::1\nnameserver\t127.0.0.53\n"
                                 "nameserver 8.8.8.8\n") == 0x7f000035);
    CHECK(dns::parse_resolv_conf("nameserver 10.1.2.3%eth0\n") == 0x0a010203);
    CHECK(dns::parse_resolv_conf("# nameserver 1.1.1.1\nnameservers 2.2.2.2\n") == 0);
    CHECK(dns::parse_resolv_conf("") == 0);
}

TEST_CASE("A UDP length field beyond the datagram is malformed", "[slirpnet][udp]") {
    TestStack t;
    Bytes seg = udp_seg(guest_ip, 0x0a000202, 1, 2, bytes_of("abcd"));
    seg[5] = std::byte{200};
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP, seg));
    CHECK(t.st.cnt.malformed == 1);
}

TEST_CASE("A bad UDP checksum is malformed", "[slirpnet][udp]") {
    TestStack t;
    Bytes seg = udp_seg(guest_ip, 0x0a000202, 1, 2, bytes_of("abcd"));
    seg[8] ^= std::byte{1};
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP, seg));
    CHECK(t.st.cnt.malformed == 1);
}
