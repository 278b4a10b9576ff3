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
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <utility>
#include <vector>

namespace slirp::test {

using Bytes = std::vector<std::byte>;

inline const common::Mac guest_mac{0x0e, 0xd4, 0x18, 0xd9, 0x38, 0xfb};
inline constexpr uint32_t guest_ip = 0x0a000264;

/// Collects frames the stack sends to the guest.
struct CaptureSink : FrameSink {
    std::vector<Bytes> frames;
    void send(std::span<const std::byte> f) noexcept override {
        frames.emplace_back(f.begin(), f.end());
    }
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

// ---- Both families (IPv4 kept as ::ffff:a.b.c.d in Addr) ----

inline const Addr guest6 = [] {
    Addr a = v6_addr(0xfd, 0x00, 0);
    const uint8_t iid[8] = {0x0c, 0xd4, 0x18, 0xff, 0xfe, 0xd9, 0x38, 0xfb}; // EUI-64 of guest_mac
    std::memcpy(a.b.data() + 8, iid, 8);
    return a;
}();
inline const Addr guest6_ll = [] {
    Addr a = guest6;
    a.b[0] = 0xfe;
    a.b[1] = 0x80;
    return a;
}();

/// The guest's address and the gateway's, per family (the parameter of family-generic cases).
struct Family {
    bool v6 = false;
    Addr guest() const { return v6 ? guest6 : Addr::of4(guest_ip); }
    Addr gw() const { return v6 ? v6_addr(0xfd, 0x00, 2) : Addr::of4(0x0a000202); }
    Addr dns() const { return v6 ? v6_addr(0xfd, 0x00, 3) : Addr::of4(0x0a000203); }
    int af() const { return v6 ? AF_INET6 : AF_INET; }
    const char* name() const { return v6 ? "IPv6" : "IPv4"; }
};

/// Binds `fd` (of `af`) to the loopback address of its family on an ephemeral port.
inline uint16_t bind_loopback_af(int fd, int af) {
    if (af == AF_INET)
        return bind_loopback(fd);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
        return 0;
    socklen_t l = sizeof(a);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l) != 0)
        return 0;
    return ntohs(a.sin6_port);
}

