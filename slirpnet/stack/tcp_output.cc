// SPDX-License-Identifier: Apache-2.0
// tcp_output.cc — TCP segments to the guest: headers, options, data peeked from host sockets
//
// Theory of operation (passt's model): host→guest data is never copied into a buffer of ours.
// push() reads it with MSG_PEEK at SO_PEEK_OFF (the offset advances past what was already sent)
// straight into the outgoing frame, so bytes in [snd_una, snd_nxt) stay in the kernel's receive
// queue until the guest ACKs them (tcp_input.cc then discards them with MSG_TRUNC). A
// retransmission rewinds SO_PEEK_OFF to 0 (tcp_timer.cc). Segments are at most the guest's MSS
// and never exceed its advertised window (RFC 9293 §3.8.6). With an offloading tap (vnet.cc) a
// frame carries up to 64 KiB of whole MSS-sized segments as one GSO super-frame with a partial
// checksum: one peek and one write per 64 KiB instead of per MSS, and no checksum computed.
// The window we advertise is the free space of the host socket's send buffer (SO_MEMINFO:
// sndbuf − wmem_queued, i.e. what send() will take), scaled by our shift when the guest offered
// window scaling (RFC 7323 §2), so a full kernel buffer closes the guest's window instead of us
// buffering. A window below tcp_low_wnd may not fit one guest segment, so we then ask epoll for
// EPOLLOUT and send a window update when room returns (else the guest waits for its persist
// timer). The SYN/SYN-ACK windows are never scaled (RFC 7323 §2.2).

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <algorithm>
#include <cstddef>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace slirp::tcp {

void send_segment(Stack& st, const Addr& src, uint16_t sport, const Addr& dst, uint16_t dport,
                  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                  std::span<const std::byte> options, uint16_t gso_size) noexcept {
    FrameBuf& f = st.out;
    TcpHeader h{};
    h.sport = Be16::from_host(sport);
    h.dport = Be16::from_host(dport);
    h.seq = Be32::from_host(seq);
    h.ack = Be32::from_host((flags & tcp_ack) != 0 ? ack : 0);
    h.off = static_cast<uint8_t>(((sizeof(TcpHeader) + options.size()) / 4) << 4);
    h.flags = flags;
    h.win = Be16::from_host(win);
    // Options sit between the header and the payload: push them first, then the header.
    if (!f.prepend(options))
        return;
    if (!f.push(h))
        return;
    size_t len = f.size(), hlen = sizeof(TcpHeader) + options.size();
    uint32_t pseudo = csum::pseudo(src, dst, IPPROTO_TCP, len);
    size_t iphl = ip_header_len(src);
    Be16 c;
    if (len > hlen && st.sink.offload()) {
        // The guest's kernel takes the partial sum as CHECKSUM_PARTIAL: nothing to compute.
        c = Be16::from_host(csum::fold(pseudo));
        VirtioNetHdr v{};
        v.flags = vnet_needs_csum;
        v.csum_start = static_cast<uint16_t>(sizeof(EthHeader) + iphl);
        v.csum_offset = offsetof(TcpHeader, csum);
        if (gso_size != 0 && len - hlen > gso_size) {
            v.gso_type = src.is4() ? vnet_gso_tcpv4 : vnet_gso_tcpv6;
            v.gso_size = gso_size;
            v.hdr_len = static_cast<uint16_t>(sizeof(EthHeader) + iphl + hlen);
        }
        st.tx_vnet = v;
    } else {
        c = Be16::from_host(csum::finish(f.data(), pseudo));
    }
    std::memcpy(f.mutable_data().data() + offsetof(TcpHeader, csum), &c, 2);
    ip::output(st, f, src, dst, IPPROTO_TCP);
}

uint32_t host_window(const TcpConn& c) noexcept {
    // What send() takes: the buffer less what is queued, overhead included (sk_wmem_queued),
    // so that the guest's segments fit and are not cut short (which costs it retransmissions).
    uint32_t mem[SK_MEMINFO_VARS] = {};
    socklen_t ml = sizeof(mem);
    if (getsockopt(c.fd.get(), SOL_SOCKET, SO_MEMINFO, mem, &ml) == 0 &&
        ml > SK_MEMINFO_WMEM_QUEUED * sizeof(uint32_t)) {
        uint32_t buf = mem[SK_MEMINFO_SNDBUF], queued = mem[SK_MEMINFO_WMEM_QUEUED];
        return buf > queued ? buf - queued : 0;
    }
    int sndbuf = 0, outq = 0;
    socklen_t l = sizeof(sndbuf);
    if (getsockopt(c.fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &l) != 0 ||
        ioctl(c.fd.get(), SIOCOUTQ, &outq) != 0)
        return 0;
    long room = static_cast<long>(sndbuf) - outq;
    return room > 0 ? static_cast<uint32_t>(room) : 0;
}

