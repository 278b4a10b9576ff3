// SPDX-License-Identifier: Apache-2.0
// icmp6.cc — ICMPv6 from the guest: echo, NDP demux; ICMPv6 errors to the guest
//
// Theory of operation (RFC 4443): every message's checksum (with the IPv6 pseudo-header) is
// checked first. Echo requests to the router (fd00::2, fe80::2) or DNS (fd00::3) address are
// answered here with hop limit 255, as libslirp does; to any other address they go out through
// a host ICMPv6 socket (icmp_sock.cc, the same flows as ICMPv4 echo). Router and Neighbor
// Solicitations go to ndp.cc. Errors we send quote the guest datagram's header and first
// bytes (never about an ICMPv6 error, RFC 4443 §2.4(e)), from the router address of the
// guest's scope.

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/icmp_sock.h"
#include "slirpnet/stack/stack.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <algorithm>

namespace slirp::icmp6 {

void set_csum(FrameBuf& f, const Addr& src, const Addr& dst) noexcept {
    auto d = f.mutable_data();
    if (d.size() < sizeof(Icmp6Header))
        return;
    d[2] = d[3] = std::byte{0};
    Be16 c = Be16::from_host(
        csum::finish(d, csum::pseudo6(src.b.data(), dst.b.data(), IPPROTO_ICMPV6, d.size())));
    std::memcpy(d.data() + 2, &c, 2);
}

void input(Stack& st, const IpInfo& ip, PacketView p) noexcept {
    auto body = p.rest();
    auto h = p.peek<Icmp6Header>();
    if (!h || csum::finish(body, csum::pseudo6(ip.src.b.data(), ip.dst.b.data(), IPPROTO_ICMPV6,
                                               body.size())) != 0) {
        ++st.cnt.malformed;
        return;
    }
    switch (h->type) {
    case ND_ROUTER_SOLICIT:
    case ND_NEIGHBOR_SOLICIT:
        ndp::input(st, ip, p);
        return;
    case ICMP6_ECHO_REQUEST:
        break;
    default:
        ++st.cnt.unsupported; // NA, RA from the guest, MLD reports, errors: nothing to do
        return;
    }
    if (h->code != 0 || body.size() < sizeof(IcmpHeader)) {
        ++st.cnt.malformed;
        return;
    }
    const Config& c = st.cfg;
    if (ip.dst != c.gw6 && ip.dst != c.gw6_ll && ip.dst != c.dns6) {
        icmp4::echo_out(st, ip, body);
        return;
    }
    FrameBuf& f = st.out;
    f.reset();
    f.append(body);
    f.mutable_data()[0] = std::byte{ICMP6_ECHO_REPLY};
    set_csum(f, ip.dst, ip.src);
    ipv6::output(st, f, ip.dst, ip.src, IPPROTO_ICMPV6, 255);
}

void send_error_from(Stack& st, const Addr& src, uint8_t type, uint8_t code, uint32_t info,
                     std::span<const std::byte> orig) noexcept {
    auto oh = PacketView(orig).peek<Ipv6Header>();
    if (!oh || (oh->ver_tc_flow.host() >> 28) != 6)
        return;
    Addr dst = Addr::of6(oh->src);
    if (dst.is_unspecified6() || dst.is_multicast6())
        return; // RFC 4443 §2.4(e)
    if (oh->next == IPPROTO_ICMPV6) {
        // Never an error about an error; echo requests and NDP are fine to quote.
        if (orig.size() <= sizeof(Ipv6Header) ||
            (static_cast<uint8_t>(orig[sizeof(Ipv6Header)]) & 0x80) == 0)
            return;
    }
    FrameBuf& f = st.out;
    f.reset();
    Icmp6Header h{};
    h.type = type;
    h.code = code;
    h.data = Be32::from_host(info);
    f.append_struct(h);
    // RFC 4443 §2.4(c): as much of the invoking packet as fits in the minimum MTU
    f.append(orig.first(std::min<size_t>(orig.size(), 1280 - 40 - sizeof(h))));
    set_csum(f, src, dst);
    ipv6::output(st, f, src, dst, IPPROTO_ICMPV6, 255);
}

void send_error(Stack& st, uint8_t type, uint8_t code, std::span<const std::byte> orig) noexcept {
    auto oh = PacketView(orig).peek<Ipv6Header>();
    if (!oh)
        return;
    Addr gsrc = Addr::of6(oh->src);
    send_error_from(st, gsrc.is_link_local6() ? st.cfg.gw6_ll : st.cfg.gw6, type, code, 0, orig);
}

} // namespace slirp::icmp6
