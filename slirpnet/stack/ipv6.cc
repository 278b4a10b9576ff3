// SPDX-License-Identifier: Apache-2.0
// ipv6.cc — IPv6 validation, extension-header walk and demux of guest datagrams; IPv6 output
//
// Theory of operation (--enable-ipv6): a guest datagram is checked before anything looks at
// its payload: version 6, payload length within the frame (link padding dropped), a source
// that is not multicast. Extension headers (RFC 8200 §4) are walked with bounds: hop-by-hop
// (only first), routing and destination options are skipped by their length, at most
// ipv6_max_ext of them, each inside the payload; a fragment header drops the datagram (counted
// as a fragment: the guest's MTU is ours, as for IPv4 in ipv4.cc); ESP/AH/no-next-header and
// unknown protocols are counted as unsupported. The transports then see the same IpInfo as
// IPv4's, with 16-byte addresses. A source outside fd00::/64 is dropped and counted as spoofed,
// except link-local and :: sources for NDP/ICMPv6 and link-scope destinations (DHCPv6).
// The guest's fd00::/64 address is learnt from what it sends
// (for API forwards without guest_addr). Output: hop limit 64 (255 for NDP and our own echo
// replies, as libslirp), from the router MAC 52:56:00:00:00:02 (DNS: …:03), to the guest's
// MAC, or to 33:33 + the low 32 bits for a multicast destination (RFC 2464 §7).

#include "slirpnet/stack/stack.h"

#include <cstring>
#include <net/ethernet.h>
#include <netinet/in.h>

namespace slirp::ipv6 {

namespace {
constexpr int ipv6_max_ext = 8; ///< extension headers walked before giving up (counted)
} // namespace

void input(Stack& st, PacketView p) noexcept {
    auto ip = p.peek<Ipv6Header>();
    if (!ip || (ip->ver_tc_flow.host() >> 28) != 6 ||
        !p.truncate(sizeof(Ipv6Header) + ip->payload_len.host())) {
        ++st.cnt.malformed;
        return;
    }
    IpInfo info{Addr::of6(ip->src), Addr::of6(ip->dst), ip->next, p.rest(), ip->hop_limit};
    if (info.src.is_multicast6()) {
        ++st.cnt.malformed;
        return;
    }
    st.cur_datagram = p.rest();
    (void)p.skip(sizeof(Ipv6Header));
    uint8_t next = ip->next;
    for (int n = 0;; ++n) {
        if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
            auto ext = p.peek<Ipv6ExtHeader>();
            if (n >= ipv6_max_ext || (next == IPPROTO_HOPOPTS && n != 0)) {
                ++st.cnt.malformed; // RFC 8200 §4.1: hop-by-hop only first; no header chains
                return;
            }
            if (!ext || !p.skip((size_t{ext->len8} + 1) * 8)) {
                ++st.cnt.malformed;
                return;
            }
            next = ext->next;
            continue;
        }
        if (next == IPPROTO_FRAGMENT) {
            ++st.cnt.fragments;
            ++st.cnt.unsupported;
            return;
        }
        break;
    }
    info.proto = next;
    if (st.cfg.in_prefix6(info.src)) {
        st.guest6 = info.src;
    } else if (!((info.src.is_link_local6() || info.src.is_unspecified6()) &&
                 (next == IPPROTO_ICMPV6 || info.dst.is_link_local6() ||
                  info.dst.is_multicast6()))) {
        ++st.cnt.spoofed; // only fd00::/64 leaves the link
        return;
    }
    ip::deliver(st, info, p);
}

void output(Stack& st, FrameBuf& f, const Addr& src, const Addr& dst, uint8_t proto,
            uint8_t hop_limit) noexcept {
    Ipv6Header ip{};
    ip.ver_tc_flow = Be32::from_host(uint32_t{6} << 28);
    ip.payload_len = Be16::from_host(static_cast<uint16_t>(f.size()));
    ip.next = proto;
    ip.hop_limit = hop_limit;
    std::memcpy(ip.src, src.b.data(), 16);
    std::memcpy(ip.dst, dst.b.data(), 16);
    if (!f.push(ip)) {
        st.tx_vnet = VirtioNetHdr{};
        return;
    }
    const common::Mac& from = src == st.cfg.dns6 ? st.cfg.dns6_mac : st.cfg.gw6_mac;
    if (dst.is_multicast6()) {
        common::Mac m{0x33, 0x33, dst.b[12], dst.b[13], dst.b[14], dst.b[15]};
        ether::output_to(st, f, from, m, ETHERTYPE_IPV6);
        return;
    }
    ether::output(st, f, from, ETHERTYPE_IPV6);
}

} // namespace slirp::ipv6
