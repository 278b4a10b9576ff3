// SPDX-License-Identifier: Apache-2.0
// ether.cc — Ethernet demux of guest frames and framing of replies
#include "slirpnet/stack/stack.h"

#include <cstring>
#include <net/ethernet.h>

namespace slirp::ether {

void input(Stack& st, std::span<const std::byte> frame) noexcept {
    ++st.cnt.frames_in;
    PacketView p(frame);
    auto eth = p.pull<EthHeader>();
    if (!eth) {
        ++st.cnt.malformed;
        return;
    }
    if (eth->src[0] & 1) { // a multicast source address is never valid
        ++st.cnt.malformed;
        return;
    }
    // The guest's MAC: the source of whatever it sends (libslirp learns it the same way).
    std::memcpy(st.guest_mac.data(), eth->src, 6);
    st.guest_mac_known = true;
    switch (eth->type.host()) {
    case ETHERTYPE_ARP:
        arp::input(st, p);
        break;
    case ETHERTYPE_IP:
        ipv4::input(st, p);
        break;
    case ETHERTYPE_IPV6:
        if (st.cfg.ipv6) {
            ipv6::input(st, p);
            break;
        }
        ++st.cnt.unsupported; // without --enable-ipv6, as libslirp: ignored
        break;
    default: // LLDP, …
        ++st.cnt.unsupported;
        break;
    }
}

void output(Stack& st, FrameBuf& f, const common::Mac& src, uint16_t ethertype) noexcept {
    static const common::Mac broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    output_to(st, f, src, st.guest_mac_known ? st.guest_mac : broadcast, ethertype);
}

void output_to(Stack& st, FrameBuf& f, const common::Mac& src, const common::Mac& dst,
               uint16_t ethertype) noexcept {
    EthHeader eth{};
    std::memcpy(eth.dst, dst.data(), 6);
    std::memcpy(eth.src, src.data(), 6);
    eth.type = Be16::from_host(ethertype);
    if (!f.push(eth)) {
        st.tx_vnet = VirtioNetHdr{};
        return;
    }
    ++st.cnt.frames_out;
    if (st.tx_vnet.flags != 0 || st.tx_vnet.gso_type != vnet_gso_none) {
        VirtioNetHdr h = st.tx_vnet;
        st.tx_vnet = VirtioNetHdr{};
        st.sink.send_vnet(f.data(), h);
        return;
    }
    st.sink.send(f.data());
}

} // namespace slirp::ether
