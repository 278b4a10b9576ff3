// SPDX-License-Identifier: Apache-2.0
// ndp.cc — Router Advertisements and Neighbor Advertisements for the router and DNS addresses
//
// Theory of operation (RFC 4861, libslirp's ndp_input/ndp_send_ra): the guest configures
// itself by SLAAC (RFC 4862) from our Router Advertisement, sent to all nodes (ff02::1) from
// fe80::2 in answer to a Router Solicitation, once at start and then every 200–600 s:
// hop limit 64, M=0 O=0, router lifetime 1800 s, reachable/retrans 0, the source link-layer
// address option (52:56:00:00:00:02), prefix information fd00::/64 with L=1 A=1, valid
// 86400 s and preferred 14400 s (all as libslirp 4.7 sends them), plus an MTU option with our
// MTU and an RDNSS option (RFC 8106) naming fd00::3 whenever a host resolver is known (libslirp
// sends RDNSS only for an IPv6 host resolver and with a lifetime of 1 200 000 s, a ms/s slip;
// ours is 1200 s, twice the longest RA interval, as RFC 8106 §5.1 asks). Neighbor
// Solicitations are answered only for the router (fd00::2, fe80::2) and DNS (fd00::3)
// addresses, with R=1 S=1 O=1 and the target link-layer address option; Duplicate Address
// Detection probes (unspecified source) are not answered, so the guest's own address is
// never contested. Messages must come with hop limit 255 and code 0 (RFC 4861 §6.1.1, §7.1.1).

#include "slirpnet/stack/icmp_sock.h"
#include "slirpnet/stack/stack.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <random>
#include <sys/random.h>

namespace slirp::ndp {

namespace {

// clang-format off
constexpr uint8_t  ra_hop_limit       = 64;
constexpr uint16_t ra_router_lifetime = 1800;  ///< s
constexpr uint32_t ra_valid_lifetime  = 86400; ///< s
constexpr uint32_t ra_pref_lifetime   = 14400; ///< s
constexpr uint32_t ra_rdnss_lifetime  = 1200;  ///< s: 2 × the longest RA interval
constexpr uint64_t ra_min_interval_ms = 200'000, ra_max_interval_ms = 600'000;
// clang-format on

void put8(FrameBuf& f, uint8_t v) noexcept {
    std::byte b{v};
    f.append(std::span<const std::byte>(&b, 1));
}
void put16(FrameBuf& f, uint16_t v) noexcept {
    Be16 b = Be16::from_host(v);
    f.append_struct(b);
}
void put32(FrameBuf& f, uint32_t v) noexcept {
    Be32 b = Be32::from_host(v);
    f.append_struct(b);
}
void put_addr(FrameBuf& f, const Addr& a) noexcept {
    f.append(std::as_bytes(std::span<const uint8_t>(a.b.data(), 16)));
}
void put_lladdr(FrameBuf& f, uint8_t type, const common::Mac& m) noexcept {
    put8(f, type);
    put8(f, 1); // length in units of 8 octets
    f.append(std::as_bytes(std::span<const uint8_t>(m.data(), 6)));
}

uint64_t next_interval_ms() noexcept {
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
        r = 0;
    return ra_min_interval_ms + r % (ra_max_interval_ms - ra_min_interval_ms);
}

} // namespace

void send_ra(Stack& st) noexcept {
    const Config& c = st.cfg;
    st.next_ra_ms = st.now_ms + next_interval_ms();
    FrameBuf& f = st.out;
    f.reset();
    put8(f, ND_ROUTER_ADVERT);
    put8(f, 0);  // code
    put16(f, 0); // checksum
    put8(f, ra_hop_limit);
    put8(f, 0); // M=0 O=0: addresses by SLAAC, other configuration by RDNSS (or DHCPv6)
    put16(f, ra_router_lifetime);
    put32(f, 0); // reachable time: unspecified
    put32(f, 0); // retrans timer: unspecified
    put_lladdr(f, ND_OPT_SOURCE_LINKADDR, c.gw6_mac);
    put8(f, ND_OPT_PREFIX_INFORMATION);
    put8(f, 4);
    put8(f, 64);
    put8(f, ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO);
    put32(f, ra_valid_lifetime);
    put32(f, ra_pref_lifetime);
    put32(f, 0); // reserved
    put_addr(f, c.prefix6);
    put8(f, ND_OPT_MTU);
    put8(f, 1);
    put16(f, 0);
    put32(f, c.mtu);
    if (!c.disable_dns && (c.has_dns_server_any || c.dns_server != 0)) {
        put8(f, 25); // RDNSS, RFC 8106 §5.1
        put8(f, 3);
        put16(f, 0);
        put32(f, ra_rdnss_lifetime);
        put_addr(f, c.dns6);
    }
    Addr all_nodes = v6_addr(0xff, 0x02, 1);
    icmp6::set_csum(f, c.gw6_ll, all_nodes);
    ipv6::output(st, f, c.gw6_ll, all_nodes, IPPROTO_ICMPV6, 255);
}

void input(Stack& st, const IpInfo& ip, PacketView p) noexcept {
    auto h = p.peek<Icmp6Header>();
    if (!h || h->code != 0 || ip.ttl != 255) {
        ++st.cnt.malformed;
        return;
    }
    const Config& c = st.cfg;
    if (h->type == ND_ROUTER_SOLICIT) {
        send_ra(st);
        return;
    }
    // Neighbor Solicitation: 8-byte header, then the 16-byte target
    if (p.remaining() < sizeof(Icmp6Header) + 16) {
        ++st.cnt.malformed;
        return;
    }
    Addr target = Addr::of6(reinterpret_cast<const uint8_t*>(p.rest().data()) + 8);
    bool ours = target == c.gw6 || target == c.gw6_ll || (target == c.dns6 && !c.disable_dns);
    if (!ours || ip.src.is_unspecified6() || target.is_multicast6())
        return; // not ours, or Duplicate Address Detection of the guest's own address
    FrameBuf& f = st.out;
    f.reset();
    put8(f, ND_NEIGHBOR_ADVERT);
    put8(f, 0);
    put16(f, 0);
    put32(f, 0xe0000000); // Router, Solicited, Override
    put_addr(f, target);
    put_lladdr(f, ND_OPT_TARGET_LINKADDR, target == c.dns6 ? c.dns6_mac : c.gw6_mac);
    icmp6::set_csum(f, target, ip.src);
    ipv6::output(st, f, target, ip.src, IPPROTO_ICMPV6, 255);
}

} // namespace slirp::ndp
