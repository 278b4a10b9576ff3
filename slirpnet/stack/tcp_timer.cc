// SPDX-License-Identifier: Apache-2.0
// tcp_timer.cc — TCP retransmission (RFC 6298), zero-window probes and idle expiry
//
// Theory of operation: one timer per connection (rto_at), checked on the 100 ms loop tick.
// It runs while anything we sent is unacknowledged or the guest's window is closed. On expiry
// the RTO doubles (RFC 6298 §5.5, capped at tcp_rto_max_ms) and we go back N: SO_PEEK_OFF is
// rewound to 0 so the next MSG_PEEK re-reads from snd_una, which is the whole retransmission
// buffer (nothing is copied). A SYN or SYN-ACK is resent as such. With a closed window the
// resend is a zero-window probe: a bare ACK one byte below snd_una, which makes the guest
// repeat its window (RFC 9293 §3.8.6.1). After tcp_max_retries both sides are reset.
// Connections with no guest segment for tcp_idle_ms are reset too, so are handshakes either way
// not done within tcp_syn_timeout_ms (a SYN to a blackholed address frees its fd after 10 s,
// as passt's SYN_TIMEOUT), and a zero window whose probes the guest leaves unanswered
// tcp_max_retries times: only a guest segment (not host data) counts as activity.

#include "slirpnet/stack/stack.h"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace slirp::tcp {

namespace {

void retransmit(Stack& st, TcpConn& c) noexcept {
    switch (c.state) {
    case TcpState::syn_sent:
        emit_syn(st, c, false);
        return;
    case TcpState::syn_rcvd:
        emit_syn(st, c, true);
        return;
    case TcpState::established:
        if (c.snd_una == c.snd_nxt && c.snd_wnd == 0) {
            st.out.reset();
            emit(st, c, tcp_ack, c.snd_una - 1); // zero-window probe
            return;
        }
        if (c.snd_una != c.snd_nxt) {
            int zero = 0;
            (void)setsockopt(c.fd.get(), SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
            c.snd_nxt = c.snd_una;
            c.fin_sent = false;
            c.host_data = true;
            push(st, c);
        }
        return;
    default:
        return;
    }
}

/// No handshake within tcp_syn_timeout_ms: a host that never answers the guest's SYN looks like
/// the kernel's ETIMEDOUT (host unreachable), and either side of a half-open one is reset.
void handshake_timeout(Stack& st, TcpConn& c) noexcept {
    if (c.state == TcpState::connecting) {
        ip::send_unreach(st, static_cast<uint8_t>(connect_failure_icmp_code(ETIMEDOUT)),
                         c.syn_head);
        release(st, c);
        return;
    }
    abort_conn(st, c);
}

} // namespace

void timer(Stack& st) noexcept {
    if (st.tcp.index.empty())
        return;
    for (TcpConn& c : st.tcp.conns) {
        if (c.state == TcpState::free)
            continue;
        if (st.now_ms - c.last_ms > tcp_idle_ms) {
            abort_conn(st, c);
            continue;
        }
        if (c.state != TcpState::established && st.now_ms - c.open_ms >= tcp_syn_timeout_ms) {
            handshake_timeout(st, c);
            continue;
        }
        if (c.rto_at == 0 || st.now_ms < c.rto_at)
            continue;
        bool probing = c.state == TcpState::established && c.snd_una == c.snd_nxt;
        // a probe the guest never answers counts as a retransmission; an answer clears it
        if (probing ? ++c.probes > tcp_max_retries : ++c.retries > tcp_max_retries) {
            abort_conn(st, c);
            continue;
        }
        c.rto_ms = std::min(c.rto_ms * 2, tcp_rto_max_ms);
        c.rto_at = 0;
        retransmit(st, c);
        if (c.state != TcpState::free &&
            (c.snd_una != c.snd_nxt || c.snd_wnd == 0 || c.state != TcpState::established))
            arm_rto(st, c);
    }
}

} // namespace slirp::tcp
