// SPDX-License-Identifier: Apache-2.0
// family_test.cc — UDP and TCP through the same cases for IPv4 and IPv6 (one flow table, one
// TCP machine): gateway → host loopback, replies, refusals, ICMP errors, DNS, forwards
#include "slirpnet/api.h"

#include "frames.h"

#include <catch2/catch.hpp>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

namespace {

/// A socket of the family's loopback on an ephemeral port.
struct Host {
    common::UniqueFd fd;
    uint16_t port = 0;
    Host(const Family& f, int type, bool do_listen = true)
        : fd(socket(f.af(), type | SOCK_CLOEXEC, 0)) {
        port = bind_loopback_af(fd.get(), f.af());
        REQUIRE(port != 0);
        if (type == SOCK_STREAM && do_listen)
            REQUIRE(listen(fd.get(), 8) == 0);
    }
    bool readable(int ms = 2000) {
        pollfd p{fd.get(), POLLIN, 0};
        return poll(&p, 1, ms) == 1;
    }
};

struct Seg {
    ParsedAny p;
    TcpHeader h{};
    Bytes data;
    uint8_t icmp_type = 0, icmp_code = 0;
};

struct Guest {
    Family fam;
    TestStack t;
    uint16_t sport = 41000, dport = 0;
    Addr dst;
    uint32_t seq = 5000;
    explicit Guest(Family f, Config c = TestStack::with_v6()) : fam(f), t(c), dst(f.gw()) {}

    void send(uint8_t flags, uint32_t ack, const Bytes& data = {}) {
        t.in(ip_frame(fam.guest(), dst, IPPROTO_TCP,
                      tcp_seg_any(fam.guest(), dst, sport, dport, seq, ack, flags, data)));
        seq += static_cast<uint32_t>(data.size()) + ((flags & (tcp_syn | tcp_fin)) ? 1u : 0u);
    }
    std::vector<Seg> take() {
        std::vector<Seg> r;
        for (const Bytes& f : t.sink.frames) {
            auto p = parse_any(f);
            REQUIRE(p);
            CHECK(p->csum_ok());
            Seg s;
            s.p = *p;
            if (p->proto == IPPROTO_TCP) {
                auto h = s.p.l4.pull<TcpHeader>();
                REQUIRE(h);
                s.h = *h;
                auto rest = s.p.l4.rest();
                size_t off = size_t{static_cast<uint8_t>(h->off >> 4)} * 4 - 20;
                s.data.assign(rest.begin() + static_cast<long>(off), rest.end());
            } else {
                auto ic = s.p.l4.peek<IcmpHeader>();
                REQUIRE(ic);
                s.icmp_type = ic->type;
                s.icmp_code = ic->code;
            }
            r.push_back(s);
        }
        // Each Seg's view points into its frame: keep the frames for the Guest's lifetime.
        for (Bytes& f : t.sink.frames)
            taken.push_back(std::move(f));
        t.sink.frames.clear();
        return r;
    }
    std::vector<Bytes> taken;
    std::vector<Seg> wait() {
        for (int i = 0; i < 40 && t.sink.frames.empty(); ++i)
            poll_once(t.st, 50);
        return take();
    }
};

/// The unreachable type and code a guest of this family sees for a closed port / refusal.
uint8_t unreach_type(const Family& f) {
    return f.v6 ? ICMP6_DST_UNREACH : ICMP_DEST_UNREACH;
}
uint8_t port_code(const Family& f) {
    return f.v6 ? ICMP6_DST_UNREACH_NOPORT : ICMP_PORT_UNREACH;
}
uint8_t net_code(const Family& f) {
    return f.v6 ? ICMP6_DST_UNREACH_NOROUTE : ICMP_NET_UNREACH;
}

} // namespace

TEST_CASE("UDP to the gateway reaches host loopback and back, either family",
          "[slirpnet][udp][family]") {
    Family f{GENERATE(false, true)};
    INFO(f.name());
    Host srv(f, SOCK_DGRAM);
    Guest g(f);
    g.t.in(ip_frame(f.guest(), f.gw(), IPPROTO_UDP,
                    udp_seg_any(f.guest(), f.gw(), 40000, srv.port, bytes_of("ping"))));
    REQUIRE(srv.readable());
    SockAddr from;
    from.len = sizeof(from.ss);
    char buf[64];
    REQUIRE(recvfrom(srv.fd.get(), buf, sizeof(buf), 0, from.sa(), &from.len) == 4);
    CHECK(from.family() == f.af()); // 127.0.0.1 or ::1
    REQUIRE(sendto(srv.fd.get(), "pong!", 5, 0, from.sa(), from.len) == 5);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].p.src == f.gw());
    CHECK(s[0].p.dst == f.guest());
    CHECK(s[0].p.l4.remaining() == 8 + 5);
    // the same flow reuses its socket: one entry in the shared flow table
    g.t.in(ip_frame(f.guest(), f.gw(), IPPROTO_UDP,
                    udp_seg_any(f.guest(), f.gw(), 40000, srv.port, bytes_of("again"))));
    CHECK(g.t.st.udp.index.size() == 1);
}

