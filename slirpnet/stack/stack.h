// SPDX-License-Identifier: Apache-2.0
// stack.h — the Stack context passed to every protocol handler (passt's ctx), and its config
#pragma once

#include "common/netlink.h"
#include "common/unique_fd.h"
#include "slirpnet/stack/packet.h"
#include "slirpnet/stack/tcp_conn.h"
#include "slirpnet/stack/icmp_sock.h"
#include "slirpnet/stack/udp.h"
#include "slirpnet/stack/wire.h"

#include <array>
#include <cstdint>
#include <netinet/in.h>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slirp {

/// Addresses in host byte order, derived from --cidr as libslirp does (docs/compat/slirp4netns.md §3.1).
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
    uint32_t outbound_addr = 0;   ///< bind outbound sockets here (0: don't)
    uint32_t dns_server = 0;      ///< host resolver (first IPv4 nameserver); 0: none
    uint16_t dns_server_port = 53;
    const char* resolv_conf = "/etc/resolv.conf"; ///< re-read on change; nullptr: never

    uint32_t mask() const noexcept { return ~uint32_t{0} << (32 - prefix); }
    /// The config for a --cidr network (host order) and prefix.
    static Config from_cidr(uint32_t net, unsigned prefix) noexcept;
};

/// Where frames for the guest go: the tap fd in production, a vector in tests.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void send(std::span<const std::byte> frame) noexcept = 0;
    /// True when send_vnet() hands offload metadata to the guest (a tap with IFF_VNET_HDR):
    /// TCP then sends partial checksums and GSO super-frames (stack/vnet.cc).
    virtual bool offload() const noexcept { return false; }
    /// A frame with offload metadata. The default completes the checksum and segments a GSO
    /// super-frame in software, sending each piece with send() (vnet::segment).
    virtual void send_vnet(std::span<const std::byte> frame, const VirtioNetHdr& h) noexcept;
};

/// Frames seen and dropped, by reason (malformed guest input is counted, never fatal).
struct Counters {
    uint64_t frames_in = 0;
    uint64_t frames_out = 0;
    uint64_t malformed = 0;   ///< truncated, bad checksum, bad lengths
    uint64_t unsupported = 0; ///< valid but not handled (IPv6, fragments, other protocols)
    uint64_t no_route = 0;    ///< refused by policy (host loopback disabled, no flow slot)
    uint64_t tap_write_drops = 0; ///< frames for the guest the tap did not take
};

/// What an epoll event's u64 refers to: kind in the high 32 bits, slot index in the low.
enum class Tag : uint32_t {
    tap = 1, timer, exit_fd, target, signal, api_listen, api_conn, udp, tcp, fwd_tcp, fwd_udp, icmp
};
inline uint64_t make_tag(Tag t, uint32_t idx) noexcept {
    return (uint64_t{static_cast<uint32_t>(t)} << 32) | idx;
}
inline Tag tag_kind(uint64_t v) noexcept { return static_cast<Tag>(v >> 32); }
inline uint32_t tag_index(uint64_t v) noexcept { return static_cast<uint32_t>(v); }

/// A port forward from a host listener to a guest address (API add_hostfwd).
struct Forward {
    int id = 0;
    bool udp = false;
    uint32_t host_addr = 0;
    int host_port = 0; ///< as given (the original echoes the raw number)
    uint32_t guest_addr = 0;
    int guest_port = 0;
    common::UniqueFd fd; ///< listener (TCP) or bound socket (UDP); empty once removed
};

struct Stack {
    Stack(const Config& c, FrameSink& s); ///< Throws SysError (epoll_create1).

    Config cfg;
    FrameSink& sink;
    common::UniqueFd epoll;
    common::Mac guest_mac{};
    bool guest_mac_known = false;
    Counters cnt;
    uint64_t now_ms = 0; ///< monotonic, refreshed by the loop before each batch
    FrameBuf out;        ///< the one outgoing frame being built
    VirtioNetHdr tx_vnet{}; ///< offload metadata for `out` (all zero: none); ether::output clears it
    bool rx_csum_trusted = false; ///< the guest frame being handled needs no L4 checksum check
    std::span<const std::byte> cur_datagram; ///< the guest IPv4 datagram being handled (for ICMP errors)
    UdpTable udp;
    IcmpTable icmp; ///< echo flows to host ping (or UDP port 7) sockets
    TcpTable tcp;
    std::array<uint8_t, 6 * 16> dhcp_leases{}; ///< MAC per pool slot; all-zero = free
    std::vector<Forward> forwards;
    int next_forward_id = 1;
};

/// Where a guest packet to `dst:dport` goes on the host (docs/compat/slirp4netns.md §3.4, §3.5): the gateway maps
/// to 127.0.0.1 unless --disable-host-loopback, DNS:53 to the host resolver; false = refused.
bool translate_out(const Stack& st, uint32_t dst, uint16_t dport, sockaddr_in& out) noexcept;
/// The address the guest sees for a host peer: loopback and 0.0.0.0 become the gateway (§3.7).
uint32_t translate_in(const Stack& st, uint32_t host_addr) noexcept;
/// Binds `fd` to --outbound-addr if one was given; false on failure.
bool bind_outbound(const Stack& st, int fd) noexcept;

/// Milliseconds from CLOCK_MONOTONIC.
uint64_t monotonic_ms() noexcept;
/// Handles one epoll event of a host socket owned by the stack (udp, tcp, forwards).
void dispatch(Stack& st, uint64_t tag, uint32_t events) noexcept;
/// Periodic work: expiries and retransmissions. Call about every 100 ms.
void timer_tick(Stack& st) noexcept;
/// Waits up to timeout_ms for host-socket events and dispatches them (tests drive the stack so).
int poll_once(Stack& st, int timeout_ms) noexcept;
/// Registers fd with the stack's epoll for `events`; false on failure.
bool watch(Stack& st, int fd, uint32_t events, uint64_t tag) noexcept;

namespace ether {
/// Takes one frame from the guest.
void input(Stack& st, std::span<const std::byte> frame) noexcept;
/// Prepends the Ethernet header (from `src`, to the guest) and sends out.
void output(Stack& st, FrameBuf& f, const common::Mac& src, uint16_t ethertype) noexcept;
} // namespace ether

namespace vnet {
/// Takes one frame read from an IFF_VNET_HDR tap (virtio_net_hdr + Ethernet frame): completes
/// a partial UDP checksum in place, marks a partial TCP checksum as trusted, then ether::input.
void input(Stack& st, std::span<std::byte> buf) noexcept;
/// Writes the checksum a VIRTIO_NET_HDR_F_NEEDS_CSUM frame lacks; false if the offsets are bad.
bool complete_csum(std::span<std::byte> frame, const VirtioNetHdr& h) noexcept;
/// Software GSO: sends `frame` through out.send() as ordinary frames, with full checksums
/// (a TCPv4 super-frame becomes gso_size-byte segments); false if the frame is not usable.
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

namespace icmp4 {
void input(Stack& st, const Ipv4Header& ip, PacketView p) noexcept;
/// ICMP error (type/code) about the IPv4 datagram `orig` (header + first bytes) to the guest.
void send_error(Stack& st, uint8_t type, uint8_t code, std::span<const std::byte> orig) noexcept;
} // namespace icmp4

namespace dns {
/// The first IPv4 nameserver in resolv.conf text (host order), 0 if none.
uint32_t parse_resolv_conf(std::string_view text) noexcept;
/// Re-reads `path` into st.cfg.dns_server when it changed (checked at most once a second).
void refresh(Stack& st) noexcept;
} // namespace dns

} // namespace slirp
