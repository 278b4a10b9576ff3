// SPDX-License-Identifier: Apache-2.0
// arp.cc — ARP replies for the gateway and DNS addresses
//
// Theory of operation: like libslirp, we answer ARP requests only for the gateway (+2) and DNS
// (+3) addresses, each with its own MAC (52:55 followed by the IPv4 address). Other in-subnet
// targets stay unanswered, so the guest sees them as unreachable. Replies and gratuitous ARP
// from the guest are ignored: we learn the guest MAC from the Ethernet source (ether.cc).
// RFC 826.

#include "slirpnet/stack/stack.h"

#include <cstring>
#include <net/ethernet.h>
#include <net/if_arp.h>

namespace slirp::arp {

namespace {
uint32_t get32(const uint8_t* b) noexcept {
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
} // namespace

void input(Stack& st, PacketView p) noexcept {
    auto a = p.pull<ArpPacket>();
    if (!a || a->htype.host() != ARPHRD_ETHER || a->ptype.host() != ETHERTYPE_IP || a->hlen != 6 ||
        a->plen != 4) {
        ++st.cnt.malformed;
        return;
    }
    if (a->op.host() != ARPOP_REQUEST)
        return;
    uint32_t target = get32(a->tpa);
    const common::Mac* mac = nullptr;
    if (target == st.cfg.gw)
        mac = &st.cfg.gw_mac;
    else if (target == st.cfg.dns && !st.cfg.disable_dns)
        mac = &st.cfg.dns_mac;
    if (mac == nullptr)
        return;
    ArpPacket r = *a;
    r.op = Be16::from_host(ARPOP_REPLY);
    std::memcpy(r.tha, a->sha, 6);
    std::memcpy(r.tpa, a->spa, 4);
    std::memcpy(r.sha, mac->data(), 6);
    std::memcpy(r.spa, a->tpa, 4);
    FrameBuf& f = st.out;
    f.reset();
    f.append_struct(r);
    ether::output(st, f, *mac, ETHERTYPE_ARP);
}

} // namespace slirp::arp