TEST_CASE("UDP to a closed port on the gateway gets port unreachable, either family",
          "[slirpnet][udp][family]") {
    Family f{GENERATE(false, true)};
    INFO(f.name());
    uint16_t port;
    {
        Host closed(f, SOCK_DGRAM);
        port = closed.port;
    }
    Guest g(f);
    g.t.in(ip_frame(f.guest(), f.gw(), IPPROTO_UDP,
                    udp_seg_any(f.guest(), f.gw(), 40002, port, bytes_of("x"))));
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].p.src == f.gw());
    CHECK(s[0].icmp_type == unreach_type(f));
    CHECK(s[0].icmp_code == port_code(f));
}

TEST_CASE("--disable-host-loopback refuses the gateway, either family", "[slirpnet][family]") {
    Family f{GENERATE(false, true)};
    INFO(f.name());
    Config c = TestStack::with_v6();
    c.disable_host_loopback = true;
    Host srv(f, SOCK_STREAM);
    Guest g(f, c);
    g.dport = srv.port;
    g.send(tcp_syn, 0);
    auto s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].icmp_type == unreach_type(f));
    CHECK(s[0].icmp_code == net_code(f));
    Host usrv(f, SOCK_DGRAM);
    g.t.in(ip_frame(f.guest(), f.gw(), IPPROTO_UDP,
                    udp_seg_any(f.guest(), f.gw(), 40003, usrv.port, bytes_of("x"))));
    CHECK(!usrv.readable(100));
}

TEST_CASE("TCP handshake, data both ways and FIN through one TCP machine, either family",
          "[slirpnet][tcp][family]") {
    Family f{GENERATE(false, true)};
    INFO(f.name());
    Host srv(f, SOCK_STREAM);
    Guest g(f);
    g.dport = srv.port;
    g.send(tcp_syn, 0);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    REQUIRE(s[0].h.flags == (tcp_syn | tcp_ack));
    CHECK(s[0].p.src == f.gw());
    uint32_t next = s[0].h.seq.host() + 1;
    g.send(tcp_ack, next);
    REQUIRE(srv.readable());
    common::UniqueFd peer(accept4(srv.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(peer);
    g.send(tcp_ack | tcp_psh, next, bytes_of("hello"));
    CHECK(read_n(peer.get(), 5) == "hello");
    g.take();
    REQUIRE(::send(peer.get(), "world", 5, 0) == 5);
    s = g.wait();
    REQUIRE(!s.empty());
    CHECK(s.back().data == bytes_of("world"));
    CHECK(s.back().h.seq.host() == next);
    next += 5;
    g.send(tcp_ack | tcp_fin, next);
    s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.ack.host() == g.seq); // our ACK of the guest's FIN
    peer.reset();
    s = g.wait();
    REQUIRE(!s.empty());
    CHECK((s.back().h.flags & tcp_fin) != 0);
    g.send(tcp_ack, s.back().h.seq.host() + 1);
    CHECK(tcp::active(g.t.st) == 0);
}

TEST_CASE("A refused TCP connection is reset, either family", "[slirpnet][tcp][family]") {
    Family f{GENERATE(false, true)};
    INFO(f.name());
    Host closed(f, SOCK_STREAM, false);
    Guest g(f);
    g.dport = closed.port;
    g.send(tcp_syn, 0);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.flags == (tcp_rst | tcp_ack));
    CHECK(s[0].h.ack.host() == g.seq);
}

TEST_CASE("DNS to fd00::3 reaches the host's first nameserver, even an IPv4 one",
          "[slirpnet][dns][family]") {
    Family f{GENERATE(false, true)};
    INFO(f.name());
    Host resolver(Family{false}, SOCK_DGRAM); // 127.0.0.1
    Config c = TestStack::with_v6();
    c.dns_server = 0x7f000001;
    c.dns_server_any = Addr::of4(0x7f000001);
    c.has_dns_server_any = true;
    c.dns_server_port = resolver.port;
    Guest g(f, c);
    g.t.in(ip_frame(f.guest(), f.dns(), IPPROTO_UDP,
                    udp_seg_any(f.guest(), f.dns(), 40004, 53, bytes_of("query"))));
    REQUIRE(resolver.readable());
    SockAddr from;
    from.len = sizeof(from.ss);
    char buf[64];
    REQUIRE(recvfrom(resolver.fd.get(), buf, sizeof(buf), 0, from.sa(), &from.len) == 5);
    REQUIRE(sendto(resolver.fd.get(), "answer", 6, 0, from.sa(), from.len) == 6);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].p.src == f.dns());
    CHECK(s[0].p.dst == f.guest());
    auto u = s[0].p.l4.pull<UdpHeader>();
    REQUIRE(u);
    CHECK(u->sport.host() == 53);
}

