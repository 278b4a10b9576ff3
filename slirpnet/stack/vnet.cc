// SPDX-License-Identifier: Apache-2.0
// vnet.cc — virtio_net_hdr offload metadata on the tap: checksum completion and software GSO
//
// Theory of operation: with IFF_VNET_HDR and TUNSETOFFLOAD(CSUM|TSO4|TSO6) (tap.cc) every frame
// on the tap carries a struct virtio_net_hdr. The guest kernel then hands us TCP segments of up
// to 64 KiB whatever its MTU (gso_type TCPV4/TCPV6: it would have cut them into gso_size
// pieces), and
// leaves TCP/UDP checksums partial (flags NEEDS_CSUM: the field holds only the pseudo-header sum,
// csum_start/csum_offset say where the sum starts and goes). Guest memory is as trusted as ours,
// so a partial TCP checksum is not completed, only marked trusted (st.rx_csum_trusted), as the
// kernel treats CHECKSUM_PARTIAL skbs; anything else partial (UDP) is completed in place, so the
// protocol handlers see an ordinary frame. Toward the guest we do the same: TCP data goes out
// with a partial checksum and, when longer than the MSS, as one GSO super-frame (tcp_output.cc)
// that the guest's kernel takes as one GRO-like skb. segment() is the software fallback (and
// the unit tests' reference): it turns a super-frame into ordinary MSS-sized frames.

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <net/ethernet.h>
#include <netinet/in.h>

