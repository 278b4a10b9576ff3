// SPDX-License-Identifier: Apache-2.0
// ip.cc — family-generic demux, output and unreachable errors, for the transports (TCP, UDP, ICMP)
#include "slirpnet/stack/stack.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>

namespace slirp::ip {

void output(Stack& st, FrameBuf& f, const Addr& src, const Addr& dst, uint8_t proto,
            uint8_t ttl) noexcept {
    if (src.is4())
        ipv4::output(st, f, src.v4(), dst.v4(), proto, ttl);
    else
        ipv6::output(st, f, src, dst, proto, ttl);
}

void deliver(Stack& st, const IpInfo& ip, PacketView p) noexcept {
    bool v4 = ip.src.is4();
    if (ip.proto == (v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6})) {
        if (v4)
            icmp4::input(st, ip, p);
        else
            icmp6::input(st, ip, p);
    } else if (ip.proto == IPPROTO_UDP) {
        udp::input(st, ip, p);
    } else if (ip.proto == IPPROTO_TCP) {
        tcp::input(st, ip, p);
    } else {
        ++st.cnt.unsupported;
    }
}

void send_unreach(Stack& st, uint8_t code4, std::span<const std::byte> orig) noexcept {
    if (orig.empty())
        return;
    if ((static_cast<uint8_t>(orig[0]) >> 4) == 4) {
        icmp4::send_error(st, ICMP_DEST_UNREACH, code4, orig);
        return;
    }
    uint8_t code6 = code4 == ICMP_PORT_UNREACH   ? ICMP6_DST_UNREACH_NOPORT
                    : code4 == ICMP_HOST_UNREACH ? ICMP6_DST_UNREACH_ADDR
                                                 : ICMP6_DST_UNREACH_NOROUTE;
    icmp6::send_error(st, ICMP6_DST_UNREACH, code6, orig);
}

} // namespace slirp::ip
