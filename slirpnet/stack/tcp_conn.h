// SPDX-License-Identifier: Apache-2.0
// tcp_conn.h — the TCP translation block: one guest connection bound to one host socket
#pragma once

#include "common/unique_fd.h"
#include "slirpnet/stack/addr.h"
#include "slirpnet/stack/packet.h"
#include "slirpnet/stack/wire.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace slirp {

struct Stack;
struct IpInfo;
struct Forward;

// clang-format off
inline constexpr size_t   max_tcp_conns     = 4096;    ///< simultaneous translated connections
inline constexpr uint32_t tcp_rto_init_ms   = 1000;    ///< RFC 6298 §2.1
inline constexpr uint32_t tcp_rto_max_ms    = 60'000;  ///< RFC 6298 §2.5
inline constexpr uint8_t  tcp_max_retries   = 12;      ///< then RST both sides
inline constexpr uint8_t  tcp_our_wscale    = 7;       ///< windows up to 8 MiB (RFC 7323 §2.3)
inline constexpr uint16_t tcp_default_mss   = 536;     ///< RFC 9293 §3.7.1 when no MSS option
inline constexpr uint64_t tcp_idle_ms       = 7'200'000; ///< no guest segment for 2 h (passt's ACT_TIMEOUT)
inline constexpr uint64_t tcp_syn_timeout_ms = 10'000;  ///< handshake either way (passt's SYN_TIMEOUT)
inline constexpr int      tcp_sndbuf        = 4 << 20; ///< requested; the kernel caps it at wmem_max
inline constexpr uint32_t tcp_low_wnd       = 65536;   ///< below this, watch for room (EPOLLOUT)
// clang-format on

/// The states we need: we translate rather than terminate, so the host kernel runs the real TCP
/// state machine on its side and we only track the guest side (RFC 9293 §3.3.2 names in comments).
enum class TcpState : uint8_t {
    free,
    connecting,  ///< guest SYN seen, host connect() in progress (LISTEN→SYN-RECEIVED pending)
    syn_sent,    ///< forwarded port: SYN sent to the guest (SYN-SENT)
    syn_rcvd,    ///< SYN-ACK sent to the guest, waiting for its ACK (SYN-RECEIVED)
    established, ///< data both ways; FIN flags below track half-closes
};

struct TcpConn {
    TcpState state = TcpState::free;
    Addr gaddr; ///< guest address/port (either family; IPv4 mapped)
    uint16_t gport = 0;
    Addr raddr; ///< the remote as the guest sees it
    uint16_t rport = 0;
    common::UniqueFd fd;

    // Our send side (host → guest). Bytes in [snd_una, snd_nxt) are peeked, not yet consumed.
    uint32_t iss = 0;
    uint32_t snd_una = 0;
    uint32_t snd_nxt = 0;
    uint32_t snd_wnd = 0; ///< guest's advertised window, in bytes (already scaled)
    uint8_t snd_ws = 0;   ///< guest's window shift
    uint16_t mss = tcp_default_mss;

    // Our receive side (guest → host).
    uint32_t rcv_nxt = 0;
    uint8_t rcv_ws = 0; ///< our shift (0 if the guest did not offer scaling)
    uint32_t adv_wnd = 0;
    int64_t wnd_hint = -1; ///< host_window() computed once per push() burst; -1: ask the kernel

    bool guest_fin = false; ///< guest sent FIN; we shut the host socket for writing
    bool host_eof = false;  ///< host socket read EOF; FIN is due to the guest
    bool fin_sent = false;
    bool want_out = false;  ///< EPOLLOUT armed (host send buffer was full)
    bool wnd_watch = false; ///< a small window was advertised; EPOLLOUT re-armed to update it
    bool host_data = true;  ///< host socket may hold unsent data: cleared by an EAGAIN peek,
                            ///< set by EPOLLIN (edge-triggered) and by retransmission

    std::array<std::byte, 48> syn_head{}; ///< guest SYN's IP header + 8 bytes, for ICMP errors
    uint64_t rto_at = 0;                  ///< 0: no timer
    uint32_t rto_ms = tcp_rto_init_ms;
    uint8_t retries = 0;
    uint8_t probes = 0;   ///< zero-window probes the guest has not answered
    uint64_t open_ms = 0; ///< when the handshake started (tcp_syn_timeout_ms)
    uint64_t last_ms = 0; ///< last segment from the guest
};

