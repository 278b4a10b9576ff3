// SPDX-License-Identifier: Apache-2.0
// udp.cc — UDP NAT: guest datagrams to connected host sockets, replies back to the guest
//
// Theory of operation: each guest 4-tuple (guest addr:port, remote addr:port) gets one host
// socket, connect()ed to the translated destination (stack.cc translate_out: gateway →
// 127.0.0.1, DNS:53 → the host resolver), so the kernel filters replies for us and a reply
// always maps back to exactly one flow. A refused destination drops the datagram silently, as
// libslirp does. Flows expire after 240 s idle (10 s for port 53), like libslirp's. Datagrams
// to port 67 go to the DHCP server (dhcp4.cc). Forwarded UDP ports (API add_hostfwd) create
// flows whose replies go out through the forward's socket with sendto() to the client.
// The table is a fixed array (max_udp_flows); a full table drops new flows (counted).
// ICMP errors: flow sockets have IP_RECVERR on; an error the host gets for a flow (port
// unreachable → ECONNREFUSED, host/net unreachable) is read from the error queue and sent to the
// guest as that ICMP error, quoting the flow's last datagram (libslirp 4.7 forwards them the same
// way). It comes from the address the guest sent to when that host reported it (so a closed port
// on 10.0.2.2 is reported by 10.0.2.2, where libslirp shows 127.0.0.1, a martian the guest drops),
// else from the reporting router. A send the host refuses at once (no route) gets net or host
// unreachable from the gateway, as libslirp's udp_input(). RFC 768, RFC 1122 §4.1.3.3.

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slirp::udp {

void send_built(Stack& st, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) noexcept {
    FrameBuf& f = st.out;
    UdpHeader h{};
    h.sport = Be16::from_host(sport);
    h.dport = Be16::from_host(dport);
    size_t len = f.size() + sizeof(UdpHeader);
    h.len = Be16::from_host(static_cast<uint16_t>(len));
    if (!f.push(h))
        return;
    uint16_t c = csum::finish(f.data(), csum::pseudo4(src, dst, IPPROTO_UDP, len));
    Be16 cb = Be16::from_host(c == 0 ? 0xffff : c); // RFC 768: 0 means "no checksum"
    std::memcpy(f.mutable_data().data() + 6, &cb, 2);
    ipv4::output(st, f, src, dst, IPPROTO_UDP);
}

namespace {

int find(Stack& st, uint32_t ga, uint16_t gp, uint32_t ra, uint16_t rp) noexcept {
    for (size_t i = 0; i < st.udp.flows.size(); ++i) {
        const UdpFlow& fl = st.udp.flows[i];
        if (fl.used && fl.gaddr == ga && fl.gport == gp && fl.raddr == ra && fl.rport == rp)
            return static_cast<int>(i);
    }
    return -1;
}

int alloc(Stack& st) noexcept {
    for (size_t i = 0; i < st.udp.flows.size(); ++i)
        if (!st.udp.flows[i].used)
            return static_cast<int>(i);
    return -1;
}

void release(UdpFlow& fl) noexcept {
    fl.fd.reset();
    fl.used = false;
    fl.fwd_fd = -1;
}

int open_flow(Stack& st, uint32_t ga, uint16_t gp, uint32_t ra, uint16_t rp) noexcept {
    sockaddr_in to{};
    if (!translate_out(st, ra, rp, to)) {
        ++st.cnt.no_route;
        return -1;
    }
    int i = alloc(st);
    if (i < 0) {
        ++st.cnt.no_route;
        return -1;
    }
    common::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd || !bind_outbound(st, fd.get()) ||
        connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0 ||
        !watch(st, fd.get(), EPOLLIN, make_tag(Tag::udp, static_cast<uint32_t>(i)))) {
        ++st.cnt.no_route;
        return -1;
    }
    icmp4::enable_recverr(fd.get());
    UdpFlow& fl = st.udp.flows[static_cast<size_t>(i)];
    fl.used = true;
    fl.gaddr = ga;
    fl.gport = gp;
    fl.raddr = ra;
    fl.rport = rp;
    fl.fd = std::move(fd);
    fl.fwd_fd = -1;
    fl.expiry_ms = rp == 53 ? udp_dns_expiry_ms : udp_expiry_ms;
    return i;
}

/// Sends the ICMP errors queued on a flow's socket to the guest.
void forward_errors(Stack& st, const UdpFlow& fl) noexcept {
    sockaddr_in peer{};
    socklen_t plen = sizeof(peer);
    uint32_t host = getpeername(fl.fd.get(), reinterpret_cast<sockaddr*>(&peer), &plen) == 0
                        ? ntohl(peer.sin_addr.s_addr)
                        : 0;
    HostIcmpError e;
    for (int n = 0; n < 64 && icmp4::read_host_error(fl.fd.get(), e); ++n) {
        if (!e.from_icmp || (e.type != ICMP_DEST_UNREACH && e.type != ICMP_TIME_EXCEEDED) ||
            fl.quote.len == 0)
            continue;
        uint32_t src = e.offender == host ? fl.raddr : translate_in(st, e.offender);
        icmp4::send_error_from(st, src, e.type, e.code, static_cast<uint16_t>(e.info),
                               fl.quote.get());
    }
}

} // namespace