namespace slirp {

void FrameSink::send_vnet(std::span<const std::byte> frame, const VirtioNetHdr& h) noexcept {
    (void)vnet::segment(frame, h, *this);
}

namespace vnet {

namespace {

void store16(std::span<std::byte> b, size_t off, uint16_t host) noexcept {
    Be16 v = Be16::from_host(host);
    std::memcpy(b.data() + off, &v, 2);
}

/// The L4 protocol and its offset in an IPv4 or IPv6 Ethernet frame (IPv6: right after the
/// fixed header, as the kernel's GSO frames come); proto 0 if neither.
struct L4 {
    uint8_t proto = 0;
    size_t off = 0;
    bool v6 = false;
};
L4 l4_of(std::span<const std::byte> frame) noexcept {
    PacketView p(frame);
    auto eth = p.pull<EthHeader>();
    if (eth && eth->type.host() == ETHERTYPE_IPV6) {
        auto ip6 = p.peek<Ipv6Header>();
        if (!ip6 || (ip6->ver_tc_flow.host() >> 28) != 6)
            return {};
        return {ip6->next, sizeof(EthHeader) + sizeof(Ipv6Header), true};
    }
    if (!eth || eth->type.host() != ETHERTYPE_IP)
        return {};
    auto ip = p.peek<Ipv4Header>();
    if (!ip || (ip->ver_ihl >> 4) != 4)
        return {};
    return {ip->proto, sizeof(EthHeader) + size_t{ip->ver_ihl & 0x0fu} * 4, false};
}

} // namespace

bool complete_csum(std::span<std::byte> frame, const VirtioNetHdr& h) noexcept {
    size_t start = h.csum_start, field = size_t{h.csum_start} + h.csum_offset;
    if (start >= frame.size() || field + 2 > frame.size())
        return false;
    uint16_t c = csum::finish(frame.subspan(start));
    if (c == 0 && h.csum_offset == offsetof(UdpHeader, csum))
        c = 0xffff; // UDP: zero means "no checksum" (RFC 768)
    store16(frame, field, c);
    return true;
}

void input(Stack& st, std::span<std::byte> buf) noexcept {
    if (buf.size() < sizeof(VirtioNetHdr)) {
        ++st.cnt.frames_in;
        ++st.cnt.malformed;
        return;
    }
    VirtioNetHdr h;
    std::memcpy(&h, buf.data(), sizeof(h));
    std::span<std::byte> frame = buf.subspan(sizeof(h));
    st.rx_csum_trusted = (h.flags & vnet_data_valid) != 0;
    if ((h.flags & vnet_needs_csum) != 0) {
        L4 l4 = l4_of(frame);
        if (l4.proto == IPPROTO_TCP && h.csum_start == l4.off &&
            h.csum_offset == offsetof(TcpHeader, csum)) {
            st.rx_csum_trusted = true;
        } else if (!complete_csum(frame, h)) {
            ++st.cnt.frames_in;
            ++st.cnt.malformed;
            return;
        }
    }
    ether::input(st, frame);
    st.rx_csum_trusted = false;
}

bool segment(std::span<const std::byte> frame, const VirtioNetHdr& h, FrameSink& out) noexcept {
    static std::array<std::byte, FrameBuf::headroom + FrameBuf::max_payload> seg;
    if (frame.size() > seg.size())
        return false;
    uint8_t type = static_cast<uint8_t>(h.gso_type & ~vnet_gso_ecn);
    if (type == vnet_gso_none) {
        if ((h.flags & vnet_needs_csum) == 0) {
            out.send(frame);
            return true;
        }
        std::memcpy(seg.data(), frame.data(), frame.size());
        std::span<std::byte> f(seg.data(), frame.size());
        if (!complete_csum(f, h))
            return false;
        out.send(f);
        return true;
    }
    if ((type != vnet_gso_tcpv4 && type != vnet_gso_tcpv6) || h.gso_size == 0)
        return false;
    L4 l4 = l4_of(frame);
    if (l4.proto != IPPROTO_TCP || l4.v6 != (type == vnet_gso_tcpv6) ||
        l4.off + sizeof(TcpHeader) > frame.size())
        return false;
    PacketView p(frame.subspan(l4.off));
    auto tcp = p.peek<TcpHeader>();
    size_t hl = l4.off + size_t{static_cast<uint8_t>(tcp->off >> 4)} * 4;
    size_t ip_off = sizeof(EthHeader), ihl = l4.off - ip_off;
    auto ipv = PacketView(frame.subspan(ip_off));
    auto ip = ipv.peek<Ipv4Header>();
    auto ip6 = ipv.peek<Ipv6Header>();
    size_t ip_len = l4.v6 ? sizeof(Ipv6Header) + ip6->payload_len.host() : ip->total_len.host();
    if (hl > frame.size() || hl < l4.off + sizeof(TcpHeader) || ip_len + ip_off != frame.size())
        return false;
    auto payload = frame.subspan(hl);
    uint32_t seq = tcp->seq.host();
    uint16_t id = l4.v6 ? 0 : ip->id.host();
    for (size_t off = 0; off < payload.size(); off += h.gso_size) {
        size_t n = std::min<size_t>(h.gso_size, payload.size() - off);
        bool last = off + n == payload.size();
        std::memcpy(seg.data(), frame.data(), hl);
        std::memcpy(seg.data() + hl, payload.data() + off, n);
        std::span<std::byte> f(seg.data(), hl + n);
        if (l4.v6) {
            store16(f, ip_off + offsetof(Ipv6Header, payload_len),
                    static_cast<uint16_t>(hl + n - l4.off));
        } else {
            store16(f, ip_off + offsetof(Ipv4Header, total_len),
                    static_cast<uint16_t>(hl + n - ip_off));
            store16(f, ip_off + offsetof(Ipv4Header, id), id++);
            store16(f, ip_off + offsetof(Ipv4Header, csum), 0);
            store16(f, ip_off + offsetof(Ipv4Header, csum), csum::finish(f.subspan(ip_off, ihl)));
        }
        Be32 s = Be32::from_host(seq + static_cast<uint32_t>(off));
        std::memcpy(f.data() + l4.off + offsetof(TcpHeader, seq), &s, 4);
        uint8_t flags = tcp->flags;
        if (!last)
            flags = static_cast<uint8_t>(flags & ~(tcp_fin | tcp_psh));
        std::memcpy(f.data() + l4.off + offsetof(TcpHeader, flags), &flags, 1);
        store16(f, l4.off + offsetof(TcpHeader, csum), 0);
        auto l4span = f.subspan(l4.off);
        uint32_t pseudo =
            l4.v6 ? csum::pseudo6(ip6->src, ip6->dst, IPPROTO_TCP, l4span.size())
                  : csum::pseudo4(ip->src.host(), ip->dst.host(), IPPROTO_TCP, l4span.size());
        store16(f, l4.off + offsetof(TcpHeader, csum), csum::finish(l4span, pseudo));
        out.send(f);
    }
    return true;
}

} // namespace vnet

} // namespace slirp
