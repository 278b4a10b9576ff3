// SPDX-License-Identifier: Apache-2.0
// addr.h — one address type for both families (IPv4 kept as ::ffff:a.b.c.d), and flow keys
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <netinet/in.h>
#include <sys/socket.h>

namespace slirp {

/// An IPv4 or IPv6 address in 16 network-order bytes; IPv4 is stored IPv4-mapped (RFC 4291
/// §2.5.5.2), so flows of both families share one key type and one table.
struct Addr {
    std::array<uint8_t, 16> b{};

    static Addr of4(uint32_t host_order) noexcept {
        Addr a;
        a.b[10] = a.b[11] = 0xff;
        a.b[12] = static_cast<uint8_t>(host_order >> 24);
        a.b[13] = static_cast<uint8_t>(host_order >> 16);
        a.b[14] = static_cast<uint8_t>(host_order >> 8);
        a.b[15] = static_cast<uint8_t>(host_order);
        return a;
    }
    static Addr of6(const in6_addr& a) noexcept {
        Addr r;
        std::memcpy(r.b.data(), &a, 16);
        return r;
    }
    static Addr of6(const uint8_t* p) noexcept {
        Addr r;
        std::memcpy(r.b.data(), p, 16);
        return r;
    }
    bool is4() const noexcept {
        static constexpr uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        return std::memcmp(b.data(), pfx, 12) == 0;
    }
    uint32_t v4() const noexcept {
        return (uint32_t{b[12]} << 24) | (uint32_t{b[13]} << 16) | (uint32_t{b[14]} << 8) | b[15];
    }
    in6_addr in6() const noexcept {
        in6_addr a;
        std::memcpy(&a, b.data(), 16);
        return a;
    }
    bool is_unspecified6() const noexcept { return *this == Addr{}; }
    bool is_loopback6() const noexcept {
        Addr l;
        l.b[15] = 1;
        return *this == l;
    }
    bool is_multicast6() const noexcept { return !is4() && b[0] == 0xff; }
    bool is_link_local6() const noexcept { return b[0] == 0xfe && (b[1] & 0xc0) == 0x80; }
    bool operator==(const Addr&) const = default;
};

/// Length of the IP header our replies carry for an address of this family.
inline size_t ip_header_len(const Addr& a) noexcept {
    return a.is4() ? 20 : 40;
}

/// A host socket address of either family.
struct SockAddr {
    sockaddr_storage ss{};
    socklen_t len = 0;
    int family() const noexcept { return ss.ss_family; }
    const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&ss); }
    sockaddr* sa() noexcept { return reinterpret_cast<sockaddr*>(&ss); }
    static SockAddr make(const Addr& a, uint16_t port) noexcept {
        SockAddr s;
        if (a.is4()) {
            auto* in = reinterpret_cast<sockaddr_in*>(&s.ss);
            in->sin_family = AF_INET;
            in->sin_port = htons(port);
            in->sin_addr.s_addr = htonl(a.v4());
            s.len = sizeof(sockaddr_in);
        } else {
            auto* in = reinterpret_cast<sockaddr_in6*>(&s.ss);
            in->sin6_family = AF_INET6;
            in->sin6_port = htons(port);
            in->sin6_addr = a.in6();
            s.len = sizeof(sockaddr_in6);
        }
        return s;
    }
    /// The address (a v4-mapped IPv6 peer becomes plain IPv4); unspecified for other families.
    Addr addr() const noexcept {
        if (ss.ss_family == AF_INET)
            return Addr::of4(ntohl(reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr.s_addr));
        if (ss.ss_family == AF_INET6)
            return Addr::of6(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr);
        return Addr{};
    }
    uint16_t port() const noexcept {
        if (ss.ss_family == AF_INET)
            return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
        if (ss.ss_family == AF_INET6)
            return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
        return 0;
    }
    void set_port(uint16_t p) noexcept {
        if (ss.ss_family == AF_INET)
            reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(p);
        else if (ss.ss_family == AF_INET6)
            reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(p);
    }
};

/// A flow as the guest sees it: its own address and port, the remote's. ICMP echo flows use
/// the echo id as gport and 0 as rport. One key type for TCP, UDP and ICMP tables.
struct FlowKey {
    Addr gaddr, raddr;
    uint16_t gport = 0, rport = 0;
    bool operator==(const FlowKey&) const = default;
};
struct FlowKeyHash {
    size_t operator()(const FlowKey& k) const noexcept {
        uint64_t w[4];
        std::memcpy(&w[0], k.gaddr.b.data(), 16);
        std::memcpy(&w[2], k.raddr.b.data(), 16);
        uint64_t h = (uint64_t{k.gport} << 16) | k.rport;
        for (uint64_t x : w)
            h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
        return static_cast<size_t>(h ^ (h >> 29));
    }
};

} // namespace slirp
