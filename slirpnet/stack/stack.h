// SPDX-License-Identifier: Apache-2.0
// stack.h — the Stack context passed to every protocol handler (passt's ctx), and event dispatch
#pragma once

#include "common/netlink.h"
#include "common/unique_fd.h"
#include "slirpnet/stack/addr.h"
#include "slirpnet/stack/config.h"
#include "slirpnet/stack/icmp_sock.h"
#include "slirpnet/stack/packet.h"
#include "slirpnet/stack/proto.h"
#include "slirpnet/stack/sink.h"
#include "slirpnet/stack/tcp_conn.h"
#include "slirpnet/stack/udp.h"
#include "slirpnet/stack/wire.h"

#include <array>
#include <cerrno>
#include <cstdint>
#include <netinet/in.h>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slirp {

/// What an epoll event's u64 refers to: kind in the high 32 bits, slot index in the low.
enum class Tag : uint32_t {
    tap = 1,
    timer,
    exit_fd,
    target,
    signal,
    api_listen,
    api_conn,
    udp,
    tcp,
    fwd_tcp,
    fwd_udp,
    icmp
};
inline uint64_t make_tag(Tag t, uint32_t idx) noexcept {
    return (uint64_t{static_cast<uint32_t>(t)} << 32) | idx;
}
inline Tag tag_kind(uint64_t v) noexcept {
    return static_cast<Tag>(v >> 32);
}
inline uint32_t tag_index(uint64_t v) noexcept {
    return static_cast<uint32_t>(v);
}

/// A port forward from a host listener to a guest address (API add_hostfwd).
struct Forward {
    int id = 0;
    bool udp = false;
    Addr host_addr;    ///< IPv4 (mapped) or, beyond the original, IPv6
    int host_port = 0; ///< as given (the original echoes the raw number)
    Addr guest_addr;   ///< same family as host_addr
    int guest_port = 0;
    common::UniqueFd fd; ///< listener (TCP) or bound socket (UDP); empty once removed
    bool paused = false; ///< accept() hit EMFILE/ENFILE: out of epoll until the next tick
};

/// How many host sockets each table may hold: below RLIMIT_NOFILE, with room kept for the
/// tap, epoll, timer, signal, pid and exit fds, the API socket and its clients.
struct Limits {
    size_t tcp = max_tcp_conns;
    size_t udp = max_udp_flows;
    size_t forwards = 4096;
    /// fds kept out of every table: fixed fds (tap, epoll, timer, …) and API clients
    static constexpr size_t reserve = 64 + 64;
    /// Limits for a process that may hold `nofile` fds (the ICMP table's 64 come first).
    static Limits for_nofile(size_t nofile) noexcept;
};

struct Stack {
    Stack(const Config& c, FrameSink& s); ///< Throws SysError (epoll_create1).

    Config cfg;
    FrameSink& sink;
    common::UniqueFd epoll;
    common::Mac guest_mac{};
    bool guest_mac_known = false;
    Addr guest6; ///< the guest's fd00::/64 address as last seen (unspecified until then)
    Counters cnt;
    uint64_t now_ms = 0; ///< monotonic, refreshed by the loop before each batch
    FrameBuf out;        ///< the one outgoing frame being built
    VirtioNetHdr
        tx_vnet{}; ///< offload metadata for `out` (all zero: none); ether::output clears it
    bool rx_csum_trusted = false; ///< the guest frame being handled needs no L4 checksum check
    std::span<const std::byte>
        cur_datagram;        ///< the guest IP datagram being handled (for ICMP errors)
    uint64_t next_ra_ms = 0; ///< when the next unsolicited Router Advertisement is due
    UdpTable udp;
    IcmpTable icmp; ///< echo flows to host ping (or UDP port 7) sockets
    TcpTable tcp;
    std::array<uint8_t, 6 * 16> dhcp_leases{}; ///< MAC per pool slot; all-zero = free
    std::vector<Forward> forwards;             ///< slots reused; trailing free slots dropped
    int next_forward_id = 1;
    Limits lim;
};

/// Where a guest packet to `dst:dport` goes on the host (docs/compat/slirp4netns.md §3.4, §3.5):
/// the gateway maps to 127.0.0.1 (fd00::/64 to ::1) unless --disable-host-loopback, DNS:53 to the
/// host resolver; false = refused. The host socket's family is out.family(), not necessarily dst's.
bool translate_out(const Stack& st, const Addr& dst, uint16_t dport, SockAddr& out) noexcept;
/// The address a guest of the given family sees for a host peer: loopback and the unspecified
/// address become the gateway (10.0.2.2 or fd00::2) (§3.7).
Addr translate_in(const Stack& st, const Addr& host_addr, bool guest_v6) noexcept;
/// The guest's IPv6 address for forwards without guest_addr: the fd00::/64 one it was last seen
/// using, else the SLAAC (EUI-64, RFC 4291 App. A) address of its MAC; unspecified if neither.
Addr guest_addr6(const Stack& st) noexcept;
/// Binds `fd` (of `family`) to --outbound-addr / --outbound-addr6 if given; false on failure.
bool bind_outbound(const Stack& st, int fd, int family) noexcept;
/// Milliseconds from CLOCK_MONOTONIC.
uint64_t monotonic_ms() noexcept;
/// Handles one epoll event of a host socket owned by the stack (udp, tcp, forwards).
void dispatch(Stack& st, uint64_t tag, uint32_t events) noexcept;
/// Periodic work: expiries and retransmissions. Call about every 100 ms.
void timer_tick(Stack& st) noexcept;
/// Waits up to timeout_ms for host-socket events and dispatches them (tests drive the stack so).
int poll_once(Stack& st, int timeout_ms) noexcept;
/// True for an errno that means "out of file descriptors or memory" (accept, socket).
inline bool out_of_fds(int err) noexcept {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}
/// Registers fd with the stack's epoll for `events`; false on failure.
bool watch(Stack& st, int fd, uint32_t events, uint64_t tag) noexcept;

} // namespace slirp