void rearm(Stack& st, TcpConn& c) noexcept {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = make_tag(Tag::tcp, static_cast<uint32_t>(&c - st.tcp.conns.data()));
    (void)epoll_ctl(st.epoll.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
}

void emit(Stack& st, TcpConn& c, uint8_t flags, uint32_t seq, uint16_t gso_size) noexcept {
    // After a short send() the window stays closed until EPOLLOUT reports room again
    // (tcp_input.cc sock_event): otherwise the guest keeps sending into a full buffer and
    // every segment beyond it becomes a retransmission.
    uint32_t wnd = (c.guest_fin || c.want_out) ? 0
                   : c.wnd_hint >= 0           ? static_cast<uint32_t>(c.wnd_hint)
                                               : host_window(c);
    uint32_t max = uint32_t{0xffff} << c.rcv_ws;
    wnd = std::min(wnd, max);
    c.adv_wnd = wnd;
    // A window this small may be less than one of the guest's segments: it would wait for a
    // window update, which nothing would send when the host socket drains, so ask for EPOLLOUT.
    if (wnd >= tcp_low_wnd || c.want_out || c.guest_fin) {
        c.wnd_watch = false;
    } else if (!c.wnd_watch) {
        c.wnd_watch = true;
        rearm(st, c);
    }
    send_segment(st, c.raddr, c.rport, c.gaddr, c.gport, seq, c.rcv_nxt, flags,
                 static_cast<uint16_t>(wnd >> c.rcv_ws), {}, gso_size);
}

void emit_syn(Stack& st, TcpConn& c, bool with_ack) noexcept {
    uint16_t mss = static_cast<uint16_t>(st.cfg.mtu - ip_header_len(c.gaddr) - sizeof(TcpHeader));
    std::array<std::byte, 8> opts{std::byte{2},          std::byte{4},       std::byte(mss >> 8),
                                  std::byte(mss & 0xff), std::byte{1},       std::byte{3},
                                  std::byte{3},          std::byte{c.rcv_ws}};
    // On a SYN we send to the guest (forwarded port) we always offer scaling; on a SYN-ACK only
    // if the guest offered it (RFC 7323 §1.3).
    bool ws = !with_ack || c.rcv_ws != 0;
    if (!with_ack)
        opts[7] = std::byte{tcp_our_wscale};
    st.out.reset();
    uint32_t wnd = with_ack ? std::min<uint32_t>(host_window(c), 0xffff) : 0xffff;
    send_segment(st, c.raddr, c.rport, c.gaddr, c.gport, c.iss, c.rcv_nxt,
                 static_cast<uint8_t>(tcp_syn | (with_ack ? tcp_ack : 0)),
                 static_cast<uint16_t>(wnd), std::span(opts).first(ws ? 8 : 4));
}

void arm_rto(Stack& st, TcpConn& c) noexcept {
    if (c.rto_at == 0)
        c.rto_at = st.now_ms + c.rto_ms;
}

size_t seg_size(const Stack& st, const TcpConn& c) noexcept {
    size_t mss = std::min<size_t>(c.mss, st.cfg.mtu - ip_header_len(c.gaddr) - sizeof(TcpHeader));
    return std::max<size_t>(mss, 1);
}

size_t frame_payload(const Stack& st, const TcpConn& c) noexcept {
    size_t mss = seg_size(st, c);
    if (!st.sink.offload())
        return mss;
    // The IP length field bounds a super-frame (IPv4's counts its header, IPv6's does not);
    // whole segments only, so the guest sees exactly the segments it would have had without
    // offload.
    size_t cap = 0xffff - (c.gaddr.is4() ? sizeof(Ipv4Header) : 0) - sizeof(TcpHeader);
    return std::max<size_t>(cap / mss, 1) * mss;
}

void push(Stack& st, TcpConn& c) noexcept {
    if (c.state != TcpState::established || c.fin_sent)
        return;
    size_t max_seg = seg_size(st, c), max_frame = frame_payload(st, c);
    // One window query per burst instead of two syscalls per segment: the guest is not
    // sending to us while we loop, so the host socket's send queue does not grow meanwhile.
    // Asked only once there is data to send: most pushes (after each guest segment) find none.
    struct ClearHint {
        TcpConn& c;
        ~ClearHint() { c.wnd_hint = -1; }
    } clear{c};
    while (true) {
        uint32_t inflight = c.snd_nxt - c.snd_una;
        if (inflight >= c.snd_wnd) {
            arm_rto(st, c); // zero-window probe or retransmission, whichever comes first
            return;
        }
        if (!c.host_data)
            return; // nothing new since the last EAGAIN (EPOLLET tells us when there is)
        size_t len = std::min<size_t>(max_frame, c.snd_wnd - inflight);
        st.out.reset();
        auto room = st.out.tail();
        ssize_t n =
            recv(c.fd.get(), room.data(), std::min(len, room.size()), MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) {
            if (c.wnd_hint < 0)
                c.wnd_hint = host_window(c);
            st.out.commit(static_cast<size_t>(n));
            emit(st, c, tcp_ack | tcp_psh, c.snd_nxt, static_cast<uint16_t>(max_seg));
            c.snd_nxt += static_cast<uint32_t>(n);
            arm_rto(st, c);
            continue;
        }
        if (n == 0) { // host EOF: everything before it has been sent
            c.host_eof = true;
            st.out.reset();
            emit(st, c, tcp_fin | tcp_ack, c.snd_nxt);
            c.snd_nxt += 1;
            c.fin_sent = true;
            arm_rto(st, c);
            return;
        }
        if (errno == EAGAIN) {
            c.host_data = false;
            return;
        }
        if (errno == EINTR)
            return;
        abort_conn(st, c); // ECONNRESET and friends: reset the guest side
        return;
    }
}

} // namespace slirp::tcp
