// SPDX-License-Identifier: Apache-2.0
// icmp_sock_test.cc — host-socket ICMP errors to the guest, echo flows, the quote they carry
#include "frames.h"

#include "slirpnet/stack/icmp_sock.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

namespace {

/// A loopback UDP port nothing listens on (bound, read, closed).
uint16_t closed_port() {
    common::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    return bind_loopback(fd.get());
}

} // namespace

TEST_CASE("Quote keeps the IP header and 8 payload bytes", "[slirpnet][icmp4]") {
    Bytes d = ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP,
                         udp_seg(guest_ip, 0x0a000202, 1, 2, bytes_of("0123456789")));
    std::span<const std::byte> ip(d.data() + 14, d.size() - 14);
    Quote q;
    q.set(ip);
    REQUIRE(q.len == 28);
    CHECK(std::equal(q.get().begin(), q.get().end(), ip.begin()));
    Quote tiny;
    tiny.set(ip.first(10)); // shorter than its own header: kept as it is
    CHECK(tiny.len == 10);
}

TEST_CASE("send_error_from quotes the datagram and answers its sender with TTL 255",
          "[slirpnet][icmp4]") {
    TestStack t;
    Bytes d = ipv4_frame(guest_ip, 0xc0000202, IPPROTO_UDP,
                         udp_seg(guest_ip, 0xc0000202, 4000, 5000, bytes_of("abc")));
    std::span<const std::byte> ip(d.data() + 14, d.size() - 14);
    icmp4::send_error_from(t.st, 0xc0000202, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, ip.first(28));
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_ip(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->ip.src.host() == 0xc0000202);
    CHECK(r->ip.dst.host() == guest_ip);
    CHECK(r->ip.ttl == 255);
    CHECK(csum::finish(r->l4.rest()) == 0);
    auto h = r->l4.pull<IcmpHeader>();
    REQUIRE(h);
    CHECK(h->type == ICMP_DEST_UNREACH);
    CHECK(h->code == ICMP_PORT_UNREACH);
    CHECK(r->l4.remaining() == 28);
}

TEST_CASE("No ICMP error about an ICMP error", "[slirpnet][icmp4]") {
    TestStack t;
    Bytes err(8);
    err[0] = std::byte{ICMP_DEST_UNREACH};
    Bytes d = ipv4_frame(guest_ip, 0xc0000202, IPPROTO_ICMP, err);
    std::span<const std::byte> ip(d.data() + 14, d.size() - 14);
    icmp4::send_error_from(t.st, 0xc0000202, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, ip);
    CHECK(t.sink.frames.empty());
}

TEST_CASE("UDP to a closed host loopback port comes back as port unreachable from the gateway",
          "[slirpnet][udp][icmp4]") {
    uint16_t port = closed_port();
    TestStack t;
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_UDP,
                    udp_seg(guest_ip, 0x0a000202, 40001, port, bytes_of("anyone?"))));
    REQUIRE(poll_once(t.st, 2000) == 1);
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_ip(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->ip.proto == IPPROTO_ICMP);
    CHECK(r->ip.src.host() == 0x0a000202); // not 127.0.0.1, a martian for the guest
    CHECK(r->ip.dst.host() == guest_ip);
    auto h = r->l4.pull<IcmpHeader>();
    REQUIRE(h);
    CHECK(h->type == ICMP_DEST_UNREACH);
    CHECK(h->code == ICMP_PORT_UNREACH);
    auto qip = r->l4.pull<Ipv4Header>();
    REQUIRE(qip);
    CHECK(qip->dst.host() == 0x0a000202);
    auto qudp = r->l4.pull<UdpHeader>();
    REQUIRE(qudp);
    CHECK(qudp->sport.host() == 40001);
    CHECK(qudp->dport.host() == port);
}

TEST_CASE("Echo to our own subnet or loopback is not sent anywhere", "[slirpnet][icmp4]") {
    TestStack t;
    t.in(ipv4_frame(guest_ip, 0x0a000205, IPPROTO_ICMP, icmp_echo(9, 1, bytes_of("x"))));
    t.in(ipv4_frame(guest_ip, 0x7f000001, IPPROTO_ICMP, icmp_echo(9, 1, bytes_of("x"))));
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.no_route == 2);
    for (const IcmpFlow& fl : t.st.icmp.flows)
        CHECK_FALSE(fl.used);
}
