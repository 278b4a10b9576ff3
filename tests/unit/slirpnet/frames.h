// SPDX-License-Identifier: Apache-2.0
// frames.h — test helpers: build guest frames in memory and capture what the stack sends
#pragma once

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"
#include "slirpnet/stack/wire.h"

#include <cstring>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <vector>

namespace slirp::test {

using Bytes = std::vector<std::byte>;

inline const common::Mac guest_mac{0x0e, 0xd4, 0x18, 0xd9, 0x38, 0xfb};
inline constexpr uint32_t guest_ip = 0x0a000264;

/// Collects frames the stack sends to the guest.
struct CaptureSink : FrameSink {
    std::vector<Bytes> frames;
    void send(std::span<const std::byte> f) noexcept override { frames.emplace_back(f.begin(), f.end()); }
};

/// Binds `fd` to 127.0.0.1 on an ephemeral port and returns the port; 0 when bind fails.
inline uint16_t bind_loopback(int fd) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
        return 0;
    socklen_t l = sizeof(a);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l) != 0)
        return 0;
    return ntohs(a.sin_port);
}

template <class H> void put(Bytes& b, const H& h) {
    const auto* p = reinterpret_cast<const std::byte*>(&h);
    b.insert(b.end(), p, p + sizeof(H));
}
inline Bytes bytes_of(std::string_view s) {
    Bytes b;
    for (char c : s)
        b.push_back(static_cast<std::byte>(c));
    return b;
}

/// Ethernet header from the guest to `dst` (broadcast when null).
inline Bytes eth(uint16_t type, const common::Mac* dst = nullptr) {
    EthHeader e{};
    if (dst != nullptr)
        std::memcpy(e.dst, dst->data(), 6);
    else
        std::memset(e.dst, 0xff, 6);
    std::memcpy(e.src, guest_mac.data(), 6);
    e.type = Be16::from_host(type);
    Bytes b;
    put(b, e);
    return b;
}

/// An IPv4 frame with a correct header checksum around `l4`.
inline Bytes ipv4_frame(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& l4) {
    Bytes b = eth(ETHERTYPE_IP);
    Ipv4Header ip{};
    ip.ver_ihl = 0x45;
    ip.total_len = Be16::from_host(static_cast<uint16_t>(20 + l4.size()));
    ip.ttl = 64;
    ip.proto = proto;
    ip.src = Be32::from_host(src);
    ip.dst = Be32::from_host(dst);
    ip.csum = Be16::from_host(csum::finish(std::as_bytes(std::span<const Ipv4Header, 1>(&ip, 1))));
    put(b, ip);
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

inline Bytes udp_seg(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
    UdpHeader h{};
    h.sport = Be16::from_host(sport);
    h.dport = Be16::from_host(dport);
    h.len = Be16::from_host(static_cast<uint16_t>(8 + payload.size()));
    Bytes b;
    put(b, h);
    b.insert(b.end(), payload.begin(), payload.end());
    uint16_t c = csum::finish(b, csum::pseudo4(src, dst, IPPROTO_UDP, b.size()));
    Be16 cb = Be16::from_host(c == 0 ? 0xffff : c);
    std::memcpy(b.data() + 6, &cb, 2);
    return b;
}

inline Bytes icmp_echo(uint16_t id, uint16_t seq, const Bytes& payload) {
    IcmpHeader h{};
    h.type = 8;
    h.id = Be16::from_host(id);
    h.seq = Be16::from_host(seq);
    Bytes b;
    put(b, h);
    b.insert(b.end(), payload.begin(), payload.end());
    Be16 c = Be16::from_host(csum::finish(b));
    std::memcpy(b.data() + 2, &c, 2);
    return b;
}

/// A parsed frame sent to the guest.
struct Parsed {
    EthHeader eth{};
    Ipv4Header ip{};
    PacketView l4; ///< after the IP header
};
inline std::optional<Parsed> parse_ip(const Bytes& f) {
    PacketView p(f);
    Parsed r;
    auto e = p.pull<EthHeader>();
    if (!e || e->type.host() != ETHERTYPE_IP)
        return std::nullopt;
    r.eth = *e;
    auto ip = p.pull<Ipv4Header>();
    if (!ip)
        return std::nullopt;
    r.ip = *ip;
    r.l4 = PacketView(p.rest());
    return r;
}

/// A Stack with the default 10.0.2.0/24 plan that never reads the host's resolv.conf.
struct TestStack {
    CaptureSink sink;
    Stack st;
    explicit TestStack(Config c = Config::from_cidr(0x0a000200, 24)) : st(with_no_resolv(c), sink) {}
    static Config with_no_resolv(Config c) {
        c.resolv_conf = nullptr;
        return c;
    }
    void in(const Bytes& f) { ether::input(st, f); }
};

} // namespace slirp::test
