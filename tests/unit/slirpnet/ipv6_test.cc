// SPDX-License-Identifier: Apache-2.0
// ipv6_test.cc — --enable-ipv6: RA/NA/DHCPv6 field by field, echo, ICMPv6 errors, bad input
#include "frames.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <netinet/icmp6.h>

using namespace slirp;
using namespace slirp::test;

namespace {

const Addr all_nodes = v6_addr(0xff, 0x02, 1);
const Addr all_routers = v6_addr(0xff, 0x02, 2);
const Addr router = v6_addr(0xfd, 0x00, 2);
const Addr router_ll = v6_addr(0xfe, 0x80, 2);
const Addr dns6 = v6_addr(0xfd, 0x00, 3);

Bytes icmp6_msg(const Addr& src, const Addr& dst, uint8_t type, uint8_t code, const Bytes& body) {
    Bytes b{std::byte{type}, std::byte{code}, std::byte{0}, std::byte{0}};
    b.insert(b.end(), body.begin(), body.end());
    set_l4_csum(b, 2, src, dst, IPPROTO_ICMPV6);
    return b;
}

Bytes addr_bytes(const Addr& a) {
    Bytes b;
    for (uint8_t x : a.b)
        b.push_back(std::byte{x});
    return b;
}

Bytes raw(std::initializer_list<uint8_t> octets) {
    Bytes b;
    for (uint8_t x : octets)
        b.push_back(std::byte{x});
    return b;
}

// An 8-byte hop-by-hop or destination options header holding one PadN option.
Bytes padn_header(uint8_t next) {
    return raw({next, 0, 1, 4, 0, 0, 0, 0});
}

Bytes rs() {
    Bytes body(4, std::byte{0}); // reserved
    return ipv6_frame(guest6_ll, all_routers, IPPROTO_ICMPV6,
                      icmp6_msg(guest6_ll, all_routers, ND_ROUTER_SOLICIT, 0, body), 255);
}

Bytes ns(const Addr& src, const Addr& target, uint8_t hop = 255) {
    Bytes body(4, std::byte{0});
    Bytes t = addr_bytes(target);
    body.insert(body.end(), t.begin(), t.end());
    Addr snm = v6_addr(0xff, 0x02, target.b[15]); // solicited-node multicast
    snm.b[11] = 1;
    snm.b[12] = 0xff;
    snm.b[13] = target.b[13];
    snm.b[14] = target.b[14];
    return ipv6_frame(src, snm, IPPROTO_ICMPV6, icmp6_msg(src, snm, ND_NEIGHBOR_SOLICIT, 0, body),
                      hop);
}

uint8_t u8(std::span<const std::byte> b, size_t i) {
    return static_cast<uint8_t>(b[i]);
}
uint16_t u16(std::span<const std::byte> b, size_t i) {
    return static_cast<uint16_t>((u8(b, i) << 8) | u8(b, i + 1));
}
uint32_t u32(std::span<const std::byte> b, size_t i) {
    return (uint32_t{u16(b, i)} << 16) | u16(b, i + 2);
}
Addr addr_at(std::span<const std::byte> b, size_t i) {
    return Addr::of6(reinterpret_cast<const uint8_t*>(b.data()) + i);
}

} // namespace

TEST_CASE("IPv6 frames are ignored without --enable-ipv6", "[slirpnet][ipv6]") {
    TestStack t;
    t.in(rs());
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.unsupported == 1);
}

TEST_CASE("A Router Solicitation gets libslirp's Router Advertisement plus MTU and RDNSS",
          "[slirpnet][ipv6][ndp]") {
    Config c = TestStack::with_v6();
    c.dns_server = 0x7f000035;
    TestStack t(c);
    t.in(rs());
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_any(t.sink.frames[0]);
    REQUIRE(r);
    const uint8_t mc[6] = {0x33, 0x33, 0, 0, 0, 1};
    CHECK(std::memcmp(r->eth.dst, mc, 6) == 0);
    const uint8_t gwmac[6] = {0x52, 0x56, 0, 0, 0, 2};
    CHECK(std::memcmp(r->eth.src, gwmac, 6) == 0);
    CHECK(r->src == router_ll);
    CHECK(r->dst == all_nodes);
    CHECK(r->ttl == 255);
    CHECK(r->proto == IPPROTO_ICMPV6);
    CHECK(r->csum_ok());
    auto m = r->l4.rest();
    REQUIRE(m.size() == 16 + 8 + 32 + 8 + 24);
    CHECK(u8(m, 0) == ND_ROUTER_ADVERT);
    CHECK(u8(m, 1) == 0);
    CHECK(u8(m, 4) == 64);    // cur hop limit
    CHECK(u8(m, 5) == 0);     // M=0 O=0
    CHECK(u16(m, 6) == 1800); // router lifetime
    CHECK(u32(m, 8) == 0);    // reachable
    CHECK(u32(m, 12) == 0);   // retrans
    // source link-layer address
    CHECK(u8(m, 16) == ND_OPT_SOURCE_LINKADDR);
    CHECK(u8(m, 17) == 1);
    CHECK(std::memcmp(m.data() + 18, gwmac, 6) == 0);
    // prefix information
    CHECK(u8(m, 24) == ND_OPT_PREFIX_INFORMATION);
    CHECK(u8(m, 25) == 4);
    CHECK(u8(m, 26) == 64);
    CHECK(u8(m, 27) == 0xc0); // L, A
    CHECK(u32(m, 28) == 86400);
    CHECK(u32(m, 32) == 14400);
    CHECK(addr_at(m, 40) == v6_addr(0xfd, 0x00, 0));
    // MTU
    CHECK(u8(m, 56) == ND_OPT_MTU);
    CHECK(u8(m, 57) == 1);
    CHECK(u32(m, 60) == 1500);
    // RDNSS
    CHECK(u8(m, 64) == 25);
    CHECK(u8(m, 65) == 3);
    CHECK(u32(m, 68) == 1200);
    CHECK(addr_at(m, 72) == dns6);
}

