// SPDX-License-Identifier: Apache-2.0
// stack.cc — the Stack context: address plan from --cidr, epoll registration, event dispatch
#include "slirpnet/stack/stack.h"

#include "common/error.h"

#include <sys/epoll.h>
#include <time.h>

namespace slirp {

Config Config::from_cidr(uint32_t net, unsigned prefix) noexcept {
    Config c;
    c.net = net;
    c.prefix = prefix;
    c.gw = net + 2;
    c.dns = net + 3;
    c.dhcp_start = net + 15;
    c.guest = net + 100;
    // libslirp: 52:55 followed by the IPv4 address
    auto mac_of = [](uint32_t a) {
        return common::Mac{0x52, 0x55, static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16),
                           static_cast<uint8_t>(a >> 8), static_cast<uint8_t>(a)};
    };
    c.gw_mac = mac_of(c.gw);
    c.dns_mac = mac_of(c.dns);
    return c;
}

Stack::Stack(const Config& c, FrameSink& s) : cfg(c), sink(s) {
    epoll.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll)
        common::throw_errno("epoll_create1");
    now_ms = monotonic_ms();
}

uint64_t monotonic_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000'000;
}

bool watch(Stack& st, int fd, uint32_t events, uint64_t tag) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    return epoll_ctl(st.epoll.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void dispatch(Stack& st, uint64_t tag, uint32_t events) noexcept {
    switch (tag_kind(tag)) {
    case Tag::udp:
        udp::sock_event(st, tag_index(tag), events);
        break;
    case Tag::tcp:
        tcp::sock_event(st, tag_index(tag), events);
        break;
    case Tag::fwd_tcp:
        tcp::fwd_accept(st, tag_index(tag));
        break;
    case Tag::fwd_udp:
        udp::fwd_event(st, tag_index(tag));
        break;
    case Tag::icmp:
        icmp4::sock_event(st, tag_index(tag), events);
        break;
    default:
        break;
    }
}

void timer_tick(Stack& st) noexcept { // st.now_ms is set by the caller (the loop, or a test)
    dns::refresh(st);
    udp::expire(st);
    icmp4::expire(st);
    tcp::timer(st);
}

int poll_once(Stack& st, int timeout_ms) noexcept {
    epoll_event evs[64];
    int n = epoll_wait(st.epoll.get(), evs, 64, timeout_ms);
    st.now_ms = monotonic_ms();
    for (int i = 0; i < n; ++i)
        dispatch(st, evs[i].data.u64, evs[i].events);
    return n;
}

} // namespace slirp

namespace slirp {

bool translate_out(const Stack& st, uint32_t dst, uint16_t dport, sockaddr_in& out) noexcept {
    out = sockaddr_in{};
    out.sin_family = AF_INET;
    out.sin_port = htons(dport);
    const Config& c = st.cfg;
    uint32_t host = dst;
    if (dst == c.gw) {
        if (c.disable_host_loopback)
            return false;
        host = INADDR_LOOPBACK;
    } else if (dst == c.dns && !c.disable_dns) {
        if (dport != 53 || c.dns_server == 0)
            return false;
        host = c.dns_server;
        out.sin_port = htons(c.dns_server_port);
    } else if ((dst & c.mask()) == c.net || dst == INADDR_BROADCAST || (dst >> 28) == 0xe ||
               (dst >> 24) == 127 || dst == 0) {
        return false; // nothing else lives in the virtual subnet; no multicast/loopback escapes
    }
    out.sin_addr.s_addr = htonl(host);
    return true;
}

uint32_t translate_in(const Stack& st, uint32_t host_addr) noexcept {
    if (host_addr == 0 || (host_addr >> 24) == 127)
        return st.cfg.gw;
    return host_addr;
}

bool bind_outbound(const Stack& st, int fd) noexcept {
    if (st.cfg.outbound_addr == 0)
        return true;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(st.cfg.outbound_addr);
    return bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0;
}

} // namespace slirp
