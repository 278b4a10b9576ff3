// SPDX-License-Identifier: Apache-2.0
// wire.h — on-the-wire header layouts with network-order field types (docs/style.md B8)
#pragma once

#include <bit>
#include <cstdint>

namespace slirp {

/// A 16-bit field stored in network order; converts only explicitly.
struct Be16 {
    uint16_t raw = 0;
    static constexpr Be16 from_host(uint16_t v) noexcept {
        return Be16{std::endian::native == std::endian::little ? __builtin_bswap16(v) : v};
    }
    constexpr uint16_t host() const noexcept {
        return std::endian::native == std::endian::little ? __builtin_bswap16(raw) : raw;
    }
    friend constexpr bool operator==(Be16 a, Be16 b) noexcept { return a.raw == b.raw; }
};

/// A 32-bit field stored in network order.
struct Be32 {
    uint32_t raw = 0;
    static constexpr Be32 from_host(uint32_t v) noexcept {
        return Be32{std::endian::native == std::endian::little ? __builtin_bswap32(v) : v};
    }
    constexpr uint32_t host() const noexcept {
        return std::endian::native == std::endian::little ? __builtin_bswap32(raw) : raw;
    }
    friend constexpr bool operator==(Be32 a, Be32 b) noexcept { return a.raw == b.raw; }
};

using MacBytes = uint8_t[6];

struct EthHeader {
    uint8_t dst[6];
    uint8_t src[6];
    Be16 type;
};
static_assert(sizeof(EthHeader) == 14);

struct ArpPacket {
    Be16 htype;
    Be16 ptype;
    uint8_t hlen;
    uint8_t plen;
    Be16 op;
    uint8_t sha[6];
    uint8_t spa[4];
    uint8_t tha[6];
    uint8_t tpa[4];
};
static_assert(sizeof(ArpPacket) == 28);

struct Ipv4Header {
    uint8_t ver_ihl;
    uint8_t tos;
    Be16 total_len;
    Be16 id;
    Be16 frag; // flags + fragment offset
    uint8_t ttl;
    uint8_t proto;
    Be16 csum;
    Be32 src;
    Be32 dst;
};
static_assert(sizeof(Ipv4Header) == 20);

struct Ipv6Header {
    Be32 ver_tc_flow; // version 6 in the top nibble
    Be16 payload_len;
    uint8_t next;
    uint8_t hop_limit;
    uint8_t src[16];
    uint8_t dst[16];
};
static_assert(sizeof(Ipv6Header) == 40);

/// Hop-by-hop, routing and destination options headers start so (RFC 8200 §4.3-4.6).
struct Ipv6ExtHeader {
    uint8_t next;
    uint8_t len8; // in 8-octet units, not counting the first 8
};

/// ICMPv6 header; the last 4 bytes are type-specific (RFC 4443 §2.1).
struct Icmp6Header {
    uint8_t type;
    uint8_t code;
    Be16 csum;
    Be32 data;
};
static_assert(sizeof(Icmp6Header) == 8);

struct UdpHeader {
    Be16 sport;
    Be16 dport;
    Be16 len;
    Be16 csum;
};
static_assert(sizeof(UdpHeader) == 8);

struct IcmpHeader {
    uint8_t type;
    uint8_t code;
    Be16 csum;
    Be16 id; // echo; "unused" for errors
    Be16 seq;
};
static_assert(sizeof(IcmpHeader) == 8);

struct TcpHeader {
    Be16 sport;
    Be16 dport;
    Be32 seq;
    Be32 ack;
    uint8_t off; // data offset in the high nibble
    uint8_t flags;
    Be16 win;
    Be16 csum;
    Be16 urg;
};
static_assert(sizeof(TcpHeader) == 20);

/// BOOTP fixed part plus the DHCP magic cookie (RFC 2131 §2).
struct DhcpHeader {
    uint8_t op;
    uint8_t htype;
    uint8_t hlen;
    uint8_t hops;
    Be32 xid;
    Be16 secs;
    Be16 flags;
    Be32 ciaddr;
    Be32 yiaddr;
    Be32 siaddr;
    Be32 giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64];
    uint8_t file[128];
    Be32 magic;
};
static_assert(sizeof(DhcpHeader) == 240);

/// The header IFF_VNET_HDR puts before every frame on the tap (struct virtio_net_hdr, legacy
/// layout: native byte order, 10 bytes). Offload metadata for checksums and GSO super-frames.
struct VirtioNetHdr {
    uint8_t flags;        ///< vnet_needs_csum, vnet_data_valid
    uint8_t gso_type;     ///< vnet_gso_none, vnet_gso_tcpv4, …; | vnet_gso_ecn
    uint16_t hdr_len;     ///< Ethernet + IP + TCP header bytes of a GSO frame
    uint16_t gso_size;    ///< payload bytes per segment (the MSS)
    uint16_t csum_start;  ///< where the checksummed range starts (from the Ethernet header)
    uint16_t csum_offset; ///< the checksum field, relative to csum_start
};
static_assert(sizeof(VirtioNetHdr) == 10);

// clang-format off
inline constexpr uint8_t vnet_needs_csum = 1, vnet_data_valid = 2;
inline constexpr uint8_t vnet_gso_none = 0, vnet_gso_tcpv4 = 1, vnet_gso_udp = 3,
                         vnet_gso_tcpv6 = 4, vnet_gso_ecn = 0x80;
inline constexpr uint8_t tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_psh = 0x08,
                         tcp_ack = 0x10;
// clang-format on

} // namespace slirp