TEST_CASE("No RDNSS without a resolver or with --disable-dns", "[slirpnet][ipv6][ndp]") {
    Config c = TestStack::with_v6();
    c.dns_server = 0x7f000035;
    c.disable_dns = GENERATE(false, true);
    if (!c.disable_dns)
        c.dns_server = 0;
    TestStack t(c);
    t.in(rs());
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_any(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->l4.remaining() == 16 + 8 + 32 + 8);
}

TEST_CASE("The timer sends an unsolicited RA at start and then every 200-600 s",
          "[slirpnet][ipv6][ndp]") {
    TestStack t(TestStack::with_v6());
    t.st.now_ms = 1000;
    timer_tick(t.st);
    REQUIRE(t.sink.frames.size() == 1);
    CHECK(t.st.next_ra_ms >= 1000 + 200'000);
    CHECK(t.st.next_ra_ms < 1000 + 600'000);
    timer_tick(t.st);
    CHECK(t.sink.frames.size() == 1);
}

TEST_CASE("Neighbor Solicitations for the router and DNS get an NA with their MAC",
          "[slirpnet][ipv6][ndp]") {
    TestStack t(TestStack::with_v6());
    struct Case {
        Addr target;
        uint8_t mac_last;
    };
    for (Case k : {Case{router, 2}, Case{router_ll, 2}, Case{dns6, 3}}) {
        t.sink.frames.clear();
        t.in(ns(guest6, k.target));
        REQUIRE(t.sink.frames.size() == 1);
        auto r = parse_any(t.sink.frames[0]);
        REQUIRE(r);
        CHECK(r->src == k.target);
        CHECK(r->dst == guest6);
        CHECK(r->ttl == 255);
        CHECK(r->csum_ok());
        CHECK(std::memcmp(r->eth.dst, guest_mac.data(), 6) == 0);
        CHECK(static_cast<uint8_t>(r->eth.src[5]) == k.mac_last);
        auto m = r->l4.rest();
        REQUIRE(m.size() == 32);
        CHECK(u8(m, 0) == ND_NEIGHBOR_ADVERT);
        CHECK(u32(m, 4) == 0xe0000000); // R, S, O
        CHECK(addr_at(m, 8) == k.target);
        CHECK(u8(m, 24) == ND_OPT_TARGET_LINKADDR);
        CHECK(u8(m, 25) == 1);
        CHECK(u8(m, 29) == 0);
        CHECK(u8(m, 30) == 0);
        CHECK(u8(m, 31) == k.mac_last);
    }
}

TEST_CASE("Other targets, DAD probes and forged hop limits get no NA", "[slirpnet][ipv6][ndp]") {
    TestStack t(TestStack::with_v6());
    t.in(ns(guest6, v6_addr(0xfd, 0x00, 5)));
    t.in(ns(Addr{}, router)); // DAD of an address the guest wants
    CHECK(t.sink.frames.empty());
    t.in(ns(guest6, router, 64));
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.malformed == 1);
}

TEST_CASE("DHCPv6 Information-request gets the DNS server as libslirp answers",
          "[slirpnet][ipv6][dhcp6]") {
    TestStack t(TestStack::with_v6());
    Addr mc = v6_addr(0xff, 0x02, 2);
    mc.b[13] = 1; // ff02::1:2
    Bytes msg{std::byte{11}, std::byte{0xab}, std::byte{0xcd}, std::byte{0xef}};
    Bytes cid = raw({0, 1, 0, 6, 0, 3, 0, 1, 0xaa, 0xbb});
    msg.insert(msg.end(), cid.begin(), cid.end());
    Bytes oro = raw({0, 6, 0, 4, 0, 24, 0, 23});
    msg.insert(msg.end(), oro.begin(), oro.end());
    t.in(ipv6_frame(guest6_ll, mc, IPPROTO_UDP, udp_seg_any(guest6_ll, mc, 546, 547, msg)));
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_any(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->src == router);
    CHECK(r->dst == guest6_ll);
    CHECK(r->proto == IPPROTO_UDP);
    CHECK(r->csum_ok());
    auto u = r->l4.pull<UdpHeader>();
    REQUIRE(u);
    CHECK(u->sport.host() == 547);
    CHECK(u->dport.host() == 546);
    auto m = r->l4.rest();
    REQUIRE(m.size() == 4 + 10 + 20);
    CHECK(u8(m, 0) == 7); // Reply
    CHECK(u8(m, 1) == 0xab);
    CHECK(u8(m, 3) == 0xef);
    CHECK(std::equal(cid.begin(), cid.end(), m.begin() + 4));
    CHECK(u16(m, 14) == 23);
    CHECK(u16(m, 16) == 16);
    CHECK(addr_at(m, 18) == dns6);
}

TEST_CASE("DHCPv6 with a truncated option or another type is dropped", "[slirpnet][ipv6][dhcp6]") {
    TestStack t(TestStack::with_v6());
    Bytes bad = raw({11, 1, 2, 3, 0, 1, 0, 50, 0});
    t.in(ipv6_frame(guest6, router, IPPROTO_UDP, udp_seg_any(guest6, router, 546, 547, bad)));
    Bytes solicit{std::byte{1}, std::byte{1}, std::byte{2}, std::byte{3}};
    t.in(ipv6_frame(guest6, router, IPPROTO_UDP, udp_seg_any(guest6, router, 546, 547, solicit)));
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.malformed == 1);
    CHECK(t.st.cnt.unsupported == 1);
}

