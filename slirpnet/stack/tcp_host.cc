// SPDX-License-Identifier: Apache-2.0
// tcp_host.cc — host-socket events of TCP connections, and accepts on forwarded ports
//
// Theory of operation: see tcp_input.cc. Here the host side moves the guest side: a finished
// non-blocking connect() becomes our SYN-ACK (or a RST / ICMP unreachable for a failure, as
// libslirp), room in the host send buffer reopens the guest's window, readable data is pushed
// to the guest (tcp_output.cc). A forwarded port (API add_hostfwd, TCP) accepts on the host and
// opens toward the guest with a SYN of our own, from the client's address (loopback and the
// unspecified address shown as the gateway, 10.0.2.2 or fd00::2). Out of fds, a forward's
// listener leaves the epoll set until the next 100 ms tick rather than waking us in a loop.

#include "slirpnet/stack/stack.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace slirp::tcp {

void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept {
    if (idx >= st.tcp.conns.size())
        return;
    TcpConn& c = st.tcp.conns[idx];
    switch (c.state) {
    case TcpState::connecting: {
        int err = 0;
        socklen_t l = sizeof(err);
        if (getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &l) != 0)
            err = errno;
        if (err == 0 && (events & EPOLLOUT) == 0)
            return;
        if (err != 0) {
            int code = connect_failure_icmp_code(err);
            st.out.reset();
            if (code < 0) // refused: RST, as libslirp does ("Connection refused" in the guest)
                send_segment(st, c.raddr, c.rport, c.gaddr, c.gport, 0, c.rcv_nxt,
                             tcp_rst | tcp_ack, 0, {});
            else
                ip::send_unreach(st, static_cast<uint8_t>(code), c.syn_head);
            release(st, c);
            return;
        }
        c.state = TcpState::syn_rcvd;
        emit_syn(st, c, true);
        c.snd_nxt = c.iss + 1;
        arm_rto(st, c);
        return;
    }
    case TcpState::established:
        if ((events & EPOLLERR) != 0) {
            abort_conn(st, c);
            return;
        }
        if ((events & EPOLLOUT) != 0 && c.want_out) {
            c.want_out = false;
            // A window update, then three duplicate ACKs: the guest dropped nothing, but what
            // it sent past the short write is gone, and three dupacks make it retransmit now
            // (RFC 5681 §3.2) instead of after its retransmission timeout.
            for (int i = 0; i < 4; ++i) {
                st.out.reset();
                emit(st, c, tcp_ack, c.snd_nxt);
            }
        } else if ((events & EPOLLOUT) != 0 && c.wnd_watch) {
            c.wnd_watch = false; // room again after a small window: tell the guest
            if (host_window(c) > c.adv_wnd) {
                st.out.reset();
                emit(st, c, tcp_ack, c.snd_nxt);
            }
        }
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0) {
            c.host_data = true;
            push(st, c);
        }
        if (c.state == TcpState::established && c.guest_fin && c.fin_sent && c.snd_una == c.snd_nxt)
            release(st, c);
        return;
    default:
        return; // syn_sent/syn_rcvd: host data waits until the guest side is up
    }
}

void pause_forward(Stack& st, Forward& fw) noexcept {
    // Level-triggered and unaccepted, the listener would wake us forever: out of the epoll
    // set until the next tick (timer_tick puts it back), as passt does for EMFILE.
    epoll_event ev{};
    if (epoll_ctl(st.epoll.get(), EPOLL_CTL_MOD, fw.fd.get(), &ev) == 0)
        fw.paused = true;
    ++st.cnt.flow_limit;
}

void fwd_accept(Stack& st, uint32_t fwd_idx) noexcept {
    if (fwd_idx >= st.forwards.size() || !st.forwards[fwd_idx].fd)
        return;
    Forward& fw = st.forwards[fwd_idx];
    for (int batch = 0; batch < 64; ++batch) {
        SockAddr from;
        from.len = sizeof(from.ss);
        common::UniqueFd fd(
            accept4(fw.fd.get(), from.sa(), &from.len, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (out_of_fds(errno))
                pause_forward(st, fw);
            return;
        }
        bool v6 = !fw.guest_addr.is4();
        Addr guest = fw.guest_addr;
        if (v6 && guest.is_unspecified6())
            guest = guest_addr6(st); // guest_addr omitted: the guest's SLAAC address
        if (v6 && guest.is_unspecified6()) {
            ++st.cnt.no_route;
            continue;
        }
        FlowKey key{guest, translate_in(st, from.addr(), v6), static_cast<uint16_t>(fw.guest_port),
                    from.port()};
        if (st.tcp.index.count(key) != 0) {
            ++st.cnt.no_route;
            continue;
        }
        int i = alloc(st, false);
        if (i < 0) {
            ++st.cnt.flow_limit; // the client sees its connection closed
            continue;
        }
        int one = 1;
        (void)setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        (void)setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &tcp_sndbuf, sizeof(tcp_sndbuf));
        TcpConn& c = st.tcp.conns[static_cast<size_t>(i)];
        c = TcpConn{};
        c.fd = std::move(fd);
        c.gaddr = key.gaddr;
        c.gport = key.gport;
        c.raddr = key.raddr;
        c.rport = key.rport;
        c.iss = new_iss();
        c.snd_una = c.iss;
        c.snd_nxt = c.iss + 1;
        c.rcv_ws = tcp_our_wscale;
        c.state = TcpState::syn_sent;
        c.last_ms = c.open_ms = st.now_ms;
        if (!watch_conn(st, c, static_cast<uint32_t>(i))) {
            c = TcpConn{};
            continue;
        }
        st.tcp.index[key] = static_cast<uint32_t>(i);
        emit_syn(st, c, false);
        arm_rto(st, c);
    }
}

} // namespace slirp::tcp
