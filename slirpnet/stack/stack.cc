// SPDX-License-Identifier: Apache-2.0
// stack.cc — the Stack context: address plan from --cidr, epoll registration, event dispatch
#include "slirpnet/stack/stack.h"

#include "common/error.h"

#include <algorithm>
#include <sys/epoll.h>
#include <time.h>

namespace slirp {

Config Config::from_cidr(uint32_t net, unsigned prefix, uint32_t gw_host,
                         uint32_t dns_host) noexcept {
    Config c;
    c.net = net;
    c.prefix = prefix;
    c.gw = net + gw_host;
    c.dns = net + dns_host;
    c.dhcp_start = net + 15;
    c.guest = net + 100;
    // libslirp: 52:55 followed by the IPv4 address
    auto mac_of = [](uint32_t a) {
        return common::Mac{0x52,
                           0x55,
                           static_cast<uint8_t>(a >> 24),
                           static_cast<uint8_t>(a >> 16),
                           static_cast<uint8_t>(a >> 8),
                           static_cast<uint8_t>(a)};
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

Limits Limits::for_nofile(size_t nofile) noexcept {
    size_t avail = nofile > reserve + max_icmp_flows ? nofile - reserve - max_icmp_flows : 0;
    Limits l;
    l.tcp = std::min(max_tcp_conns, avail / 4 * 3);
    l.udp = std::min(max_udp_flows, avail / 8);
    l.forwards = std::min(l.forwards, avail - l.tcp - l.udp);
    return l;
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
    for (size_t i = 0; i < st.forwards.size(); ++i) { // back in epoll after an EMFILE pause
        Forward& fw = st.forwards[i];
        if (!fw.paused || !fw.fd)
            continue;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = make_tag(fw.udp ? Tag::fwd_udp : Tag::fwd_tcp, static_cast<uint32_t>(i));
        if (epoll_ctl(st.epoll.get(), EPOLL_CTL_MOD, fw.fd.get(), &ev) == 0)
            fw.paused = false;
    }
    dns::refresh(st);
    udp::expire(st);
    icmp4::expire(st);
    tcp::timer(st);
    if (st.cfg.ipv6 && st.now_ms >= st.next_ra_ms)
        ndp::send_ra(st); // sets next_ra_ms
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