TEST_CASE("ICMPv6 echo to the router and DNS is answered with hop limit 255",
          "[slirpnet][ipv6][icmp6]") {
    TestStack t(TestStack::with_v6());
    for (const Addr& dst : {router, dns6, router_ll}) {
        t.sink.frames.clear();
        Bytes body = raw({0x12, 0x34, 0, 7, 'h', 'i'});
        t.in(ipv6_frame(guest6, dst, IPPROTO_ICMPV6,
                        icmp6_msg(guest6, dst, ICMP6_ECHO_REQUEST, 0, body)));
        REQUIRE(t.sink.frames.size() == 1);
        auto r = parse_any(t.sink.frames[0]);
        REQUIRE(r);
        CHECK(r->src == dst);
        CHECK(r->dst == guest6);
        CHECK(r->ttl == 255);
        CHECK(r->csum_ok());
        auto m = r->l4.rest();
        CHECK(u8(m, 0) == ICMP6_ECHO_REPLY);
        CHECK(u16(m, 4) == 0x1234);
        CHECK(u16(m, 6) == 7);
        CHECK(u8(m, 9) == 'i');
    }
    CHECK(t.st.guest6 == guest6);
}

TEST_CASE("Malformed IPv6 is dropped and counted", "[slirpnet][ipv6]") {
    TestStack t(TestStack::with_v6());
    Bytes echo = icmp6_msg(guest6, router, ICMP6_ECHO_REQUEST, 0, Bytes(8, std::byte{1}));
    SECTION("payload length beyond the frame") {
        Bytes f = ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo);
        f.resize(f.size() - 4);
        t.in(f);
        CHECK(t.st.cnt.malformed == 1);
    }
    SECTION("a bad ICMPv6 checksum") {
        Bytes e = echo;
        e[2] ^= std::byte{1};
        t.in(ipv6_frame(guest6, router, IPPROTO_ICMPV6, e));
        CHECK(t.st.cnt.malformed == 1);
    }
    SECTION("a chain of destination options longer than we walk") {
        Bytes ext;
        for (int i = 0; i < 12; ++i) {
            Bytes h = padn_header(IPPROTO_DSTOPTS);
            ext.insert(ext.end(), h.begin(), h.end());
        }
        ext[ext.size() - 8] = std::byte{IPPROTO_ICMPV6};
        t.in(ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo, 64, ext, IPPROTO_DSTOPTS));
        CHECK(t.st.cnt.malformed == 1);
    }
    SECTION("an extension header running past the payload") {
        Bytes ext = raw({IPPROTO_ICMPV6, 200, 0, 0, 0, 0, 0, 0});
        t.in(ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo, 64, ext, IPPROTO_ROUTING));
        CHECK(t.st.cnt.malformed == 1);
    }
    SECTION("hop-by-hop after the first header") {
        Bytes ext =
            raw({IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, IPPROTO_ICMPV6, 0, 1, 4, 0, 0, 0, 0});
        t.in(ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo, 64, ext, IPPROTO_DSTOPTS));
        CHECK(t.st.cnt.malformed == 1);
    }
    SECTION("a truncated header") {
        Bytes f = ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo);
        f.resize(14 + 20);
        t.in(f);
        CHECK(t.st.cnt.malformed == 1);
    }
    SECTION("a fragment is counted as such") {
        Bytes ext = raw({IPPROTO_ICMPV6, 0, 0, 1, 0, 0, 0, 9});
        t.in(ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo, 64, ext, IPPROTO_FRAGMENT));
        CHECK(t.st.cnt.fragments == 1);
        CHECK(t.st.cnt.malformed == 0);
    }
    CHECK(t.sink.frames.empty());
}

