// SPDX-License-Identifier: Apache-2.0
// udp.h — UDP flows: one connected host socket per guest 4-tuple, plus forwarded-port replies
#pragma once

#include "common/unique_fd.h"
#include "slirpnet/stack/addr.h"
#include "slirpnet/stack/icmp_sock.h"
#include "slirpnet/stack/packet.h"
#include "slirpnet/stack/wire.h"

#include <cstdint>
#include <netinet/in.h>
#include <unordered_map>
#include <vector>

namespace slirp {

struct Stack;
struct IpInfo;

// clang-format off
inline constexpr size_t max_udp_flows = 1024;        ///< host sockets for guest UDP flows
inline constexpr uint64_t udp_expiry_ms = 240'000;   ///< libslirp's UDP flow expiry
inline constexpr uint64_t udp_dns_expiry_ms = 10'000;///< port 53 flows expire sooner (libslirp)
// clang-format on

struct UdpFlow {
    bool used = false;
    Addr gaddr; ///< guest side (either family)
    uint16_t gport = 0;
    Addr raddr; ///< remote as the guest sees it
    uint16_t rport = 0;
    common::UniqueFd fd; ///< our connected socket; empty for a forwarded-port flow
    int fwd_fd = -1;     ///< borrowed listener of a UDP forward (replies go out with sendto)
    SockAddr peer;       ///< the forward's client
    uint64_t last_ms = 0;
    uint64_t expiry_ms = udp_expiry_ms;
    Quote quote; ///< the last guest datagram, quoted by ICMP errors the host socket reports
};

struct UdpTable {
    UdpTable() : flows(max_udp_flows) { index.reserve(max_udp_flows); }
    std::vector<UdpFlow> flows;                               ///< fixed size, allocated once
    std::unordered_map<FlowKey, uint32_t, FlowKeyHash> index; ///< flows by guest 4-tuple
    size_t cursor = 0; ///< where the search for a free slot starts
};

namespace udp {
void input(Stack& st, const IpInfo& ip, PacketView p) noexcept;
/// Sends a UDP datagram to the guest.
void output(Stack& st, const Addr& src, uint16_t sport, const Addr& dst, uint16_t dport,
            std::span<const std::byte> payload) noexcept;
/// Sends a UDP datagram to the guest whose payload is already in st.out.
void send_built(Stack& st, const Addr& src, uint16_t sport, const Addr& dst,
                uint16_t dport) noexcept;
/// A flow socket (or a forward's socket) is readable.
void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept;
void fwd_event(Stack& st, uint32_t fwd_idx) noexcept;
void expire(Stack& st) noexcept;
/// Forgets the flows that reply through the forward socket `fd` (it is being removed).
void drop_forward(Stack& st, int fd) noexcept;
} // namespace udp

} // namespace slirp
