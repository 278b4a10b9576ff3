// SPDX-License-Identifier: Apache-2.0
// ipv4_test.cc — IPv4 validation and ICMP echo for the gateway and DNS addresses
#include "frames.h"

#include <catch2/catch.hpp>

using namespace slirp;
using namespace slirp::test;

TEST_CASE("Ping to the gateway is answered locally with the same payload", "[slirpnet][icmp4]") {
    TestStack t;
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(77, 3, bytes_of("hello"))));
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_ip(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->ip.src.host() == 0x0a000202);
    CHECK(r->ip.dst.host() == guest_ip);
    CHECK(r->ip.ttl == 255);
    CHECK(csum::finish(std::as_bytes(std::span<const Ipv4Header, 1>(&r->ip, 1))) == 0);
    CHECK(csum::finish(r->l4.rest()) == 0);
    auto h = r->l4.pull<IcmpHeader>();
    REQUIRE(h);
    CHECK(h->type == 0);
    CHECK(h->id.host() == 77);
    CHECK(h->seq.host() == 3);
    CHECK(r->l4.remaining() == 5);
}

TEST_CASE("Ping to the DNS address is answered from the DNS MAC", "[slirpnet][icmp4]") {
    TestStack t;
    t.in(ipv4_frame(guest_ip, 0x0a000203, IPPROTO_ICMP, icmp_echo(1, 1, {})));
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_ip(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->eth.src[5] == 0x03);
}

TEST_CASE("Ping to the gateway is answered even with --disable-host-loopback",
          "[slirpnet][icmp4]") {
    Config c = Config::from_cidr(0x0a000200, 24);
    c.disable_host_loopback = true;
    TestStack t(c);
    t.in(ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(1, 1, {})));
    CHECK(t.sink.frames.size() == 1);
}

TEST_CASE("A bad IPv4 header checksum drops the frame and counts it", "[slirpnet][ipv4]") {
    TestStack t;
    Bytes f = ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(1, 1, {}));
    f[14 + 10] ^= std::byte{0xff};
    t.in(f);
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.malformed == 1);
}

TEST_CASE("A total length beyond the frame is malformed", "[slirpnet][ipv4]") {
    TestStack t;
    Bytes f = ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(1, 1, {}));
    f.resize(f.size() - 4);
    t.in(f);
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.malformed == 1);
}

TEST_CASE("Ethernet padding after the datagram is ignored", "[slirpnet][ipv4]") {
    TestStack t;
    Bytes f = ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(1, 1, {}));
    f.resize(f.size() + 18);
    t.in(f);
    CHECK(t.sink.frames.size() == 1);
}

TEST_CASE("Fragments and unknown protocols are dropped as unsupported", "[slirpnet][ipv4]") {
    TestStack t;
    Bytes frag = ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(1, 1, {}));
    frag[14 + 6] = std::byte{0x20}; // MF
    // fix the header checksum
    frag[14 + 10] = frag[14 + 11] = std::byte{0};
    uint16_t c = csum::finish(std::span<const std::byte>(frag).subspan(14, 20));
    frag[14 + 10] = std::byte(c >> 8);
    frag[14 + 11] = std::byte(c & 0xff);
    t.in(frag);
    t.in(ipv4_frame(guest_ip, 0x0a000202, 47 /* GRE */, bytes_of("xxxx")));
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.unsupported == 2);
    CHECK(t.st.cnt.malformed == 0);
}

TEST_CASE("Random and truncated frames never crash and are counted", "[slirpnet][ipv4]") {
    TestStack t;
    Bytes good = ipv4_frame(guest_ip, 0x0a000202, IPPROTO_ICMP, icmp_echo(1, 1, bytes_of("abc")));
    for (size_t len = 0; len < good.size(); ++len)
        t.in(Bytes(good.begin(), good.begin() + static_cast<long>(len)));
    uint32_t x = 12345;
    for (int i = 0; i < 2000; ++i) {
        Bytes f(static_cast<size_t>(i % 200));
        for (auto& b : f) {
            x = x * 1103515245 + 12345;
            b = std::byte(x >> 16);
        }
        if (f.size() > 13 && i % 2 == 0) {
            f[12] = std::byte{0x08};
            f[13] = std::byte{0x00};
        }
        t.in(f);
    }
    CHECK(t.st.cnt.frames_in == good.size() + 2000);
    CHECK(t.st.cnt.malformed > 0);
}
