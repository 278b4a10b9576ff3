// SPDX-License-Identifier: Apache-2.0
// arp_test.cc — ARP answers for the gateway and DNS only
#include "frames.h"

#include <catch2/catch.hpp>
#include <net/if_arp.h>

using namespace slirp;
using namespace slirp::test;

namespace {
Bytes arp_request(uint32_t target) {
    Bytes b = eth(ETHERTYPE_ARP);
    ArpPacket a{};
    a.htype = Be16::from_host(ARPHRD_ETHER);
    a.ptype = Be16::from_host(ETHERTYPE_IP);
    a.hlen = 6;
    a.plen = 4;
    a.op = Be16::from_host(ARPOP_REQUEST);
    std::memcpy(a.sha, guest_mac.data(), 6);
    uint32_t s = guest_ip;
    uint8_t spa[4] = {uint8_t(s >> 24), uint8_t(s >> 16), uint8_t(s >> 8), uint8_t(s)};
    uint8_t tpa[4] = {uint8_t(target >> 24), uint8_t(target >> 16), uint8_t(target >> 8),
                      uint8_t(target)};
    std::memcpy(a.spa, spa, 4);
    std::memcpy(a.tpa, tpa, 4);
    put(b, a);
    return b;
}
ArpPacket reply_of(const Bytes& f) {
    PacketView p(f);
    auto e = p.pull<EthHeader>();
    REQUIRE(e);
    CHECK(e->type.host() == ETHERTYPE_ARP);
    CHECK(std::memcmp(e->dst, guest_mac.data(), 6) == 0);
    auto a = p.pull<ArpPacket>();
    REQUIRE(a);
    return *a;
}
} // namespace

TEST_CASE("ARP request for the gateway gets the gateway MAC", "[slirpnet][arp]") {
    TestStack t;
    t.in(arp_request(0x0a000202));
    REQUIRE(t.sink.frames.size() == 1);
    ArpPacket a = reply_of(t.sink.frames[0]);
    CHECK(a.op.host() == ARPOP_REPLY);
    const uint8_t gw_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
    CHECK(std::memcmp(a.sha, gw_mac, 6) == 0);
    CHECK(std::memcmp(a.tha, guest_mac.data(), 6) == 0);
    const uint8_t gw[4] = {10, 0, 2, 2};
    CHECK(std::memcmp(a.spa, gw, 4) == 0);
}

TEST_CASE("ARP request for the DNS address gets the DNS MAC", "[slirpnet][arp]") {
    TestStack t;
    t.in(arp_request(0x0a000203));
    REQUIRE(t.sink.frames.size() == 1);
    const uint8_t dns_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x03};
    CHECK(std::memcmp(reply_of(t.sink.frames[0]).sha, dns_mac, 6) == 0);
}

TEST_CASE("ARP for other addresses in the subnet is not answered", "[slirpnet][arp]") {
    TestStack t;
    t.in(arp_request(0x0a000205));
    t.in(arp_request(0x0a000264));
    CHECK(t.sink.frames.empty());
}

TEST_CASE("ARP follows --cidr arithmetic", "[slirpnet][arp]") {
    TestStack t(Config::from_cidr(0x0a008780, 25));
    t.in(arp_request(0x0a008782));
    REQUIRE(t.sink.frames.size() == 1);
    const uint8_t mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x87, 0x82};
    CHECK(std::memcmp(reply_of(t.sink.frames[0]).sha, mac, 6) == 0);
}

TEST_CASE("Truncated ARP is dropped and counted", "[slirpnet][arp]") {
    TestStack t;
    Bytes f = arp_request(0x0a000202);
    f.resize(14 + 20);
    t.in(f);
    CHECK(t.sink.frames.empty());
    CHECK(t.st.cnt.malformed == 1);
}

TEST_CASE("The address plan follows --cidr", "[slirpnet][arp]") {
    Config c = Config::from_cidr(0x0a008780, 25);
    CHECK(c.gw == 0x0a008782);
    CHECK(c.dns == 0x0a008783);
    CHECK(c.guest == 0x0a0087e4); // 10.0.135.228
    CHECK(c.dhcp_start == 0x0a00878f);
    CHECK(c.mask() == 0xffffff80);
}
