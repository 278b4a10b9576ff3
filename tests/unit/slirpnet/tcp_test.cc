// SPDX-License-Identifier: Apache-2.0
// tcp_test.cc — the TCP translation against a real loopback server: handshake, data both ways,
// ACK-what-the-kernel-took, retransmission, window scaling, zero window, RST, FIN, forwards
#include "slirpnet/api.h"

#include "tcp_guest.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

TEST_CASE("A guest SYN gets a SYN-ACK with MSS and window scale once the host connects",
          "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    g.dport = srv.port;
    g.syn();
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].src == gw);
    CHECK(s[0].h.flags == (tcp_syn | tcp_ack));
    CHECK(s[0].h.ack.host() == 1001);
    REQUIRE(s[0].opts.size() == 8);
    CHECK(s[0].opts[0] == std::byte{2});
    CHECK(s[0].opts[5] == std::byte{3});
    CHECK(s[0].opts[7] == std::byte{tcp_our_wscale});
    CHECK(tcp::active(g.t.st) == 1);
}

TEST_CASE("Without the guest's window scale option we do not scale either", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    g.dport = srv.port;
    g.syn(65535, -1);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].opts.size() == 4); // MSS only
}

TEST_CASE("Guest data reaches the host server and is ACKed", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    g.connect(srv, peer);
    uint32_t before = g.seq;
    g.send(tcp_ack | tcp_psh, 0, bytes_of("hello"));
    CHECK(read_n(peer.get(), 5) == "hello");
    auto s = g.take();
    REQUIRE(!s.empty());
    CHECK(s.back().h.ack.host() == before + 5);
}

TEST_CASE("Host data goes to the guest and is retransmitted until ACKed", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer);
    g.take();
    REQUIRE(::send(peer.get(), "world", 5, 0) == 5);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.seq.host() == next);
    CHECK(s[0].data == bytes_of("world"));
    // no ACK: after the RTO the same bytes come again (peeked again, never copied)
    g.t.st.now_ms += 1100;
    timer_tick(g.t.st);
    auto r = g.take();
    REQUIRE(r.size() == 1);
    CHECK(r[0].h.seq.host() == next);
    CHECK(r[0].data == bytes_of("world"));
    // the ACK consumes them from the host socket, and nothing more is resent
    g.send(tcp_ack, next + 5);
    int pending = -1;
    ioctl(g.t.st.tcp.conns[g.t.st.tcp.index.begin()->second].fd.get(), FIONREAD, &pending);
    CHECK(pending == 0);
    g.t.st.now_ms += 5000;
    timer_tick(g.t.st);
    CHECK(g.take().empty());
}

TEST_CASE("The guest's scaled window limits what we send", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer, 2, 7); // 2 << 7 = 256 bytes
    g.take();
    std::string big(1000, 'x');
    REQUIRE(::send(peer.get(), big.data(), big.size(), 0) == 1000);
    auto s = g.wait();
    size_t sent = 0;
    for (auto& x : s)
        sent += x.data.size();
    CHECK(sent == 256);
    g.send(tcp_ack, next + 256, {}, 4); // ack and open to 512
    s = g.take();
    sent = 0;
    for (auto& x : s)
        sent += x.data.size();
    CHECK(sent == 512);
}

TEST_CASE("A zero window stops data and gets probed", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer, 0, 7);
    g.take();
    REQUIRE(::send(peer.get(), "abc", 3, 0) == 3);
    for (int i = 0; i < 5; ++i)
        poll_once(g.t.st, 20);
    CHECK(g.take().empty());
    g.t.st.now_ms += 1100;
    timer_tick(g.t.st);
    auto s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].data.empty());
    CHECK(s[0].h.seq.host() == next - 1); // probe below snd_una
    g.send(tcp_ack, next, {}, 100);       // window opens: data flows
    s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].data == bytes_of("abc"));
}

TEST_CASE("We ACK only what the host socket accepted", "[slirpnet][tcp]") {
    Server srv;
    Config c = Config::from_cidr(0x0a000200, 24);
    c.mtu = 65520;
    Guest g(c);
    common::UniqueFd peer;
    g.connect(srv, peer, 65535, 14);
    g.take();
    // The server never reads: kernel buffers fill up and ACKs must stop short of what we sent.
    Bytes chunk(60000, std::byte{'z'});
    uint32_t start = g.seq;
    for (int i = 0; i < 1000; ++i)
        g.send(tcp_ack, 0 /* no ack flag semantics needed */, chunk);
    uint32_t highest = 0;
    for (auto& s : g.take())
        if (s.h.flags & tcp_ack)
            highest = std::max(highest, s.h.ack.host() - start);
    CHECK(highest > 0);
    CHECK(highest < 1000u * 60000u);
    CHECK(highest % 1 == 0);
}

