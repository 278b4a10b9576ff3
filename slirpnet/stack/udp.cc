// SPDX-License-Identifier: Apache-2.0
// udp.cc — UDP NAT: guest datagrams to connected host sockets, replies back to the guest
//
// Theory of operation: each guest 4-tuple (guest addr:port, remote addr:port) gets one host
// socket, connect()ed to the translated destination (nat.cc translate_out: gateway →
// 127.0.0.1, DNS:53 → the host resolver), so the kernel filters replies for us and a reply
// always maps back to exactly one flow. A refused destination drops the datagram silently, as
// libslirp does. Flows expire after 240 s idle (10 s for port 53), like libslirp's. Datagrams
// to port 67 go to the DHCP server (dhcp4.cc), IPv6 ones to port 547 to DHCPv6 (dhcp6.cc).
// Forwarded UDP ports (API add_hostfwd) create flows whose replies go out through the forward's
// socket with sendto() to the client. The table is a fixed array (max_udp_flows) indexed by a hash
// of the guest 4-tuple (16-byte addresses, so IPv4 and IPv6 flows share it); a full table
// (st.lim.udp, below the fd limit) drops new flows (counted as flow_limit). A guest IPv6 flow to
// fd00::3:53 may use an IPv4 host socket (the host's resolver decides the family). ICMP errors:
// flow sockets have IP_RECVERR on; an error the host gets for a flow (port unreachable →
// ECONNREFUSED, host/net unreachable) is read from the error queue and sent to the guest as that
// ICMP error, quoting the flow's last datagram (libslirp 4.7 forwards them the same way). It comes
// from the address the guest sent to when that host reported it (so a closed port on 10.0.2.2 is
// reported by 10.0.2.2, where libslirp shows 127.0.0.1, a martian the guest drops), else from the
// reporting router. A send the host refuses at once (no route) gets net or host unreachable from
// the gateway, as libslirp's udp_input(). RFC 768, RFC 1122 §4.1.3.3.

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <cerrno>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slirp::udp {

void send_built(Stack& st, const Addr& src, uint16_t sport, const Addr& dst,
                uint16_t dport) noexcept {
    FrameBuf& f = st.out;
    UdpHeader h{};
    h.sport = Be16::from_host(sport);
    h.dport = Be16::from_host(dport);
    size_t len = f.size() + sizeof(UdpHeader);
    h.len = Be16::from_host(static_cast<uint16_t>(len));
    if (!f.push(h))
        return;
    uint16_t c = csum::finish(f.data(), csum::pseudo(src, dst, IPPROTO_UDP, len));
    Be16 cb = Be16::from_host(c == 0 ? 0xffff : c); // RFC 768: 0 means "no checksum"
    std::memcpy(f.mutable_data().data() + 6, &cb, 2);
    ip::output(st, f, src, dst, IPPROTO_UDP);
}

namespace {

int find(const Stack& st, const FlowKey& k) noexcept {
    auto it = st.udp.index.find(k);
    return it == st.udp.index.end() ? -1 : static_cast<int>(it->second);
}

int alloc(Stack& st) noexcept {
    auto& v = st.udp.flows;
    if (st.udp.index.size() >= st.lim.udp) {
        ++st.cnt.flow_limit;
        return -1;
    }
    for (size_t n = 0; n < v.size(); ++n) {
        size_t i = (st.udp.cursor + n) % v.size();
        if (!v[i].used) {
            st.udp.cursor = i + 1;
            return static_cast<int>(i);
        }
    }
    return -1;
}

void claim(Stack& st, int i, const FlowKey& k) noexcept {
    UdpFlow& fl = st.udp.flows[static_cast<size_t>(i)];
    fl.used = true;
    fl.gaddr = k.gaddr;
    fl.gport = k.gport;
    fl.raddr = k.raddr;
    fl.rport = k.rport;
    fl.fwd_fd = -1;
    fl.expiry_ms = k.rport == 53 ? udp_dns_expiry_ms : udp_expiry_ms;
    st.udp.index[k] = static_cast<uint32_t>(i);
}

void release(Stack& st, UdpFlow& fl) noexcept {
    st.udp.index.erase(FlowKey{fl.gaddr, fl.raddr, fl.gport, fl.rport});
    fl.fd.reset();
    fl.used = false;
    fl.fwd_fd = -1;
}

int open_flow(Stack& st, const FlowKey& k) noexcept {
    SockAddr to;
    if (!translate_out(st, k.raddr, k.rport, to)) {
        ++st.cnt.no_route;
        return -1;
    }
    int i = alloc(st);
    if (i < 0)
        return -1; // full: dropped and counted, as libslirp drops what it cannot place
    common::UniqueFd fd(socket(to.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd && out_of_fds(errno)) {
        ++st.cnt.flow_limit;
        return -1;
    }
    if (!fd || !bind_outbound(st, fd.get(), to.family()) ||
        connect(fd.get(), to.sa(), to.len) != 0 ||
        !watch(st, fd.get(), EPOLLIN, make_tag(Tag::udp, static_cast<uint32_t>(i)))) {
        ++st.cnt.no_route;
        return -1;
    }
    icmp4::enable_recverr(fd.get());
    claim(st, i, k);
    st.udp.flows[static_cast<size_t>(i)].fd = std::move(fd);
    return i;
}

/// Sends the ICMP errors queued on a flow's socket to the guest.
void forward_errors(Stack& st, const UdpFlow& fl) noexcept {
    SockAddr peer;
    peer.len = sizeof(peer.ss);
    Addr host = getpeername(fl.fd.get(), peer.sa(), &peer.len) == 0 ? peer.addr() : Addr{};
    bool v6 = !fl.gaddr.is4();
    HostIcmpError e;
    for (int n = 0; n < 64 && icmp4::read_host_error(fl.fd.get(), e); ++n) {
        if (!e.from_icmp || fl.quote.len == 0)
            continue;
        Addr src = e.offender == host ? fl.raddr : translate_in(st, e.offender, v6);
        if (!e.v6 && (e.type == ICMP_DEST_UNREACH || e.type == ICMP_TIME_EXCEEDED)) {
            if (v6) // an IPv4 resolver behind fd00::3: report it as the IPv6 equivalent
                ip::send_unreach(st, e.code, fl.quote.get());
            else
                icmp4::send_error_from(st, src.v4(), e.type, e.code, static_cast<uint16_t>(e.info),
                                       fl.quote.get());
        } else if (e.v6 && v6 &&
                   (e.type == ICMP6_DST_UNREACH || e.type == ICMP6_TIME_EXCEEDED ||
                    e.type == ICMP6_PACKET_TOO_BIG)) {
            icmp6::send_error_from(st, src, e.type, e.code, e.info, fl.quote.get());
        }
    }
}

} // namespace

void output(Stack& st, const Addr& src, uint16_t sport, const Addr& dst, uint16_t dport,
            std::span<const std::byte> payload) noexcept {
    st.out.reset();
    if (!st.out.append(payload))
        return;
    send_built(st, src, sport, dst, dport);
}

void input(Stack& st, const IpInfo& ip, PacketView p) noexcept {
    auto h = p.peek<UdpHeader>();
    if (!h || h->len.host() < sizeof(UdpHeader) || !p.truncate(h->len.host())) {
        ++st.cnt.malformed;
        return;
    }
    // IPv6 requires the checksum (RFC 8200 §8.1); IPv4 may omit it (0)
    if ((h->csum.raw != 0 || !ip.src.is4()) && !st.rx_csum_trusted &&
        csum::finish(p.rest(), csum::pseudo(ip.src, ip.dst, IPPROTO_UDP, p.remaining())) != 0) {
        ++st.cnt.malformed;
        return;
    }
    (void)p.skip(sizeof(UdpHeader));
    uint16_t sport = h->sport.host(), dport = h->dport.host();
    if (ip.src.is4() && dport == 67) {
        dhcp4::input(st, p);
        return;
    }
    if (!ip.src.is4() && dport == 547) {
        dhcp6::input(st, ip, sport, p);
        return;
    }
    FlowKey k{ip.src, ip.dst, sport, dport};
    int i = find(st, k);
    if (i < 0)
        i = open_flow(st, k);
    if (i < 0)
        return;
    UdpFlow& fl = st.udp.flows[static_cast<size_t>(i)];
    fl.last_ms = st.now_ms;
    auto data = p.rest();
    if (fl.fwd_fd >= 0) {
        (void)sendto(fl.fwd_fd, data.data(), data.size(), MSG_DONTWAIT, fl.peer.sa(), fl.peer.len);
        return;
    }
    fl.quote.set(st.cur_datagram);
    if (send(fl.fd.get(), data.data(), data.size(), MSG_DONTWAIT) < 0 &&
        (errno == ENETUNREACH || errno == EHOSTUNREACH))
        ip::send_unreach(st, errno == EHOSTUNREACH ? ICMP_HOST_UNREACH : ICMP_NET_UNREACH,
                         st.cur_datagram);
}

void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept {
    if (idx >= st.udp.flows.size() || !st.udp.flows[idx].used)
        return;
    UdpFlow& fl = st.udp.flows[idx];
    if ((events & EPOLLERR) != 0)
        forward_errors(st, fl);
    size_t max = st.cfg.mtu - ip_header_len(fl.gaddr) - sizeof(UdpHeader);
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
    bool v6 = !fw.guest_addr.is4();
    Addr ga = fw.guest_addr;
    size_t max = st.cfg.mtu - ip_header_len(ga) - sizeof(UdpHeader);
    for (int batch = 0; batch < 64; ++batch) {
        st.out.reset();
        auto room = st.out.tail();
        SockAddr from;
        from.len = sizeof(from.ss);
        ssize_t n = recvfrom(fw.fd.get(), room.data(), std::min(room.size(), max), MSG_DONTWAIT,
                             from.sa(), &from.len);
        if (n < 0)
            break;
        if (v6 && fw.guest_addr.is_unspecified6())
            ga = guest_addr6(st); // guest_addr omitted: the guest's SLAAC address
        if (v6 && ga.is_unspecified6()) {
            ++st.cnt.no_route;
            continue;
        }
        st.out.commit(static_cast<size_t>(n));
        FlowKey k{ga, translate_in(st, from.addr(), v6), static_cast<uint16_t>(fw.guest_port),
                  from.port()};
        int i = find(st, k);
        if (i < 0) {
            i = alloc(st);
            if (i < 0)
                continue;
            claim(st, i, k);
            st.udp.flows[static_cast<size_t>(i)].expiry_ms = udp_expiry_ms;
        }
        UdpFlow& fl = st.udp.flows[static_cast<size_t>(i)];
        fl.fwd_fd = fw.fd.get();
        fl.peer = from;
        fl.last_ms = st.now_ms;
        send_built(st, k.raddr, k.rport, k.gaddr, k.gport);
    }
}

void expire(Stack& st) noexcept {
    for (UdpFlow& fl : st.udp.flows)
        if (fl.used && st.now_ms - fl.last_ms > fl.expiry_ms)
            release(st, fl);
}

void drop_forward(Stack& st, int fd) noexcept {
    for (UdpFlow& fl : st.udp.flows)
        if (fl.used && fl.fwd_fd == fd)
            release(st, fl);
}

} // namespace slirp::udp
