// SPDX-License-Identifier: Apache-2.0
// ipv4.cc — IPv4 validation and demux of guest datagrams, header building for replies
//
// Theory of operation: every guest datagram is checked before anything looks at its payload:
// version 4, IHL ≥ 5, total length within the frame and ≥ IHL, a correct header checksum
// (RFC 791 §3.1, RFC 1071). Frames failing a check are dropped and counted as malformed.
// Fragments are dropped and counted as unsupported: the guest's MTU equals ours, so a sane
// guest does not fragment (libslirp reassembles; reassembly was its worst CVE source).
// A source outside the guest's subnet (or its broadcast address) is dropped and counted as
// spoofed; 0.0.0.0 is accepted for UDP only (a DHCP client before its lease).
// Options are skipped. Outgoing datagrams get TTL 64 (255 for our own echo replies, as
// libslirp) and a fresh ID; DF is not set.

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <net/ethernet.h>
#include <netinet/in.h>

namespace slirp::ipv4 {

void input(Stack& st, PacketView p) noexcept {
    auto ip = p.peek<Ipv4Header>();
    if (!ip || (ip->ver_ihl >> 4) != 4) {
        ++st.cnt.malformed;
        return;
    }
    size_t ihl = size_t{ip->ver_ihl & 0x0fu} * 4;
    size_t total = ip->total_len.host();
    if (ihl < sizeof(Ipv4Header) || total < ihl || !p.truncate(total)) {
        ++st.cnt.malformed;
        return;
    }
    if (csum::finish(p.rest().first(ihl)) != 0) {
        ++st.cnt.malformed;
        return;
    }
    if ((ip->frag.host() & 0x3fff) != 0) { // MF set or a non-zero offset
        ++st.cnt.unsupported;
        ++st.cnt.fragments;
        return;
    }
    // the guest's own subnet only (0.0.0.0 for DHCP): a forged source would make us open
    // flows on its behalf that reply to addresses that are not the guest's
    uint32_t src = ip->src.host();
    bool in_net = (src & st.cfg.mask()) == st.cfg.net && src != (st.cfg.net | ~st.cfg.mask());
    if (!in_net && !(src == 0 && ip->proto == IPPROTO_UDP)) {
        ++st.cnt.spoofed;
        return;
    }
    st.cur_datagram = p.rest();
    IpInfo info{Addr::of4(ip->src.host()), Addr::of4(ip->dst.host()), ip->proto, p.rest(), ip->ttl};
    (void)p.skip(ihl);
    ip::deliver(st, info, p);
}

void output(Stack& st, FrameBuf& f, uint32_t src, uint32_t dst, uint8_t proto,
            uint8_t ttl) noexcept {
    static uint16_t next_id = 1;
    Ipv4Header ip{};
    ip.ver_ihl = 0x45;
    ip.total_len = Be16::from_host(static_cast<uint16_t>(f.size() + sizeof(Ipv4Header)));
    ip.id = Be16::from_host(next_id++);
    ip.ttl = ttl;
    ip.proto = proto;
    ip.src = Be32::from_host(src);
    ip.dst = Be32::from_host(dst);
    ip.csum = Be16::from_host(csum::finish(std::as_bytes(std::span<const Ipv4Header, 1>(&ip, 1))));
    if (!f.push(ip)) {
        st.tx_vnet = VirtioNetHdr{};
        return;
    }
    ether::output(st, f, src == st.cfg.dns ? st.cfg.dns_mac : st.cfg.gw_mac, ETHERTYPE_IP);
}

} // namespace slirp::ipv4
