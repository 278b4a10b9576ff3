// SPDX-License-Identifier: Apache-2.0
// tcp_input.cc — TCP segments from the guest (either family), by connection state
//
// Theory of operation: we translate TCP rather than terminate it (passt). A guest SYN starts a
// non-blocking connect() to the translated destination; only when the host connection is up do
// we answer SYN-ACK, so a refused connection becomes a RST to the guest (docs/compat/slirp4netns.md
// §3.6), an unreachable one ICMP net/host-unreachable, and a destination we refuse by policy ICMP
// net-unreachable (§3.4). Guest data is written straight
// into the host socket and we ACK only what send() accepted: the kernel's socket buffer is our
// receive buffer, and the guest retransmits the rest. Guest ACKs discard acknowledged bytes from
// the host socket's receive queue with MSG_TRUNC (they were only peeked, tcp_output.cc). A guest
// FIN becomes shutdown(SHUT_WR); host EOF becomes our FIN; the flow is forgotten when both FINs
// are acknowledged. RST either way resets the other side. Host socket events and forwarded
// ports (API) are in tcp_host.cc. IPv4 and IPv6 share this machine and one table: addresses
// are 16 bytes (addr.h), and only the ICMP error type and the header size depend on the family.
// Not done: SACK, timestamps (not offered, so the guest does not use them), urgent data,
// simultaneous open, TIME-WAIT (late duplicates get RST, which is harmless here).
// RFC 9293 (TCP), RFC 7323 (window scaling), RFC 6298 (RTO, in tcp_timer.cc).

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <algorithm>
#include <cstring>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <random>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slirp::tcp {

namespace {

struct SynOpts {
    uint16_t mss = tcp_default_mss;
    int wscale = -1; ///< -1: not offered
};

SynOpts parse_opts(std::span<const std::byte> o) noexcept {
    SynOpts r;
    size_t i = 0;
    while (i < o.size()) {
        uint8_t kind = static_cast<uint8_t>(o[i]);
        if (kind == 0)
            break;
        if (kind == 1) {
            ++i;
            continue;
        }
        if (i + 1 >= o.size())
            break;
        size_t len = static_cast<uint8_t>(o[i + 1]);
        if (len < 2 || i + len > o.size())
            break;
        if (kind == 2 && len == 4)
            r.mss = static_cast<uint16_t>((uint16_t(o[i + 2]) << 8) | uint16_t(o[i + 3]));
        if (kind == 3 && len == 3)
            r.wscale = std::min(14, static_cast<int>(o[i + 2])); // RFC 7323 §2.3
        i += len;
    }
    return r;
}

} // namespace

uint32_t new_iss() noexcept {
    static uint64_t x = [] {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
            seed = static_cast<uint64_t>(monotonic_ms()) * 0x9e3779b97f4a7c15ULL;
        return seed | 1;
    }();
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<uint32_t>(x);
}

int alloc(Stack& st, bool from_guest) noexcept {
    static size_t cursor = 0;
    auto& v = st.tcp.conns;
    // an eighth of the table is kept for forwarded ports: a guest that floods the table with
    // flows to nowhere still gets the connections its forwards accept
    size_t cap = from_guest ? st.lim.tcp - st.lim.tcp / 8 : st.lim.tcp;
    if (st.tcp.index.size() >= cap)
        return -1;
    for (size_t n = 0; n < v.size(); ++n) {
        size_t i = (cursor + n) % v.size();
        if (v[i].state == TcpState::free) {
            cursor = i + 1;
            return static_cast<int>(i);
        }
    }
    return -1;
}

