// SPDX-License-Identifier: Apache-2.0
// config.h — the address plan (from --cidr, and libslirp's fixed IPv6 one) and drop counters
#pragma once

#include "common/netlink.h"
#include "slirpnet/stack/addr.h"

#include <cstdint>

namespace slirp {

/// IPv6 addresses of libslirp's fixed plan (docs/compat/slirp4netns.md §3.1): prefix fd00::/64,
/// router fd00::2 (link-local fe80::2), DNS fd00::3; not affected by --cidr.
inline Addr v6_addr(uint8_t a0, uint8_t a1, uint8_t last) noexcept {
    Addr a;
    a.b[0] = a0;
    a.b[1] = a1;
    a.b[15] = last;
    return a;
}

/// Addresses in host byte order, derived from --cidr as libslirp does (docs/compat/slirp4netns.md
/// §3.1).
struct Config {
    uint32_t net = 0x0a000200;
    unsigned prefix = 24;
    uint32_t gw = 0x0a000202;
    uint32_t dns = 0x0a000203;
    uint32_t dhcp_start = 0x0a00020f; // +15 … +30
    uint32_t guest = 0x0a000264;      // +100, the "recommended IP"
    unsigned mtu = 1500;
    common::Mac gw_mac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
    common::Mac dns_mac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x03};
    bool disable_host_loopback = false;
    bool disable_dns = false;
    uint32_t outbound_addr = 0; ///< bind outbound sockets here (0: don't)
    uint32_t dns_server = 0;    ///< host resolver (first IPv4 nameserver); 0: none
    uint16_t dns_server_port = 53;
    const char* resolv_conf = "/etc/resolv.conf"; ///< re-read on change; nullptr: never

    // IPv6 (--enable-ipv6). Without it, IPv6 frames are dropped (counted as unsupported).
    bool ipv6 = false;
    Addr prefix6 = v6_addr(0xfd, 0x00, 0); ///< the /64 the guest configures by SLAAC
    Addr gw6 = v6_addr(0xfd, 0x00, 2);     ///< router; maps to host ::1
    Addr gw6_ll = v6_addr(0xfe, 0x80, 2);  ///< router link-local (RA source)
    Addr dns6 = v6_addr(0xfd, 0x00, 3);
    common::Mac gw6_mac{0x52, 0x56, 0x00, 0x00, 0x00, 0x02}; ///< 52:56 + last 4 address bytes
    common::Mac dns6_mac{0x52, 0x56, 0x00, 0x00, 0x00, 0x03};
    Addr outbound_addr6; ///< --outbound-addr6 (unspecified: don't bind)
    Addr dns_server_any; ///< first nameserver of either family (target of fd00::3)
    bool has_dns_server_any = false;

    uint32_t mask() const noexcept { return ~uint32_t{0} << (32 - prefix); }
    /// True for an address in fd00::/64.
    bool in_prefix6(const Addr& a) const noexcept {
        return !a.is4() && std::memcmp(a.b.data(), prefix6.b.data(), 8) == 0;
    }
    /// The config for a --cidr network (host order) and prefix; the gateway and DNS addresses are
    /// host numbers `gw_host` and `dns_host` of it (libslirp's +2 and +3 unless --gateway/--dns;
    /// they may be the same address: port 53 of it is then the DNS forwarder, see nat.cc).
    static Config from_cidr(uint32_t net, unsigned prefix, uint32_t gw_host = 2,
                            uint32_t dns_host = 3) noexcept;
};

/// Frames seen and dropped, by reason (malformed guest input is counted, never fatal).
struct Counters {
    uint64_t frames_in = 0;
    uint64_t frames_out = 0;
    uint64_t malformed = 0;       ///< truncated, bad checksum, bad lengths
    uint64_t unsupported = 0;     ///< valid but not handled (fragments, other protocols, …)
    uint64_t no_route = 0;        ///< refused by policy (host loopback disabled, no flow slot)
    uint64_t tap_write_drops = 0; ///< frames for the guest the tap did not take
    uint64_t fragments = 0;       ///< IPv4 and IPv6 fragments (dropped; also counted unsupported)
    uint64_t flow_limit = 0;      ///< new flows refused at a table's cap or for want of an fd
    uint64_t spoofed = 0;         ///< guest source address outside its subnet (dropped)
};

} // namespace slirp
