// SPDX-License-Identifier: Apache-2.0
// icmp_sock.h — ICMP echo through host sockets, and host-socket ICMP errors back to the guest
#pragma once

#include "common/unique_fd.h"
#include "slirpnet/stack/addr.h"
#include "slirpnet/stack/wire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace slirp {

struct Stack;
struct IpInfo;

// clang-format off
inline constexpr size_t   max_icmp_flows  = 64;      ///< host sockets for guest echo flows
inline constexpr uint64_t icmp_expiry_ms  = 30'000;  ///< an idle echo flow's socket is closed
inline constexpr size_t   icmp_quote_max  = 60 + 8;  ///< IP header with options + 8 bytes (RFC 792)
inline constexpr uint16_t icmp_echo_port  = 7;       ///< libslirp's fallback: UDP to the echo port
// clang-format on

/// The start of the guest datagram a host socket's ICMP error is about (IP header + 8 bytes):
/// what the error quotes back so the guest can match it to its socket.
struct Quote {
    std::array<std::byte, icmp_quote_max> bytes{};
    uint8_t len = 0;
    /// Keeps the header and the first 8 payload bytes of `datagram` (a validated IPv4 or IPv6
    /// datagram; IPv6: the fixed header, RFC 4443 §2.4(c) allows more, the kernel needs no more).
    void set(std::span<const std::byte> datagram) noexcept;
    std::span<const std::byte> get() const noexcept { return {bytes.data(), len}; }
};

/// How an echo flow reaches the host, in libslirp's order of preference.
enum class EchoVia : uint8_t {
    ping, ///< SOCK_DGRAM/IPPROTO_ICMP, if net.ipv4.ping_group_range admits our gid
    raw,  ///< SOCK_RAW/IPPROTO_ICMP, with CAP_NET_RAW in the host netns' user namespace
    udp,  ///< neither: a UDP datagram to the destination's echo port
};

/// One guest echo flow (guest address, echo id, remote) and its host socket.
struct IcmpFlow {
    bool used = false;
    EchoVia via = EchoVia::ping;
    Addr gaddr;       ///< either family
    Addr raddr;       ///< as the guest addressed it
    uint16_t gid = 0; ///< the guest's echo id (a ping socket's own id differs)
    common::UniqueFd fd;
    uint64_t last_ms = 0;
    Quote quote; ///< the last request, for errors
};

struct IcmpTable {
    IcmpTable() : flows(max_icmp_flows) { index.reserve(max_icmp_flows); }
    std::vector<IcmpFlow> flows; ///< fixed size, allocated once
    /// Flows by (guest address, echo id as gport, remote, rport 0): the same key as TCP/UDP.
    std::unordered_map<FlowKey, uint32_t, FlowKeyHash> index;
};

/// One ICMP error a host socket reported through IP_RECVERR.
struct HostIcmpError {
    bool from_icmp = false; ///< false: a local error (e.g. EMSGSIZE), nothing to forward
    bool v6 = false;        ///< an ICMPv6 error (IPV6_RECVERR), else ICMPv4
    uint8_t type = 0;
    uint8_t code = 0;
    Addr offender;                   ///< who sent the error (unspecified: unknown)
    uint32_t info = 0;               ///< next-hop MTU for "fragmentation needed"
    std::array<std::byte, 8> head{}; ///< first bytes of what we had sent (an ICMP or UDP payload)
    size_t head_len = 0;
};

namespace icmp4 {
/// An echo request to an address that is not ours: out through a host socket (flow created on
/// first use). `icmp` is the whole ICMP message, checksum verified.
/// Either family: ICMPv6 echo (icmp6.cc) uses the same flows, through ICMPv6 sockets.
void echo_out(Stack& st, const IpInfo& ip, std::span<const std::byte> icmp) noexcept;
/// An echo flow's socket is readable or has an error queued.
void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept;
/// Closes idle echo flows.
void expire(Stack& st) noexcept;
/// ICMP error type/code from `src` to the guest that sent the datagram quoted in `quote`
/// (RFC 792: its header and 8 bytes). TTL 255 as libslirp's icmp_send_error().
void send_error_from(Stack& st, uint32_t src, uint8_t type, uint8_t code, uint16_t mtu,
                     std::span<const std::byte> quote) noexcept;
/// Reads one entry of `fd`'s error queue (IP_RECVERR); false when the queue is empty.
bool read_host_error(int fd, HostIcmpError& out) noexcept;
/// Enables IP_RECVERR (and IPV6_RECVERR) on a host socket, so ICMP errors arrive with their type,
/// code and sender.
void enable_recverr(int fd) noexcept;
} // namespace icmp4

} // namespace slirp
