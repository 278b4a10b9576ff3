// SPDX-License-Identifier: Apache-2.0
// tcp_guest.h — a hand-driven guest TCP endpoint and a loopback server, for the TCP unit tests
#pragma once

#include "frames.h"

#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slirp::test {

inline constexpr uint32_t gw = 0x0a000202;

struct Server {
    common::UniqueFd fd{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    uint16_t port = 0;
    explicit Server(bool do_listen = true) {
        port = bind_loopback(fd.get());
        REQUIRE(port != 0);
        if (do_listen)
            REQUIRE(listen(fd.get(), 8) == 0);
    }
    common::UniqueFd accept_one() {
        pollfd p{fd.get(), POLLIN, 0};
        REQUIRE(poll(&p, 1, 2000) == 1);
        return common::UniqueFd(accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    }
};

struct Seg {
    TcpHeader h{};
    Bytes opts;
    Bytes data;
    uint32_t src = 0;
    uint8_t icmp_type = 0xff;
};

/// The guest side of one connection, with sequence numbers tracked by hand.
struct Guest {
    TestStack t;
    uint16_t sport = 40000;
    uint16_t dport = 0;
    uint32_t dst = gw;
    uint32_t seq = 1000;
    explicit Guest(Config c = Config::from_cidr(0x0a000200, 24)) : t(c) {}

    void send(uint8_t flags, uint32_t ack, const Bytes& data = {}, uint16_t win = 65535,
              const Bytes& opts = {}) {
        t.in(ipv4_frame(guest_ip, dst, IPPROTO_TCP,
                        tcp_seg_any(Addr::of4(guest_ip), Addr::of4(dst), sport, dport, seq, ack,
                                    flags, data, win, opts)));
        seq += static_cast<uint32_t>(data.size()) + ((flags & (tcp_syn | tcp_fin)) ? 1u : 0u);
    }
    void syn(uint16_t win = 65535, int wscale = 7) {
        Bytes o{std::byte{2}, std::byte{4}, std::byte{0x05}, std::byte{0xb4}};
        if (wscale >= 0) {
            o.insert(o.end(), {std::byte{1}, std::byte{3}, std::byte{3}, std::byte(wscale)});
        }
        send(tcp_syn, 0, {}, win, o);
    }
    /// Frames sent to the guest since the last call, parsed.
    std::vector<Seg> take() {
        std::vector<Seg> r;
        for (const Bytes& f : t.sink.frames) {
            auto p = parse_ip(f);
            if (!p)
                continue;
            Seg s;
            s.src = p->ip.src.host();
            if (p->ip.proto == IPPROTO_ICMP) {
                auto ic = p->l4.pull<IcmpHeader>();
                s.icmp_type = ic ? ic->type : 0;
                r.push_back(s);
                continue;
            }
            CHECK(csum::finish(p->l4.rest(), csum::pseudo4(p->ip.src.host(), p->ip.dst.host(),
                                                           IPPROTO_TCP, p->l4.remaining())) == 0);
            auto h = p->l4.pull<TcpHeader>();
            REQUIRE(h);
            s.h = *h;
            size_t off = size_t{static_cast<uint8_t>(h->off >> 4)} * 4;
            auto rest = p->l4.rest();
            s.opts.assign(rest.begin(), rest.begin() + static_cast<long>(off - 20));
            s.data.assign(rest.begin() + static_cast<long>(off - 20), rest.end());
            r.push_back(s);
        }
        t.sink.frames.clear();
        return r;
    }
    /// Runs host-socket events until a frame for the guest shows up (or 2 s pass).
    std::vector<Seg> wait() {
        for (int i = 0; i < 40 && t.sink.frames.empty(); ++i)
            poll_once(t.st, 50);
        return take();
    }
    /// Handshake with `srv`; returns our ISS+1 (the next host→guest sequence number).
    uint32_t connect(Server& srv, common::UniqueFd& peer, uint16_t win = 65535, int ws = 7) {
        dport = srv.port;
        syn(win, ws);
        auto s = wait();
        REQUIRE(s.size() == 1);
        REQUIRE(s[0].h.flags == (tcp_syn | tcp_ack));
        REQUIRE(s[0].h.ack.host() == seq);
        uint32_t next = s[0].h.seq.host() + 1;
        send(tcp_ack, next, {}, win);
        peer = srv.accept_one();
        REQUIRE(peer);
        return next;
    }
};

} // namespace slirp::test