namespace {

/// RST for a segment that matches no connection (RFC 9293 §3.10.7.1).
void reset_unknown(Stack& st, const IpInfo& ip, const TcpHeader& h, size_t len) noexcept {
    if ((h.flags & tcp_rst) != 0)
        return;
    st.out.reset();
    const Addr &src = ip.dst, &dst = ip.src;
    if ((h.flags & tcp_ack) != 0) {
        send_segment(st, src, h.dport.host(), dst, h.sport.host(), h.ack.host(), 0, tcp_rst, 0, {});
    } else {
        uint32_t seg_len = static_cast<uint32_t>(len) + ((h.flags & tcp_syn) ? 1u : 0u) +
                           ((h.flags & tcp_fin) ? 1u : 0u);
        send_segment(st, src, h.dport.host(), dst, h.sport.host(), 0, h.seq.host() + seg_len,
                     tcp_rst | tcp_ack, 0, {});
    }
}

void open_from_guest(Stack& st, const IpInfo& ip, const TcpHeader& h,
                     std::span<const std::byte> opts) noexcept {
    const Addr& dst = ip.dst;
    uint16_t dport = h.dport.host();
    SockAddr to;
    if (!translate_out(st, dst, dport, to)) {
        ++st.cnt.no_route;
        ip::send_unreach(st, ICMP_NET_UNREACH, st.cur_datagram);
        return;
    }
    int i = alloc(st, true);
    if (i < 0) { // table full: RST, as libslirp's failed socket() does
        ++st.cnt.flow_limit;
        reset_unknown(st, ip, h, 0);
        return;
    }
    common::UniqueFd fd(socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int one = 1;
    if (!fd || !bind_outbound(st, fd.get(), to.family())) {
        if (!fd)
            ++st.cnt.flow_limit;
        reset_unknown(st, ip, h, 0);
        return;
    }
    (void)setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // The window we offer the guest is this buffer's free space (tcp_output.cc); the kernel
    // grows an autotuned buffer only for writers it sees blocked, which a closed window hides.
    (void)setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &tcp_sndbuf, sizeof(tcp_sndbuf));
    if (connect(fd.get(), to.sa(), to.len) != 0 && errno != EINPROGRESS) {
        int code = connect_failure_icmp_code(errno);
        if (code < 0)
            reset_unknown(st, ip, h, 0);
        else
            ip::send_unreach(st, static_cast<uint8_t>(code), st.cur_datagram);
        return;
    }
    TcpConn& c = st.tcp.conns[static_cast<size_t>(i)];
    c = TcpConn{};
    c.fd = std::move(fd);
    c.gaddr = ip.src;
    c.gport = h.sport.host();
    c.raddr = dst;
    c.rport = dport;
    SynOpts so = parse_opts(opts);
    c.mss = so.mss;
    c.snd_ws = so.wscale < 0 ? 0 : static_cast<uint8_t>(so.wscale);
    c.rcv_ws = so.wscale < 0 ? 0 : tcp_our_wscale;
    c.rcv_nxt = h.seq.host() + 1;
    c.iss = new_iss();
    c.snd_una = c.snd_nxt = c.iss;
    c.snd_wnd = h.win.host(); // unscaled in a SYN
    c.state = TcpState::connecting;
    c.last_ms = c.open_ms = st.now_ms;
    std::memcpy(c.syn_head.data(), st.cur_datagram.data(),
                std::min(c.syn_head.size(), st.cur_datagram.size()));
    if (!watch_conn(st, c, static_cast<uint32_t>(i))) {
        c = TcpConn{};
        reset_unknown(st, ip, h, 0);
        return;
    }
    st.tcp.index[FlowKey{c.gaddr, c.raddr, c.gport, c.rport}] = static_cast<uint32_t>(i);
}

/// ACK processing: discard acknowledged host bytes, update the guest's window.
void on_ack(Stack& st, TcpConn& c, const TcpHeader& h) noexcept {
    uint32_t ack = h.ack.host();
    c.snd_wnd = uint32_t{h.win.host()} << c.snd_ws;
    if (seq_lt(c.snd_una, ack) && seq_le(ack, c.snd_nxt)) {
        uint32_t acked = ack - c.snd_una;
        bool fin_acked = c.fin_sent && ack == c.snd_nxt;
        uint32_t data = acked - (fin_acked ? 1u : 0u);
        if (data > 0)
            (void)recv(c.fd.get(), nullptr, data, MSG_TRUNC | MSG_DONTWAIT);
        c.snd_una = ack;
        c.retries = 0;
        c.rto_ms = tcp_rto_init_ms;
        c.rto_at = 0;
        if (c.snd_una != c.snd_nxt)
            arm_rto(st, c);
    } else if (c.snd_una == c.snd_nxt) {
        c.rto_at = 0; // window update only; nothing outstanding
    }
}

/// Guest payload to the host socket; returns bytes accepted (0 if out of order or full).
void on_data(Stack& st, TcpConn& c, const TcpHeader& h, std::span<const std::byte> data,
             bool& need_ack) noexcept {
    uint32_t seq = h.seq.host();
    if (!data.empty()) {
        need_ack = true;
        if (seq_lt(seq, c.rcv_nxt)) { // partly or wholly old
            uint32_t skip = c.rcv_nxt - seq;
            if (skip >= data.size())
                return;
            data = data.subspan(skip);
            seq = c.rcv_nxt;
        }
        if (seq != c.rcv_nxt || c.guest_fin)
            return; // out of order: the duplicate ACK asks for what we miss
        ssize_t n = send(c.fd.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            c.rcv_nxt += static_cast<uint32_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            abort_conn(st, c);
            return;
        }
        if (n < static_cast<ssize_t>(data.size()))
            c.want_out = true; // tell the guest when room opens up
        if (static_cast<size_t>(n) != data.size())
            return; // FIN (if any) is not in sequence yet
    }
    if ((h.flags & tcp_fin) != 0 && seq + data.size() == c.rcv_nxt && !c.guest_fin) {
        c.rcv_nxt += 1;
        c.guest_fin = true;
        (void)shutdown(c.fd.get(), SHUT_WR);
        need_ack = true;
    }
}

void established_input(Stack& st, TcpConn& c, const TcpHeader& h,
                       std::span<const std::byte> data) noexcept {
    bool need_ack = false;
    if ((h.flags & tcp_ack) != 0)
        on_ack(st, c, h);
    on_data(st, c, h, data, need_ack);
    if (c.state == TcpState::free)
        return;
    if (c.guest_fin && c.fin_sent && c.snd_una == c.snd_nxt) {
        if (need_ack) {
            st.out.reset();
            emit(st, c, tcp_ack, c.snd_nxt);
        }
        release(st, c);
        return;
    }
    uint32_t before = c.snd_nxt;
    push(st, c);
    if (c.state != TcpState::free && need_ack && c.snd_nxt == before) {
        st.out.reset();
        emit(st, c, tcp_ack, c.snd_nxt);
    }
}

} // namespace