/// An IPv6 frame around `l4` (`ext`: extension headers put between, raw). Destination MAC
/// 33:33:… for multicast, else the router's.
inline Bytes ipv6_frame(const Addr& src, const Addr& dst, uint8_t next, const Bytes& l4,
                        uint8_t hop = 64, const Bytes& ext = {}, uint8_t first_next = 0) {
    common::Mac m{0x52, 0x56, 0, 0, 0, 2};
    if (dst.is_multicast6())
        m = common::Mac{0x33, 0x33, dst.b[12], dst.b[13], dst.b[14], dst.b[15]};
    Bytes b = eth(ETHERTYPE_IPV6, &m);
    Ipv6Header ip{};
    ip.ver_tc_flow = Be32::from_host(uint32_t{6} << 28);
    ip.payload_len = Be16::from_host(static_cast<uint16_t>(ext.size() + l4.size()));
    ip.next = ext.empty() ? next : first_next;
    ip.hop_limit = hop;
    std::memcpy(ip.src, src.b.data(), 16);
    std::memcpy(ip.dst, dst.b.data(), 16);
    put(b, ip);
    b.insert(b.end(), ext.begin(), ext.end());
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

/// A frame of the family of `src` around `l4`.
inline Bytes ip_frame(const Addr& src, const Addr& dst, uint8_t proto, const Bytes& l4) {
    if (src.is4())
        return ipv4_frame(src.v4(), dst.v4(), proto, l4);
    return ipv6_frame(src, dst, proto, l4);
}

/// Sets the transport checksum at `off` of `l4` for either family (ICMPv4: no pseudo-header).
inline void set_l4_csum(Bytes& l4, size_t off, const Addr& src, const Addr& dst, uint8_t proto) {
    l4[off] = l4[off + 1] = std::byte{0};
    uint32_t ps = proto == IPPROTO_ICMP ? 0 : csum::pseudo(src, dst, proto, l4.size());
    uint16_t c = csum::finish(l4, ps);
    if (c == 0 && proto == IPPROTO_UDP)
        c = 0xffff;
    Be16 cb = Be16::from_host(c);
    std::memcpy(l4.data() + off, &cb, 2);
}

inline Bytes udp_seg_any(const Addr& src, const Addr& dst, uint16_t sport, uint16_t dport,
                         const Bytes& payload) {
    UdpHeader h{};
    h.sport = Be16::from_host(sport);
    h.dport = Be16::from_host(dport);
    h.len = Be16::from_host(static_cast<uint16_t>(8 + payload.size()));
    Bytes b;
    put(b, h);
    b.insert(b.end(), payload.begin(), payload.end());
    set_l4_csum(b, 6, src, dst, IPPROTO_UDP);
    return b;
}

inline Bytes udp_seg(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                     const Bytes& payload) {
    return udp_seg_any(Addr::of4(src), Addr::of4(dst), sport, dport, payload);
}

/// A TCP segment (header, `opts`, payload) from `src` to `dst`, checksum set, either family.
inline Bytes tcp_seg_any(const Addr& src, const Addr& dst, uint16_t sport, uint16_t dport,
                         uint32_t seq, uint32_t ack, uint8_t flags, const Bytes& data = {},
                         uint16_t win = 65535, const Bytes& opts = {}) {
    TcpHeader h{};
    h.sport = Be16::from_host(sport);
    h.dport = Be16::from_host(dport);
    h.seq = Be32::from_host(seq);
    h.ack = Be32::from_host(ack);
    h.off = static_cast<uint8_t>(((sizeof(TcpHeader) + opts.size()) / 4) << 4);
    h.flags = flags;
    h.win = Be16::from_host(win);
    Bytes b;
    put(b, h);
    b.insert(b.end(), opts.begin(), opts.end());
    b.insert(b.end(), data.begin(), data.end());
    set_l4_csum(b, 16, src, dst, IPPROTO_TCP);
    return b;
}

/// A parsed frame of either family sent to the guest.
struct ParsedAny {
    EthHeader eth{};
    Addr src, dst;
    uint8_t proto = 0;
    uint8_t ttl = 0;
    PacketView l4;
    /// True when the transport checksum (with the pseudo-header where the protocol has one) holds.
    bool csum_ok() const {
        uint32_t ps = proto == IPPROTO_ICMP ? 0 : csum::pseudo(src, dst, proto, l4.remaining());
        return csum::finish(l4.rest(), ps) == 0;
    }
};
inline std::optional<ParsedAny> parse_any(const Bytes& f) {
    PacketView p(f);
    ParsedAny r;
    auto e = p.pull<EthHeader>();
    if (!e)
        return std::nullopt;
    r.eth = *e;
    if (e->type.host() == ETHERTYPE_IP) {
        auto ip = p.pull<Ipv4Header>();
        if (!ip)
            return std::nullopt;
        r.src = Addr::of4(ip->src.host());
        r.dst = Addr::of4(ip->dst.host());
        r.proto = ip->proto;
        r.ttl = ip->ttl;
    } else if (e->type.host() == ETHERTYPE_IPV6) {
        auto ip = p.pull<Ipv6Header>();
        if (!ip || p.remaining() != ip->payload_len.host())
            return std::nullopt;
        r.src = Addr::of6(ip->src);
        r.dst = Addr::of6(ip->dst);
        r.proto = ip->next;
        r.ttl = ip->hop_limit;
    } else {
        return std::nullopt;
    }
    r.l4 = PacketView(p.rest());
    return r;
}

/// A Stack with the default 10.0.2.0/24 plan that never reads the host's resolv.conf.
struct TestStack {
    CaptureSink sink;
    Stack st;
    explicit TestStack(Config c = Config::from_cidr(0x0a000200, 24))
        : st(with_no_resolv(c), sink) {}
    /// The default plan with --enable-ipv6 (for family-generic cases: `v6` turns it on).
    static Config with_v6(bool v6 = true) {
        Config c = Config::from_cidr(0x0a000200, 24);
        c.ipv6 = v6;
        return c;
    }
    static Config with_no_resolv(Config c) {
        c.resolv_conf = nullptr;
        return c;
    }
    void in(const Bytes& f) { ether::input(st, f); }
};

/// A sink like an IFF_VNET_HDR tap: keeps each frame with its offload header.
struct OffloadSink : FrameSink {
    std::vector<std::pair<VirtioNetHdr, Bytes>> frames;
    void send(std::span<const std::byte> f) noexcept override {
        frames.emplace_back(VirtioNetHdr{}, Bytes(f.begin(), f.end()));
    }
    bool offload() const noexcept override { return true; }
    void send_vnet(std::span<const std::byte> f, const VirtioNetHdr& h) noexcept override {
        frames.emplace_back(h, Bytes(f.begin(), f.end()));
    }
};

/// Up to `want` bytes from a host socket, waiting up to 2 s for each read.
inline std::string read_n(int fd, size_t want) {
    std::string out;
    while (out.size() < want) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 2000) != 1)
            break;
        char buf[65536];
        ssize_t n = recv(fd, buf, std::min(sizeof(buf), want - out.size()), 0);
        if (n <= 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

} // namespace slirp::test
