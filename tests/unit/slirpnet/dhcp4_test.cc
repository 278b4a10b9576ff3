// SPDX-License-Identifier: Apache-2.0
// dhcp4_test.cc — DHCP: pool from +15, one-day leases, router and DNS options
#include "frames.h"

#include <catch2/catch.hpp>
#include <map>

using namespace slirp;
using namespace slirp::test;

namespace {

Bytes dhcp_msg(uint8_t type, const common::Mac& mac, uint32_t req_ip = 0) {
    DhcpHeader h{};
    h.op = 1;
    h.htype = 1;
    h.hlen = 6;
    h.xid = Be32::from_host(0x12345678);
    std::memcpy(h.chaddr, mac.data(), 6);
    h.magic = Be32::from_host(0x63825363);
    Bytes b;
    put(b, h);
    b.push_back(std::byte{53});
    b.push_back(std::byte{1});
    b.push_back(std::byte{type});
    if (req_ip != 0) {
        b.push_back(std::byte{50});
        b.push_back(std::byte{4});
        for (int s = 24; s >= 0; s -= 8)
            b.push_back(std::byte(req_ip >> s));
    }
    b.push_back(std::byte{255});
    Bytes f = ipv4_frame(0, 0xffffffff, IPPROTO_UDP, udp_seg(0, 0xffffffff, 68, 67, b));
    return f;
}

struct Reply {
    DhcpHeader h;
    std::map<uint8_t, Bytes> opts;
};
Reply parse_reply(const Bytes& f) {
    auto r = parse_ip(f);
    REQUIRE(r);
    CHECK(r->ip.src.host() == 0x0a000202);
    CHECK(r->ip.dst.host() == 0xffffffff);
    auto u = r->l4.pull<UdpHeader>();
    REQUIRE(u);
    CHECK(u->sport.host() == 67);
    CHECK(u->dport.host() == 68);
    auto h = r->l4.pull<DhcpHeader>();
    REQUIRE(h);
    Reply rep{*h, {}};
    auto o = r->l4.rest();
    for (size_t i = 0; i < o.size() && o[i] != std::byte{255};) {
        uint8_t code = static_cast<uint8_t>(o[i]);
        if (code == 0) {
            ++i;
            continue;
        }
        size_t len = static_cast<uint8_t>(o[i + 1]);
        rep.opts[code] =
            Bytes(o.begin() + static_cast<long>(i + 2), o.begin() + static_cast<long>(i + 2 + len));
        i += 2 + len;
    }
    return rep;
}
uint32_t be32(const Bytes& b) {
    REQUIRE(b.size() == 4);
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

} // namespace

TEST_CASE("DHCPDISCOVER gets an offer of 10.0.2.15 with router and DNS", "[slirpnet][dhcp4]") {
    TestStack t;
    t.in(dhcp_msg(1, guest_mac));
    REQUIRE(t.sink.frames.size() == 1);
    Reply r = parse_reply(t.sink.frames[0]);
    CHECK(r.h.op == 2);
    CHECK(r.h.xid.host() == 0x12345678);
    CHECK(r.h.yiaddr.host() == 0x0a00020f);
    CHECK(r.opts[53] == Bytes{std::byte{2}});
    CHECK(be32(r.opts[54]) == 0x0a000202);
    CHECK(be32(r.opts[51]) == 86400);
    CHECK(be32(r.opts[1]) == 0xffffff00);
    CHECK(be32(r.opts[3]) == 0x0a000202);
    CHECK(be32(r.opts[6]) == 0x0a000203);
}

TEST_CASE("DHCPREQUEST for the offered address is acknowledged", "[slirpnet][dhcp4]") {
    TestStack t;
    t.in(dhcp_msg(1, guest_mac));
    t.in(dhcp_msg(3, guest_mac, 0x0a00020f));
    REQUIRE(t.sink.frames.size() == 2);
    Reply r = parse_reply(t.sink.frames[1]);
    CHECK(r.opts[53] == Bytes{std::byte{5}});
    CHECK(r.h.yiaddr.host() == 0x0a00020f);
}

TEST_CASE("DHCPREQUEST for a foreign address is refused", "[slirpnet][dhcp4]") {
    TestStack t;
    t.in(dhcp_msg(3, guest_mac, 0x0a000264));
    REQUIRE(t.sink.frames.size() == 1);
    CHECK(parse_reply(t.sink.frames[0]).opts[53] == Bytes{std::byte{6}});
}

TEST_CASE("Each client MAC gets its own lease, 16 in all", "[slirpnet][dhcp4]") {
    TestStack t;
    for (uint8_t i = 0; i < 17; ++i) {
        common::Mac m = guest_mac;
        m[5] = i;
        t.in(dhcp_msg(1, m));
    }
    REQUIRE(t.sink.frames.size() == 16);
    CHECK(parse_reply(t.sink.frames[1]).h.yiaddr.host() == 0x0a000210);
    CHECK(parse_reply(t.sink.frames[15]).h.yiaddr.host() == 0x0a00021e); // +30
}

TEST_CASE("--disable-dns leaves the DNS option out", "[slirpnet][dhcp4]") {
    Config c = Config::from_cidr(0x0a000200, 24);
    c.disable_dns = true;
    TestStack t(c);
    t.in(dhcp_msg(1, guest_mac));
    REQUIRE(t.sink.frames.size() == 1);
    CHECK(parse_reply(t.sink.frames[0]).opts.count(6) == 0);
}

TEST_CASE("A DHCP message without the magic cookie is malformed", "[slirpnet][dhcp4]") {
    TestStack t;
    Bytes f = dhcp_msg(1, guest_mac);
    f[14 + 20 + 8 + 236] = std::byte{0};
    // recompute UDP checksum: simplest is to zero it (allowed for IPv4)
    f[14 + 20 + 6] = f[14 + 20 + 7] = std::byte{0};
    t.in(f);
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.malformed == 1);
}
