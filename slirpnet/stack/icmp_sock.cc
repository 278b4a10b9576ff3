// SPDX-License-Identifier: Apache-2.0
// icmp_sock.cc — ICMP echo through host sockets, and host-socket ICMP errors back to the guest
//
// Theory of operation: an echo request to an address that is not ours (the gateway and DNS
// addresses are answered in icmp4.cc) goes out through a host socket, one per (guest address,
// echo id, remote) flow, kept until icmp_expiry_ms idle; a full table recycles the flow idle
// longest. The socket is, in libslirp's order (icmp_send(), icmp_input()): an unprivileged ping
// socket (SOCK_DGRAM, IPPROTO_ICMP) when net.ipv4.ping_group_range admits our gid, the kernel
// then using its own echo id, so replies get the guest's id back; else a raw ICMP socket (we
// have CAP_NET_RAW where the host netns belongs to our user namespace), whose copies of every
// ICMP packet are filtered by source and echo id; else a UDP datagram to port 7 of the
// destination: an echo service there makes the ping succeed, and the usual "port unreachable"
// comes back to the guest as the ICMP error it is. We send the whole ICMP message as the UDP
// payload, so an echo service's reply is the echo reply, with no copy of the request kept.
// Every host socket here and in udp.cc has IP_RECVERR on: an ICMP error the host receives
// (port, host or network unreachable, time exceeded) is read from the socket's error queue and
// sent to the guest with the same type and code, from the address that reported it (loopback
// and 0.0.0.0 shown as the gateway, which is what the guest addressed), quoting the guest's
// own datagram so its kernel finds the socket (RFC 792, RFC 1122 §3.2.2.1). libslirp 4.7
// forwards errors the same way (sorecvfrom's MSG_ERRQUEUE branch). A send the host refuses at
// once (no route) is answered with net or host unreachable from the gateway.
// ICMPv6 echo (--enable-ipv6) takes the same three ways with the ICMPv6 sockets (ping sockets
// obey the same ping_group_range; a raw ICMPv6 socket delivers no IP header, so the reply's
// source comes from recvfrom), and IPV6_RECVERR errors are forwarded as ICMPv6 errors.

#include "slirpnet/stack/icmp_sock.h"

#include "slirpnet/stack/checksum.h"
#include "slirpnet/stack/stack.h"

#include <algorithm>
#include <cstring>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace slirp {

void Quote::set(std::span<const std::byte> datagram) noexcept {
    size_t ihl = datagram.empty() ? 0 : size_t{static_cast<uint8_t>(datagram[0]) & 0x0fu} * 4;
    if (!datagram.empty() && (static_cast<uint8_t>(datagram[0]) >> 4) == 6)
        ihl = sizeof(Ipv6Header);
    size_t n = std::min({datagram.size(), ihl + 8, bytes.size()});
    std::memcpy(bytes.data(), datagram.data(), n);
    len = static_cast<uint8_t>(n);
}

