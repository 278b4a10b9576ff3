// SPDX-License-Identifier: Apache-2.0
// icmp4.cc — ICMP echo for the gateway and DNS addresses, ICMP errors to the guest
//
// Theory of operation: echo requests to the gateway or DNS address are answered here, with the
// request's id, sequence and payload (RFC 792), as libslirp does (even with
// --disable-host-loopback). Echo to any other address goes out through a host socket
// (icmp_sock.cc: a ping socket, or libslirp's UDP-to-port-7 fallback where ping sockets are not
// allowed). Errors we generate (net/port unreachable) quote the original IP header plus 8 bytes
// (RFC 792), come with TTL 255 as libslirp's, and never answer an ICMP error (RFC 1122 §3.2.2).

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/icmp_sock.h"
#include "slirpnet/stack/stack.h"

#include <netinet/in.h>
#include <netinet/ip_icmp.h>

#include <algorithm>

namespace slirp::icmp4 {

void input(Stack& st, const IpInfo& ip, PacketView p) noexcept {
    auto body = p.rest();
    auto h = p.peek<IcmpHeader>();
    if (!h || csum::finish(body) != 0) {
        ++st.cnt.malformed;
        return;
    }
    uint32_t dst = ip.dst.v4();
    if (h->type != ICMP_ECHO || h->code != 0) {
        ++st.cnt.unsupported;
        return;
    }
    if (dst != st.cfg.gw && dst != st.cfg.dns) {
        echo_out(st, ip, body);
        return;
    }
    FrameBuf& f = st.out;
    f.reset();
    IcmpHeader r = *h;
    r.type = ICMP_ECHOREPLY;
    r.csum = Be16{};
    f.append_struct(r);
    f.append(body.subspan(sizeof(IcmpHeader)));
    uint16_t c = csum::finish(f.data());
    r.csum = Be16::from_host(c);
    std::memcpy(f.mutable_data().data() + 2, &r.csum, 2);
    ipv4::output(st, f, dst, ip.src.v4(), IPPROTO_ICMP, 255); // libslirp answers with ttl=255
}

void send_error(Stack& st, uint8_t type, uint8_t code, std::span<const std::byte> orig) noexcept {
    auto oh = PacketView(orig).peek<Ipv4Header>();
    if (!oh) // about an ICMP message: send_error_from() allows echo requests only
        return;
    size_t ihl = size_t{oh->ver_ihl & 0x0fu} * 4;
    send_error_from(st, st.cfg.gw, type, code, 0, orig.first(std::min(orig.size(), ihl + 8)));
}

} // namespace slirp::icmp4
