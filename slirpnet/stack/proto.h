// SPDX-License-Identifier: Apache-2.0
// proto.h — the per-protocol entry points of the stack (one namespace per file under stack/)
#pragma once

#include "slirpnet/stack/addr.h"
#include "slirpnet/stack/packet.h"
#include "slirpnet/stack/wire.h"

#include <cstdint>
#include <span>
#include <string_view>

namespace slirp {

struct Stack;
class FrameSink;

/// A validated guest IP datagram of either family, as the transport handlers see it.
struct IpInfo {
    Addr src, dst;
    uint8_t proto = 0;
    std::span<const std::byte> datagram; ///< the whole datagram (for ICMP error quotes)
    uint8_t ttl = 0; ///< TTL / hop limit as received (NDP requires 255, RFC 4861 §6.1)
};

namespace ether {
/// Takes one frame from the guest.
void input(Stack& st, std::span<const std::byte> frame) noexcept;
/// Prepends the Ethernet header (from `src`, to the guest) and sends out.
void output(Stack& st, FrameBuf& f, const common::Mac& src, uint16_t ethertype) noexcept;
/// Same, to an explicit destination MAC (IPv6 multicast: 33:33 + the low 32 bits).
void output_to(Stack& st, FrameBuf& f, const common::Mac& src, const common::Mac& dst,
               uint16_t ethertype) noexcept;
} // namespace ether

namespace vnet {
/// Takes one frame read from an IFF_VNET_HDR tap (virtio_net_hdr + Ethernet frame): completes
/// a partial UDP checksum in place, marks a partial TCP checksum as trusted, then ether::input.
void input(Stack& st, std::span<std::byte> buf) noexcept;
/// Writes the checksum a VIRTIO_NET_HDR_F_NEEDS_CSUM frame lacks; false if the offsets are bad.
bool complete_csum(std::span<std::byte> frame, const VirtioNetHdr& h) noexcept;
/// Software GSO: sends `frame` through out.send() as ordinary frames, with full checksums
/// (a TCPv4/TCPv6 super-frame becomes gso_size-byte segments); false if the frame is not usable.
bool segment(std::span<const std::byte> frame, const VirtioNetHdr& h, FrameSink& out) noexcept;
} // namespace vnet

namespace arp {
void input(Stack& st, PacketView p) noexcept;
} // namespace arp

namespace ipv4 {
void input(Stack& st, PacketView p) noexcept;
/// Prepends an IPv4 header (DF off) and sends it to the guest from the gateway (or DNS) MAC.
void output(Stack& st, FrameBuf& f, uint32_t src, uint32_t dst, uint8_t proto,
            uint8_t ttl = 64) noexcept;
} // namespace ipv4

namespace ipv6 {
/// Validates a guest IPv6 datagram, walks its extension headers (bounded) and demuxes it.
void input(Stack& st, PacketView p) noexcept;
/// Prepends an IPv6 header and sends it to the guest (multicast destinations on 33:33:…).
void output(Stack& st, FrameBuf& f, const Addr& src, const Addr& dst, uint8_t proto,
            uint8_t hop_limit = 64) noexcept;
} // namespace ipv6

namespace ip {
/// The family's output: ipv4::output or ipv6::output.
void output(Stack& st, FrameBuf& f, const Addr& src, const Addr& dst, uint8_t proto,
            uint8_t ttl = 64) noexcept;
/// Destination unreachable about the guest datagram `orig` (either family), given as the ICMPv4
/// code (net, host, port): ICMPv6 gets the matching code (no route, address, port; RFC 4443).
void send_unreach(Stack& st, uint8_t code4, std::span<const std::byte> orig) noexcept;
/// A validated guest datagram's transport (`p` at its first byte) to ICMP/ICMPv6, UDP or TCP,
/// by `ip.proto` and the family; anything else is counted as unsupported.
void deliver(Stack& st, const IpInfo& ip, PacketView p) noexcept;
} // namespace ip

namespace icmp4 {
void input(Stack& st, const IpInfo& ip, PacketView p) noexcept;
/// ICMP error (type/code) about the IPv4 datagram `orig` (header + first bytes) to the guest.
void send_error(Stack& st, uint8_t type, uint8_t code, std::span<const std::byte> orig) noexcept;
} // namespace icmp4

namespace icmp6 {
void input(Stack& st, const IpInfo& ip, PacketView p) noexcept;
/// ICMPv6 error (RFC 4443 §3) from `src` about the guest datagram `orig`; `info` is the
/// type-specific word (the MTU of Packet Too Big). Never about an ICMPv6 error.
void send_error_from(Stack& st, const Addr& src, uint8_t type, uint8_t code, uint32_t info,
                     std::span<const std::byte> orig) noexcept;
/// Same, from the router address (fe80::2 to a link-local guest source, else fd00::2).
void send_error(Stack& st, uint8_t type, uint8_t code, std::span<const std::byte> orig) noexcept;
/// Sets the ICMPv6 checksum of the message in `f` (RFC 4443 §2.3).
void set_csum(FrameBuf& f, const Addr& src, const Addr& dst) noexcept;
} // namespace icmp6

namespace ndp {
/// Router and Neighbor Solicitations (RFC 4861): RA to an RS, NA for the router/DNS addresses.
void input(Stack& st, const IpInfo& ip, PacketView p) noexcept;
/// An unsolicited Router Advertisement to all nodes (sent at start and every few minutes).
void send_ra(Stack& st) noexcept;
} // namespace ndp

namespace dhcp4 {
/// Answers a DHCPDISCOVER/REQUEST carried in `p` (UDP payload) from the guest.
void input(Stack& st, PacketView p) noexcept;
} // namespace dhcp4

namespace dhcp6 {
/// Answers a stateless Information-request (RFC 8415 §18.2.6) carried in `p` (UDP payload).
void input(Stack& st, const IpInfo& ip, uint16_t sport, PacketView p) noexcept;
} // namespace dhcp6

namespace dns {
/// The first IPv4 nameserver in resolv.conf text (host order), 0 if none.
uint32_t parse_resolv_conf(std::string_view text) noexcept;
/// The first nameserver of either family; false if none.
bool parse_resolv_conf_any(std::string_view text, Addr& out) noexcept;
/// Re-reads `path` into st.cfg.dns_server when it changed (checked at most once a second).
void refresh(Stack& st) noexcept;
} // namespace dns

} // namespace slirp