struct TcpTable {
    TcpTable() : conns(max_tcp_conns) { index.reserve(max_tcp_conns); }
    std::vector<TcpConn> conns; ///< fixed size, allocated once
    std::unordered_map<FlowKey, uint32_t, FlowKeyHash> index;
};

namespace tcp {
/// A segment from the guest.
void input(Stack& st, const IpInfo& ip, PacketView p) noexcept;
/// Host socket event for connection `idx`.
void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept;
/// A forwarded port's listener is readable: accept and open toward the guest.
void fwd_accept(Stack& st, uint32_t fwd_idx) noexcept;
/// Retransmissions, persist probes, idle expiry.
void timer(Stack& st) noexcept;
/// Number of connections in use.
size_t active(const Stack& st) noexcept;

// Shared between tcp_input.cc, tcp_output.cc and tcp_timer.cc.
inline bool seq_lt(uint32_t a, uint32_t b) noexcept {
    return static_cast<int32_t>(a - b) < 0;
}
inline bool seq_le(uint32_t a, uint32_t b) noexcept {
    return static_cast<int32_t>(a - b) <= 0;
}
/// Sends a segment whose payload is already in st.out (empty for control segments).
/// With an offloading sink a data segment leaves with a partial checksum, and one longer than
/// `gso_size` (non-zero) as a GSO super-frame the guest's kernel takes as gso_size-byte segments.
void send_segment(Stack& st, const Addr& src, uint16_t sport, const Addr& dst, uint16_t dport,
                  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                  std::span<const std::byte> options, uint16_t gso_size = 0) noexcept;
/// Sends a control or data segment of `c` (payload in st.out) with the current ack and window.
void emit(Stack& st, TcpConn& c, uint8_t flags, uint32_t seq, uint16_t gso_size = 0) noexcept;
/// Payload bytes per segment toward the guest: its MSS, capped by our MTU.
size_t seg_size(const Stack& st, const TcpConn& c) noexcept;
/// Payload bytes per frame: seg_size(), or whole segments up to 64 KiB with GSO offload.
size_t frame_payload(const Stack& st, const TcpConn& c) noexcept;
/// SYN or SYN-ACK with MSS and window-scale options.
void emit_syn(Stack& st, TcpConn& c, bool with_ack) noexcept;
/// Sends host data the guest's window allows (MSG_PEEK, no copy kept), and FIN at host EOF.
void push(Stack& st, TcpConn& c) noexcept;
/// Free space in the host socket's send buffer: the window we advertise, in bytes.
uint32_t host_window(const TcpConn& c) noexcept;
/// How a failed host connect() looks to the guest: RST for a refusal (-1), else the ICMP
/// destination-unreachable code (net for ENETUNREACH, host otherwise), as libslirp does.
int connect_failure_icmp_code(int err) noexcept;
/// Resets the guest side (RST) and closes the host socket with RST (SO_LINGER 0).
void abort_conn(Stack& st, TcpConn& c) noexcept;
/// Forgets the connection (closes the host socket normally).
void release(Stack& st, TcpConn& c) noexcept;
/// Re-arms the host socket in epoll (EPOLL_CTL_MOD): the kernel re-polls it and, if its send
/// buffer is short of room, reports EPOLLOUT once a third of it is free again.
void rearm(Stack& st, TcpConn& c) noexcept;
/// A random initial sequence number.
uint32_t new_iss() noexcept;
/// Takes a forward's listener out of epoll until the next tick (accept() ran out of fds).
void pause_forward(Stack& st, Forward& fw) noexcept;
/// A free connection slot, -1 if none or the table is at st.lim.tcp (for a guest's own
/// connections: at seven eighths of it, the rest is kept for forwarded ports).
int alloc(Stack& st, bool from_guest) noexcept;
/// Sets SO_PEEK_OFF and registers the connection's host socket with epoll.
bool watch_conn(Stack& st, TcpConn& c, uint32_t idx) noexcept;
/// Arms the retransmission timer if it is not running.
void arm_rto(Stack& st, TcpConn& c) noexcept;
} // namespace tcp

} // namespace slirp