namespace icmp4 {

namespace {

int find(const Stack& st, const FlowKey& k) noexcept {
    auto it = st.icmp.index.find(k);
    return it == st.icmp.index.end() ? -1 : static_cast<int>(it->second);
}

void release(Stack& st, IcmpFlow& fl) noexcept {
    st.icmp.index.erase(FlowKey{fl.gaddr, fl.raddr, fl.gid, 0});
    fl.fd.reset(); // closing removes it from the epoll set
    fl.used = false;
}

/// A free slot, or the one idle longest (released).
size_t slot(Stack& st) noexcept {
    size_t oldest = 0;
    for (size_t i = 0; i < st.icmp.flows.size(); ++i) {
        const IcmpFlow& fl = st.icmp.flows[i];
        if (!fl.used)
            return i;
        if (fl.last_ms < st.icmp.flows[oldest].last_ms)
            oldest = i;
    }
    release(st, st.icmp.flows[oldest]);
    return oldest;
}

int open_flow(Stack& st, const FlowKey& k, int family) noexcept {
    constexpr int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    int proto = family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
    EchoVia via = EchoVia::ping;
    common::UniqueFd fd(socket(family, SOCK_DGRAM | flags, proto));
    if (!fd) { // EACCES: our gid is outside net.ipv4.ping_group_range
        via = EchoVia::raw;
        fd.reset(socket(family, SOCK_RAW | flags, proto));
    }
    if (!fd) { // EPERM: no CAP_NET_RAW
        via = EchoVia::udp;
        fd.reset(socket(family, SOCK_DGRAM | flags, 0));
    }
    size_t i = slot(st);
    if (!fd || !bind_outbound(st, fd.get(), family) ||
        !watch(st, fd.get(), EPOLLIN, make_tag(Tag::icmp, static_cast<uint32_t>(i)))) {
        ++st.cnt.no_route;
        return -1;
    }
    enable_recverr(fd.get());
    IcmpFlow& fl = st.icmp.flows[i];
    fl.used = true;
    fl.via = via;
    fl.gaddr = k.gaddr;
    fl.gid = k.gport;
    fl.raddr = k.raddr;
    fl.fd = std::move(fd);
    st.icmp.index[k] = static_cast<uint32_t>(i);
    return static_cast<int>(i);
}

void forward_flow_error(Stack& st, const IcmpFlow& fl, const HostIcmpError& e) noexcept {
    bool v6 = !fl.gaddr.is4();
    if (!e.from_icmp || e.v6 != v6 || fl.quote.len == 0)
        return;
    if (v6 ? (e.type != ICMP6_DST_UNREACH && e.type != ICMP6_TIME_EXCEEDED &&
              e.type != ICMP6_PACKET_TOO_BIG)
           : (e.type != ICMP_DEST_UNREACH && e.type != ICMP_TIME_EXCEEDED))
        return;
    std::array<std::byte, icmp_quote_max> q = fl.quote.bytes;
    std::span<const std::byte> quote = fl.quote.get();
    size_t ihl = v6 ? sizeof(Ipv6Header) : size_t{static_cast<uint8_t>(q[0]) & 0x0fu} * 4;
    // The error is about one particular request: give the quote its sequence number (bytes
    // 6-7 of the ICMP header we sent, as a ping socket or as the UDP payload).
    if (e.head_len >= sizeof(IcmpHeader) && quote.size() >= ihl + sizeof(IcmpHeader))
        std::memcpy(q.data() + ihl + 6, e.head.data() + 6, 2);
    std::span<const std::byte> qs(q.data(), quote.size());
    Addr src = translate_in(st, e.offender, v6);
    if (v6)
        icmp6::send_error_from(st, src, e.type, e.code, e.info, qs);
    else
        send_error_from(st, src.v4(), e.type, e.code, static_cast<uint16_t>(e.info), qs);
}

/// A raw socket's packet (IP header + ICMP): true if it is the echo reply of this flow, with the
/// IP header removed (`n` is updated).
bool strip_raw_header(const IcmpFlow& fl, std::span<std::byte> buf, size_t& n) noexcept {
    auto ip = PacketView(buf.first(n)).peek<Ipv4Header>();
    if (!ip)
        return false;
    size_t ihl = size_t{ip->ver_ihl & 0x0fu} * 4;
    if (ihl < sizeof(Ipv4Header) || n < ihl + sizeof(IcmpHeader) ||
        Addr::of4(ip->src.host()) != fl.raddr)
        return false;
    IcmpHeader h;
    std::memcpy(&h, buf.data() + ihl, sizeof(h));
    if (h.type != ICMP_ECHOREPLY || h.id.host() != fl.gid)
        return false;
    std::memmove(buf.data(), buf.data() + ihl, n - ihl);
    n -= ihl;
    return true;
}

} // namespace

void echo_out(Stack& st, const IpInfo& ip, std::span<const std::byte> icmp) noexcept {
    auto h = PacketView(icmp).peek<IcmpHeader>();
    SockAddr to;
    if (!h || !translate_out(st, ip.dst, icmp_echo_port, to) ||
        to.family() != (ip.dst.is4() ? AF_INET : AF_INET6)) {
        ++st.cnt.no_route; // our subnet, loopback, multicast, broadcast: nothing to ping
        return;
    }
    FlowKey k{ip.src, ip.dst, h->id.host(), 0};
    int i = find(st, k);
    if (i < 0)
        i = open_flow(st, k, to.family());
    if (i < 0)
        return;
    IcmpFlow& fl = st.icmp.flows[static_cast<size_t>(i)];
    fl.last_ms = st.now_ms;
    fl.quote.set(st.cur_datagram);
    if (fl.via != EchoVia::udp)
        to.set_port(0);
    if (sendto(fl.fd.get(), icmp.data(), icmp.size(), MSG_DONTWAIT, to.sa(), to.len) >= 0)
        return;
    if (errno == ENETUNREACH || errno == EHOSTUNREACH) // libslirp: icmp_send_error(…UNREACH_NET)
        ip::send_unreach(st, errno == EHOSTUNREACH ? ICMP_HOST_UNREACH : ICMP_NET_UNREACH,
                         fl.quote.get());
}

void sock_event(Stack& st, uint32_t idx, uint32_t events) noexcept {
    if (idx >= st.icmp.flows.size() || !st.icmp.flows[idx].used)
        return;
    IcmpFlow& fl = st.icmp.flows[idx];
    if ((events & EPOLLERR) != 0) {
        HostIcmpError e;
        for (int n = 0; n < 64 && read_host_error(fl.fd.get(), e); ++n)
            forward_flow_error(st, fl, e);
    }
    bool v6 = !fl.gaddr.is4();
    uint8_t reply_type = v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
    size_t max = st.cfg.mtu - ip_header_len(fl.gaddr);
    for (int batch = 0; batch < 64; ++batch) {
        st.out.reset();
        auto room = st.out.tail();
        size_t cap = std::min(room.size(), max + (fl.via == EchoVia::raw && !v6 ? 60 : 0));
        SockAddr from;
        from.len = sizeof(from.ss);
        ssize_t got = recvfrom(fl.fd.get(), room.data(), cap, MSG_DONTWAIT, from.sa(), &from.len);
        if (got < 0)
            break; // EAGAIN, or an error already taken from the error queue
        size_t n = static_cast<size_t>(got);
        if (fl.via == EchoVia::raw && !v6 && !strip_raw_header(fl, room, n))
            continue; // someone else's ICMP packet
        if (n < sizeof(IcmpHeader))
            continue;
        IcmpHeader r;
        std::memcpy(&r, room.data(), sizeof(r));
        if (fl.via != EchoVia::udp && r.type != reply_type)
            continue;
        if (fl.via == EchoVia::raw && v6 && (from.addr() != fl.raddr || r.id.host() != fl.gid))
            continue;        // a raw ICMPv6 socket sees every echo reply
        r.type = reply_type; // an echo service returns our request verbatim
        r.code = 0;
        r.id = Be16::from_host(fl.gid);
        r.csum = Be16{};
        std::memcpy(room.data(), &r, sizeof(r));
        st.out.commit(n);
        fl.last_ms = st.now_ms;
        if (v6) {
            icmp6::set_csum(st.out, fl.raddr, fl.gaddr);
            ipv6::output(st, st.out, fl.raddr, fl.gaddr, IPPROTO_ICMPV6, 255);
            continue;
        }
        Be16 c = Be16::from_host(csum::finish(st.out.data()));
        std::memcpy(st.out.mutable_data().data() + 2, &c, 2);
        ipv4::output(st, st.out, fl.raddr.v4(), fl.gaddr.v4(), IPPROTO_ICMP, 255); // MAXTTL
    }
}

void expire(Stack& st) noexcept {
    for (IcmpFlow& fl : st.icmp.flows)
        if (fl.used && st.now_ms - fl.last_ms > icmp_expiry_ms)
            release(st, fl);
}

void send_error_from(Stack& st, uint32_t src, uint8_t type, uint8_t code, uint16_t mtu,
                     std::span<const std::byte> quote) noexcept {
    auto oh = PacketView(quote).peek<Ipv4Header>();
    if (!oh || oh->proto == IPPROTO_ICMP) {
        // Never an error about an error (RFC 1122 §3.2.2); echo requests are fine.
        auto ih = oh ? PacketView(quote.subspan(size_t{oh->ver_ihl & 0x0fu} * 4)).peek<IcmpHeader>()
                     : std::nullopt;
        if (!ih || ih->type != ICMP_ECHO)
            return;
    }
    FrameBuf& f = st.out;
    f.reset();
    IcmpHeader h{};
    h.type = type;
    h.code = code;
    if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
        h.seq = Be16::from_host(mtu); // RFC 1191: next-hop MTU
    f.append_struct(h);
    f.append(quote);
    Be16 c = Be16::from_host(csum::finish(f.data()));
    std::memcpy(f.mutable_data().data() + 2, &c, 2);
    ipv4::output(st, f, src, oh->src.host(), IPPROTO_ICMP, 255);
}

bool read_host_error(int fd, HostIcmpError& out) noexcept {
    std::byte data[64];
    alignas(cmsghdr) char control[256];
    sockaddr_in6 from{};
    iovec iov{data, sizeof(data)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0)
        return false;
    out = HostIcmpError{};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        bool is4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
        bool is6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if ((!is4 && !is6) || c->cmsg_len < CMSG_LEN(sizeof(sock_extended_err)))
            continue;
        sock_extended_err ee{};
        std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
            continue;
        SockAddr off; // SO_EE_OFFENDER: a sockaddr_in or sockaddr_in6 after the struct
        size_t room = c->cmsg_len - CMSG_LEN(sizeof(ee));
        std::memcpy(&off.ss, CMSG_DATA(c) + sizeof(ee), std::min(room, sizeof(sockaddr_in6)));
        out.from_icmp = true;
        out.v6 = ee.ee_origin == SO_EE_ORIGIN_ICMP6;
        out.type = ee.ee_type;
        out.code = ee.ee_code;
        out.info = ee.ee_info;
        out.offender = off.addr();
    }
    out.head_len = std::min(static_cast<size_t>(n), out.head.size());
    std::memcpy(out.head.data(), data, out.head_len);
    return true;
}

void enable_recverr(int fd) noexcept {
    int one = 1;
    (void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one)); // fails on AF_INET
}

} // namespace icmp4
} // namespace slirp