TEST_CASE("A refused connection is reset", "[slirpnet][tcp]") {
    Server closed(false); // bound, not listening
    Guest g;
    g.dport = closed.port;
    g.syn();
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.flags == (tcp_rst | tcp_ack));
    CHECK(s[0].h.ack.host() == 1001);
    CHECK(tcp::active(g.t.st) == 0);
}

TEST_CASE("With --disable-host-loopback the gateway is net-unreachable", "[slirpnet][tcp]") {
    Server srv;
    Config c = Config::from_cidr(0x0a000200, 24);
    c.disable_host_loopback = true;
    Guest g(c);
    g.dport = srv.port;
    g.syn();
    auto s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].icmp_type == 3);
}

TEST_CASE("A segment for no connection gets RST", "[slirpnet][tcp]") {
    Guest g;
    g.dport = 9;
    g.send(tcp_ack, 5555, bytes_of("x"));
    auto s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.flags == tcp_rst);
    CHECK(s[0].h.seq.host() == 5555);
}

TEST_CASE("FIN both ways closes the flow", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer);
    g.take();
    g.send(tcp_fin | tcp_ack, next);
    auto acked = g.take();
    REQUIRE(acked.size() == 1);
    CHECK(acked[0].h.ack.host() == g.seq); // our ACK covers the FIN
    char b;
    pollfd p{peer.get(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1);
    CHECK(recv(peer.get(), &b, 1, 0) == 0); // the host peer saw EOF
    peer.reset();
    auto s = g.wait();
    REQUIRE(!s.empty());
    CHECK((s.back().h.flags & tcp_fin) != 0);
    g.send(tcp_ack, next + 1);
    CHECK(tcp::active(g.t.st) == 0);
}

TEST_CASE("A guest RST resets the host connection", "[slirpnet][tcp]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer);
    g.send(tcp_rst | tcp_ack, next);
    CHECK(tcp::active(g.t.st) == 0);
    char b;
    pollfd p{peer.get(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1);
    CHECK(recv(peer.get(), &b, 1, 0) < 0);
    CHECK(errno == ECONNRESET);
}

TEST_CASE("A forwarded port opens toward the guest with the client as the gateway",
          "[slirpnet][tcp]") {
    Guest g;
    Server probe(false);
    uint16_t port = probe.port;
    probe.fd.reset();
    REQUIRE(api_handle(g.t.st, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                               "\"host_addr\":\"127.0.0.1\",\"host_port\":" +
                                   std::to_string(port) + ",\"guest_port\":80}}") ==
            "{\"return\":{\"id\":1}}");
    common::UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(::send(client.get(), "req", 3, 0) == 3);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.flags == tcp_syn);
    CHECK(s[0].src == gw);
    CHECK(s[0].h.dport.host() == 80);
    // the guest answers SYN-ACK; we ACK and deliver the client's bytes
    g.sport = 80;
    g.dport = s[0].h.sport.host();
    g.dst = gw;
    uint32_t iss = s[0].h.seq.host();
    g.send(tcp_syn | tcp_ack, iss + 1, {}, 65535,
           {std::byte{1}, std::byte{3}, std::byte{3}, std::byte{7}});
    auto r = g.take();
    REQUIRE(r.size() >= 2);
    CHECK(r[0].h.flags == tcp_ack);
    CHECK(r[1].data == bytes_of("req"));
    g.send(tcp_ack | tcp_psh, iss + 4, bytes_of("resp"));
    CHECK(read_n(client.get(), 4) == "resp");
}

TEST_CASE("Host connect failures map to RST or ICMP unreachable like libslirp", "[slirpnet][tcp]") {
    CHECK(tcp::connect_failure_icmp_code(ECONNREFUSED) == -1);
    CHECK(tcp::connect_failure_icmp_code(ENETUNREACH) == 0);  // net unreachable
    CHECK(tcp::connect_failure_icmp_code(EHOSTUNREACH) == 1); // host unreachable
    CHECK(tcp::connect_failure_icmp_code(ETIMEDOUT) == 1);
}