void output(Stack& st, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
            std::span<const std::byte> payload) noexcept {
    st.out.reset();
    if (!st.out.append(payload))
        return;
    send_built(st, src, sport, dst, dport);
}

void input(Stack& st, const Ipv4Header& ip, PacketView p) noexcept {
    auto h = p.peek<UdpHeader>();
    if (!h || h->len.host() < sizeof(UdpHeader) || !p.truncate(h->len.host())) {
        ++st.cnt.malformed;
        return;
    }
    uint32_t src = ip.src.host(), dst = ip.dst.host();
    if (h->csum.raw != 0 &&
        csum::finish(p.rest(), csum::pseudo4(src, dst, IPPROTO_UDP, p.remaining())) != 0) {
        ++st.cnt.malformed;
        return;
    }
    (void)p.skip(sizeof(UdpHeader));
    uint16_t sport = h->sport.host(), dport = h->dport.host();
    if (dport == 67) {
        dhcp4::input(st, p);
        return;
    }
    int i = find(st, src, sport, dst, dport);
    if (i < 0)
        i = open_flow(st, src, sport, dst, dport);
    if (i < 0)
        return;
    UdpFlow& fl = st.udp.flows[static_cast<size_t>(i)];
    fl.last_ms = st.now_ms;
    auto data = p.rest();
    if (fl.fwd_fd >= 0) {
        (void)sendto(fl.fwd_fd, data.data(), data.size(), MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&fl.peer), sizeof(fl.peer));
        return;
    }
    fl.quote.set(st.cur_datagram);
    if (send(fl.fd.get(), data.data(), data.size(), MSG_DONTWAIT) < 0 &&
        (errno == ENETUNREACH || errno == EHOSTUNREACH))
        icmp4::send_error(st, ICMP_DEST_UNREACH,
                          errno == EHOSTUNREACH ? ICMP_HOST_UNREACH : ICMP_NET_UNREACH,
                          st.cur_datagram);
}

void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept {
    if (idx >= st.udp.flows.size() || !st.udp.flows[idx].used)
        return;
    UdpFlow& fl = st.udp.flows[idx];
    if ((events & EPOLLERR) != 0)
        forward_errors(st, fl);
    size_t max = st.cfg.mtu - sizeof(Ipv4Header) - sizeof(UdpHeader);
    for (int batch = 0; batch < 64; ++batch) {
        st.out.reset();
        auto room = st.out.tail();
        ssize_t n = recv(fl.fd.get(), room.data(), std::min(room.size(), max), MSG_DONTWAIT);
        if (n < 0)
            break; // EAGAIN, or an ICMP error reported on the connected socket
        st.out.commit(static_cast<size_t>(n));
        fl.last_ms = st.now_ms;
        send_built(st, fl.raddr, fl.rport, fl.gaddr, fl.gport);
    }
}

void fwd_event(Stack& st, uint32_t fwd_idx) noexcept {
    if (fwd_idx >= st.forwards.size() || !st.forwards[fwd_idx].fd)
        return;
    Forward& fw = st.forwards[fwd_idx];
    size_t max = st.cfg.mtu - sizeof(Ipv4Header) - sizeof(UdpHeader);
    for (int batch = 0; batch < 64; ++batch) {
        st.out.reset();
        auto room = st.out.tail();
        sockaddr_in from{};
        socklen_t fl_len = sizeof(from);
        ssize_t n = recvfrom(fw.fd.get(), room.data(), std::min(room.size(), max), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &fl_len);
        if (n < 0)
            break;
        st.out.commit(static_cast<size_t>(n));
        uint32_t ra = translate_in(st, ntohl(from.sin_addr.s_addr));
        uint16_t rp = ntohs(from.sin_port);
        uint32_t ga = fw.guest_addr;
        uint16_t gp = static_cast<uint16_t>(fw.guest_port);
        int i = find(st, ga, gp, ra, rp);
        if (i < 0) {
            i = alloc(st);
            if (i < 0) {
                ++st.cnt.no_route;
                continue;
            }
            UdpFlow& nf = st.udp.flows[static_cast<size_t>(i)];
            nf.used = true;
            nf.gaddr = ga;
            nf.gport = gp;
            nf.raddr = ra;
            nf.rport = rp;
            nf.expiry_ms = udp_expiry_ms;
        }
        UdpFlow& fl = st.udp.flows[static_cast<size_t>(i)];
        fl.fwd_fd = fw.fd.get();
        fl.peer = from;
        fl.last_ms = st.now_ms;
        send_built(st, ra, rp, ga, gp);
    }
}

void expire(Stack& st) noexcept {
    for (UdpFlow& fl : st.udp.flows)
        if (fl.used && st.now_ms - fl.last_ms > fl.expiry_ms)
            release(fl);
}

} // namespace slirp::udp
