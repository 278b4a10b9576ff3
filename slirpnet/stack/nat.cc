// SPDX-License-Identifier: Apache-2.0
// nat.cc — where a guest destination lives on the host, and how host peers look to the guest
//
// Theory of operation (docs/compat/slirp4netns.md §3.4, §3.5, libslirp's sotranslate_out/in): the
// gateway (10.0.2.2) maps to 127.0.0.1 and any other address of fd00::/64 to ::1, unless
// --disable-host-loopback; the DNS address's port 53 maps to the host resolver: 10.0.2.3 to the
// first IPv4 nameserver of resolv.conf (as libslirp), fd00::3 to the first nameserver of either
// family (libslirp would need an IPv6 one; a host with only an IPv4 resolver is the common
// case). Nothing else of the virtual subnets, no multicast, loopback or unspecified address
// escapes. Host peers shown to the guest: loopback and unspecified become the gateway. slirpnet's
// --gateway/--dns move the two addresses (docs/compat/slirp4netns.md); when they are one address,
// its port 53 is the DNS forwarder and its other ports the host loopback.

#include "slirpnet/stack/stack.h"

#include <netinet/in.h>

namespace slirp {

namespace {

bool translate_out4(const Stack& st, uint32_t dst, uint16_t dport, SockAddr& out) noexcept {
    const Config& c = st.cfg;
    uint32_t host = dst;
    // With --dns equal to --gateway (rootlesskit's gvisor-tap-vsock plan), port 53 of the shared
    // address is the DNS forwarder and every other port the host loopback.
    if (dst == c.dns && !c.disable_dns && (dport == 53 || dst != c.gw)) {
        if (dport != 53 || c.dns_server == 0)
            return false;
        out = SockAddr::make(Addr::of4(c.dns_server), c.dns_server_port);
        return true;
    } else if (dst == c.gw) {
        if (c.disable_host_loopback)
            return false;
        host = INADDR_LOOPBACK;
    } else if ((dst & c.mask()) == c.net || dst == INADDR_BROADCAST || (dst >> 28) == 0xe ||
               (dst >> 24) == 127 || dst == 0) {
        return false; // nothing else lives in the virtual subnet; no multicast/loopback escapes
    }
    out = SockAddr::make(Addr::of4(host), dport);
    return true;
}

bool translate_out6(const Stack& st, const Addr& dst, uint16_t dport, SockAddr& out) noexcept {
    const Config& c = st.cfg;
    if (dst == c.dns6 && !c.disable_dns) {
        if (dport != 53 || !c.has_dns_server_any)
            return false;
        out = SockAddr::make(c.dns_server_any, c.dns_server_port);
        return true;
    }
    if (c.in_prefix6(dst) || dst == c.gw6_ll) {
        if (c.disable_host_loopback || dst == c.prefix6)
            return false;
        Addr lo;
        lo.b[15] = 1;
        out = SockAddr::make(lo, dport);
        return true;
    }
    if (dst.is_multicast6() || dst.is_link_local6() || dst.is_loopback6() ||
        dst.is_unspecified6() || dst.is4())
        return false; // multicast, link scope (no zone to give), loopback, v4-mapped
    out = SockAddr::make(dst, dport);
    return true;
}

} // namespace

bool translate_out(const Stack& st, const Addr& dst, uint16_t dport, SockAddr& out) noexcept {
    out = SockAddr{};
    return dst.is4() ? translate_out4(st, dst.v4(), dport, out)
                     : translate_out6(st, dst, dport, out);
}

Addr translate_in(const Stack& st, const Addr& host_addr, bool guest_v6) noexcept {
    if (!guest_v6) {
        uint32_t a = host_addr.is4() ? host_addr.v4() : 0;
        return Addr::of4(a == 0 || (a >> 24) == 127 ? st.cfg.gw : a);
    }
    if (host_addr.is4() || host_addr.is_loopback6() || host_addr.is_unspecified6())
        return st.cfg.gw6; // an IPv4 peer cannot be shown to an IPv6 flow otherwise
    return host_addr;
}

Addr guest_addr6(const Stack& st) noexcept {
    if (!st.guest6.is_unspecified6() || !st.guest_mac_known)
        return st.guest6;
    Addr a = st.cfg.prefix6;
    const common::Mac& m = st.guest_mac;
    const uint8_t iid[8] = {
        static_cast<uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
    std::memcpy(a.b.data() + 8, iid, 8);
    return a;
}

bool bind_outbound(const Stack& st, int fd, int family) noexcept {
    if (family == AF_INET) {
        if (st.cfg.outbound_addr == 0)
            return true;
        SockAddr a = SockAddr::make(Addr::of4(st.cfg.outbound_addr), 0);
        return bind(fd, a.sa(), a.len) == 0;
    }
    if (st.cfg.outbound_addr6.is_unspecified6())
        return true;
    SockAddr a = SockAddr::make(st.cfg.outbound_addr6, 0);
    return bind(fd, a.sa(), a.len) == 0;
}

} // namespace slirp