TEST_CASE("Walked extension headers still reach the transport", "[slirpnet][ipv6]") {
    TestStack t(TestStack::with_v6());
    Bytes echo = icmp6_msg(guest6, router, ICMP6_ECHO_REQUEST, 0, Bytes(8, std::byte{1}));
    Bytes ext = raw({IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0, IPPROTO_ICMPV6, 0, 1, 4, 0, 0, 0, 0});
    t.in(ipv6_frame(guest6, router, IPPROTO_ICMPV6, echo, 64, ext, IPPROTO_HOPOPTS));
    CHECK(t.sink.frames.size() == 1);
}

TEST_CASE("ICMPv6 checksums cover the pseudo-header", "[slirpnet][ipv6][checksum]") {
    // RFC 8200 §8.1: the same message from another source must not verify
    Bytes e = icmp6_msg(guest6, router, ICMP6_ECHO_REQUEST, 0, Bytes(3, std::byte{7}));
    CHECK(csum::finish(e, csum::pseudo(guest6, router, IPPROTO_ICMPV6, e.size())) == 0);
    CHECK(csum::finish(e, csum::pseudo(guest6_ll, router, IPPROTO_ICMPV6, e.size())) != 0);
    // pseudo() of v4-mapped addresses is the IPv4 pseudo-header
    CHECK(csum::pseudo(Addr::of4(1), Addr::of4(2), 6, 20) == csum::pseudo4(1, 2, 6, 20));
}

TEST_CASE(
    "A packet-too-big error reaches the guest with the MTU and as much of its datagram as fits",
    "[slirpnet][ipv6][icmp6]") {
    TestStack t(TestStack::with_v6());
    Addr host = v6_addr(0x20, 0x01, 9); // the router on the host's path that reported it
    Addr remote = v6_addr(0x20, 0x01, 1);
    Bytes payload(1400, std::byte{'p'});
    Bytes frame =
        ipv6_frame(guest6, remote, IPPROTO_UDP, udp_seg_any(guest6, remote, 40000, 4000, payload));
    t.in(frame); // the guest's MAC is learnt; the flow's send is what the host reports on
    t.sink.frames.clear();
    std::span<const std::byte> datagram(frame.data() + sizeof(EthHeader),
                                        frame.size() - sizeof(EthHeader));
    icmp6::send_error_from(t.st, host, ICMP6_PACKET_TOO_BIG, 0, 1280, datagram);
    REQUIRE(t.sink.frames.size() == 1);
    auto r = parse_any(t.sink.frames[0]);
    REQUIRE(r);
    CHECK(r->src == host);
    CHECK(r->dst == guest6);
    CHECK(r->proto == IPPROTO_ICMPV6);
    CHECK(r->ttl == 255);
    CHECK(r->csum_ok());
    auto m = r->l4.rest();
    CHECK(u8(m, 0) == ICMP6_PACKET_TOO_BIG);
    CHECK(u8(m, 1) == 0);
    CHECK(u32(m, 4) == 1280);
    // RFC 4443 §2.4(c): the whole error fits in the minimum MTU, quoting the guest's header
    CHECK(m.size() + sizeof(Ipv6Header) == 1280);
    CHECK(addr_at(m, 8 + 8) == guest6);
    CHECK(addr_at(m, 8 + 24) == remote);
    // never about an error: a quoted ICMPv6 error gets nothing back
    t.sink.frames.clear();
    Bytes err_frame = ipv6_frame(guest6, remote, IPPROTO_ICMPV6,
                                 icmp6_msg(guest6, remote, ICMP6_DST_UNREACH, 4, Bytes(48)));
    icmp6::send_error_from(t.st, host, ICMP6_PACKET_TOO_BIG, 0, 1280,
                           std::span<const std::byte>(err_frame).subspan(sizeof(EthHeader)));
    CHECK(t.sink.frames.empty());
}