TEST_CASE("An IPv6 host_addr forwards to the guest's IPv6 address (beyond the original)",
          "[slirpnet][api][family]") {
    Family f{true};
    Guest g(f);
    // the guest has been seen at its SLAAC address
    Bytes echo{std::byte{ICMP6_ECHO_REQUEST},
               std::byte{0},
               std::byte{0},
               std::byte{0},
               std::byte{0},
               std::byte{1},
               std::byte{0},
               std::byte{1}};
    set_l4_csum(echo, 2, f.guest(), f.gw(), IPPROTO_ICMPV6);
    g.t.in(ip_frame(f.guest(), f.gw(), IPPROTO_ICMPV6, echo));
    REQUIRE(g.take().size() == 1);
    uint16_t port;
    {
        Host probe(f, SOCK_STREAM, false);
        port = probe.port;
    }
    REQUIRE(api_handle(g.t.st, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                               "\"host_addr\":\"::1\",\"host_port\":" +
                                   std::to_string(port) + ",\"guest_port\":80}}") ==
            "{\"return\":{\"id\":1}}");
    CHECK(api_handle(g.t.st, "{\"execute\":\"list_hostfwd\"}") ==
          "{\"entries\":[{\"id\":1,\"proto\":\"tcp\",\"host_addr\":\"::1\",\"host_port\":" +
              std::to_string(port) +
              ",\"guest_addr\":\"fd00::cd4:18ff:fed9:38fb\",\"guest_port\":80}]}");
    // an IPv4 guest_addr with an IPv6 host_addr is refused
    CHECK(api_handle(g.t.st, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\","
                             "\"host_addr\":\"::1\",\"host_port\":1,\"guest_addr\":\"10.0.2.100\","
                             "\"guest_port\":80}}") ==
          "{\"error\":{\"desc\":\"bad request: add_hostfwd: bad arguments.guest_addr\"}}");
    Host client_side(f, SOCK_STREAM, false);
    SockAddr to = SockAddr::make(v6_addr(0, 0, 1), port);
    REQUIRE(::connect(client_side.fd.get(), to.sa(), to.len) == 0);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.flags == tcp_syn);
    CHECK(s[0].p.src == f.gw()); // ::1 shown as fd00::2
    CHECK(s[0].p.dst == f.guest());
    CHECK(s[0].h.dport.host() == 80);
}

namespace {

Bytes tcp6(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags) {
    Addr gw = Family{true}.gw();
    return ipv6_frame(guest6, gw, IPPROTO_TCP,
                      tcp_seg_any(guest6, gw, sport, dport, seq, ack, flags));
}
} // namespace

TEST_CASE("TCP over IPv6 toward an offloading sink: TCPv6 GSO super-frames, cut by vnet::segment",
          "[slirpnet][tcp][vnet][family]") {
    Family f{true};
    Host srv(f, SOCK_STREAM);
    OffloadSink sink;
    Config cfg = TestStack::with_v6();
    cfg.resolv_conf = nullptr;
    Stack st(cfg, sink);
    ether::input(st, tcp6(40001, srv.port, 1000, 0, tcp_syn));
    for (int i = 0; i < 40 && sink.frames.empty(); ++i)
        poll_once(st, 50);
    REQUIRE(sink.frames.size() == 1);
    auto sa = parse_any(sink.frames[0].second);
    REQUIRE(sa);
    auto synack = sa->l4.pull<TcpHeader>();
    REQUIRE(synack);
    uint32_t next = synack->seq.host() + 1;
    sink.frames.clear();
    ether::input(st, tcp6(40001, srv.port, 1001, next, tcp_ack));
    REQUIRE(srv.readable());
    common::UniqueFd peer(accept4(srv.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(peer);
    std::string data(20'000, 'z');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>('a' + i % 23);
    REQUIRE(::send(peer.get(), data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
    std::string got;
    bool saw_gso = false;
    for (int i = 0; i < 80 && got.size() < data.size(); ++i) {
        poll_once(st, 50);
        auto frames = std::move(sink.frames);
        sink.frames.clear();
        for (auto& [h, fr] : frames) {
            REQUIRE(h.flags == vnet_needs_csum);
            CHECK(h.csum_start == 14 + 40);
            CHECK(h.csum_offset == 16);
            if (h.gso_type != vnet_gso_none) {
                saw_gso = true;
                CHECK(h.gso_type == vnet_gso_tcpv6);
                CHECK(h.gso_size == tcp_default_mss);
                CHECK(h.hdr_len == 14 + 40 + 20);
            }
            CaptureSink cut;
            REQUIRE(vnet::segment(fr, h, cut));
            for (const Bytes& s : cut.frames) {
                auto p = parse_any(s);
                REQUIRE(p);
                CHECK(p->csum_ok());
                auto th = p->l4.pull<TcpHeader>();
                REQUIRE(th);
                CHECK(p->l4.remaining() <= tcp_default_mss);
                CHECK(th->seq.host() == next + got.size());
                for (std::byte b : p->l4.rest())
                    got.push_back(static_cast<char>(b));
            }
        }
        ether::input(
            st, tcp6(40001, srv.port, 1001, next + static_cast<uint32_t>(got.size()), tcp_ack));
    }
    CHECK(saw_gso);
    CHECK(got == data);
}