bool watch_conn(Stack& st, TcpConn& c, uint32_t idx) noexcept {
    // MSG_PEEK from SO_PEEK_OFF: each peek continues after the bytes already sent to the guest
    int zero = 0;
    if (setsockopt(c.fd.get(), SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) != 0)
        return false;
    return watch(st, c.fd.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                 make_tag(Tag::tcp, idx));
}

int connect_failure_icmp_code(int err) noexcept {
    switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
        return -1;
    case ENETUNREACH:
        return ICMP_NET_UNREACH;
    default: // EHOSTUNREACH, ETIMEDOUT, …
        return ICMP_HOST_UNREACH;
    }
}

void release(Stack& st, TcpConn& c) noexcept {
    st.tcp.index.erase(FlowKey{c.gaddr, c.raddr, c.gport, c.rport});
    c = TcpConn{};
}

void abort_conn(Stack& st, TcpConn& c) noexcept {
    if (c.state == TcpState::established || c.state == TcpState::syn_rcvd) {
        st.out.reset();
        send_segment(st, c.raddr, c.rport, c.gaddr, c.gport, c.snd_nxt, c.rcv_nxt,
                     tcp_rst | tcp_ack, 0, {});
    }
    linger lg{1, 0}; // close with RST toward the host peer
    if (c.fd)
        (void)setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    release(st, c);
}

size_t active(const Stack& st) noexcept {
    return st.tcp.index.size();
}

void input(Stack& st, const IpInfo& ip, PacketView p) noexcept {
    auto h = p.peek<TcpHeader>();
    size_t off = h ? size_t{static_cast<uint8_t>(h->off >> 4)} * 4 : 0;
    if (!h || off < sizeof(TcpHeader) || off > p.remaining()) {
        ++st.cnt.malformed;
        return;
    }
    if (!st.rx_csum_trusted && // partial checksum from the guest's kernel (vnet.cc)
        csum::finish(p.rest(), csum::pseudo(ip.src, ip.dst, IPPROTO_TCP, p.remaining())) != 0) {
        ++st.cnt.malformed;
        return;
    }
    auto opts = p.rest().subspan(sizeof(TcpHeader), off - sizeof(TcpHeader));
    auto data = p.rest().subspan(off);
    FlowKey key{ip.src, ip.dst, h->sport.host(), h->dport.host()};
    auto it = st.tcp.index.find(key);
    if (it == st.tcp.index.end()) {
        if ((h->flags & (tcp_syn | tcp_ack | tcp_rst)) == tcp_syn)
            open_from_guest(st, ip, *h, opts);
        else
            reset_unknown(st, ip, *h, data.size());
        return;
    }
    TcpConn& c = st.tcp.conns[it->second];
    c.last_ms = st.now_ms;
    c.probes = 0; // the guest is alive: a zero window may persist (RFC 9293 §3.8.6.1)
    if ((h->flags & tcp_rst) != 0) {
        abort_conn(st, c); // RFC 5961 window checks are moot: the guest is our own peer
        return;
    }
    switch (c.state) {
    case TcpState::connecting:
        return;              // a retransmitted SYN: we answer once the host connection is up
    case TcpState::syn_sent: // forwarded port: expect SYN-ACK
        if ((h->flags & (tcp_syn | tcp_ack)) != (tcp_syn | tcp_ack) || h->ack.host() != c.iss + 1) {
            return;
        }
        {
            SynOpts so = parse_opts(opts);
            c.mss = so.mss;
            c.snd_ws = so.wscale < 0 ? 0 : static_cast<uint8_t>(so.wscale);
            if (so.wscale < 0)
                c.rcv_ws = 0;
            c.rcv_nxt = h->seq.host() + 1;
            c.snd_una = c.snd_nxt = c.iss + 1;
            c.snd_wnd = h->win.host(); // SYN-ACK windows are unscaled
            c.state = TcpState::established;
            c.rto_at = 0;
            c.retries = 0;
            st.out.reset();
            emit(st, c, tcp_ack, c.snd_nxt);
            push(st, c);
        }
        return;
    case TcpState::syn_rcvd:
        if ((h->flags & tcp_syn) != 0) {
            emit_syn(st, c, true); // our SYN-ACK was lost
            return;
        }
        if ((h->flags & tcp_ack) == 0 || h->ack.host() != c.iss + 1)
            return;
        c.state = TcpState::established;
        c.snd_una = c.iss + 1;
        c.rto_at = 0;
        c.retries = 0;
        established_input(st, c, *h, data);
        return;
    case TcpState::established:
        if ((h->flags & tcp_syn) != 0)
            return;
        established_input(st, c, *h, data);
        return;
    case TcpState::free:
        return;
    }
}

} // namespace slirp::tcp
