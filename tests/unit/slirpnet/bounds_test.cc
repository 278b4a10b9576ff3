// SPDX-License-Identifier: Apache-2.0
// bounds_test.cc — a hostile guest or API client against slirpnet's limits: flow caps below
// the fd limit, EMFILE on listeners, handshake and zero-window timeouts, forged source
// addresses, UDP forward removal, out-of-range JSON numbers
#include "slirpnet/api.h"

#include "tcp_guest.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace slirp;
using namespace slirp::test;

namespace {

/// Lowers RLIMIT_NOFILE so that no new fd can be opened, until destroyed.
struct NoMoreFds {
    rlimit saved{};
    NoMoreFds() {
        REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        int probe = dup(0);
        REQUIRE(probe >= 0);
        close(probe);
        rlimit low = saved;
        low.rlim_cur = static_cast<rlim_t>(probe); // the lowest free fd is already too high
        REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    }
    ~NoMoreFds() { (void)setrlimit(RLIMIT_NOFILE, &saved); }
    NoMoreFds(const NoMoreFds&) = delete;
    NoMoreFds& operator=(const NoMoreFds&) = delete;
};

/// Events the stack's epoll set reports within `ms` (not dispatched).
int pending_events(Stack& st, int ms) {
    epoll_event evs[8];
    return epoll_wait(st.epoll.get(), evs, 8, ms);
}

common::UniqueFd connect_tcp(uint16_t port) {
    common::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    return fd;
}

uint16_t unused_port() {
    Server probe(false);
    return probe.port;
}

std::string add_fwd(Stack& st, const char* proto, uint16_t port) {
    return api_handle(st, std::string("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"") +
                              proto + "\",\"host_addr\":\"127.0.0.1\",\"host_port\":" +
                              std::to_string(port) + ",\"guest_port\":80}}");
}

std::string make_dir() {
    char d[] = "/tmp/slirpnet-api-XXXXXX";
    REQUIRE(mkdtemp(d) != nullptr);
    return d;
}

/// An Api on a socket in a fresh directory, and a way to connect to it.
struct ApiFixture {
    TestStack t;
    std::string dir = make_dir();
    Api api{t.st, dir + "/api.sock"};
    ~ApiFixture() {
        api.unlink_path();
        rmdir(dir.c_str());
    }
    common::UniqueFd connect() {
        common::UniqueFd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::string path = dir + "/api.sock";
        std::memcpy(sa.sun_path, path.c_str(), path.size());
        REQUIRE(::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
        return c;
    }
};

constexpr char list_req[] = "{\"execute\":\"list_hostfwd\"}";

} // namespace

TEST_CASE("Limits keep every table below the fd limit with a reserve", "[slirpnet][bounds]") {
    Limits big = Limits::for_nofile(1 << 20);
    CHECK(big.tcp == max_tcp_conns);
    CHECK(big.udp == max_udp_flows);
    for (size_t n : {size_t{64}, size_t{256}, size_t{1024}, size_t{4096}, size_t{20000}}) {
        Limits l = Limits::for_nofile(n);
        INFO(n);
        CHECK(l.tcp + l.udp + max_icmp_flows + l.forwards + Limits::reserve <=
              std::max(n, Limits::reserve + max_icmp_flows));
    }
    CHECK(Limits::for_nofile(1024).tcp > 0);
}

TEST_CASE("At the TCP cap a new guest SYN gets RST and is counted", "[slirpnet][bounds]") {
    Server srv;
    Guest g;
    g.t.st.lim.tcp = 1;
    g.dport = srv.port;
    g.syn();
    CHECK(tcp::active(g.t.st) == 1);
    g.take();
    g.sport = 40001;
    g.seq = 5000;
    g.syn();
    auto s = g.take();
    REQUIRE(s.size() == 1);
    CHECK((s[0].h.flags & tcp_rst) != 0);
    CHECK(s[0].h.ack.host() == 5001);
    CHECK(tcp::active(g.t.st) == 1);
    CHECK(g.t.st.cnt.flow_limit == 1);
}

TEST_CASE("A guest that fills its share of the TCP table leaves room for forwarded ports",
          "[slirpnet][bounds]") {
    Server srv;
    Guest g;
    g.t.st.lim.tcp = 8; // the guest's own connections get 7
    g.dport = srv.port;
    for (int i = 0; i < 8; ++i) {
        g.sport = static_cast<uint16_t>(41000 + i);
        g.syn();
    }
    CHECK(tcp::active(g.t.st) == 7);
    CHECK(g.t.st.cnt.flow_limit == 1);
    uint16_t port = unused_port();
    REQUIRE(add_fwd(g.t.st, "tcp", port) == "{\"return\":{\"id\":1}}");
    common::UniqueFd client = connect_tcp(port);
    for (int i = 0; i < 40 && tcp::active(g.t.st) < 8; ++i)
        poll_once(g.t.st, 50);
    CHECK(tcp::active(g.t.st) == 8);
}

TEST_CASE("At the UDP cap a new guest flow is dropped and counted", "[slirpnet][bounds]") {
    TestStack t;
    t.st.lim.udp = 1;
    t.in(ipv4_frame(guest_ip, gw, IPPROTO_UDP, udp_seg(guest_ip, gw, 40000, 9, bytes_of("a"))));
    t.in(ipv4_frame(guest_ip, gw, IPPROTO_UDP, udp_seg(guest_ip, gw, 40001, 9, bytes_of("b"))));
    CHECK(t.st.udp.index.size() == 1);
    CHECK(t.st.cnt.flow_limit == 1);
}

TEST_CASE("A guest SYN the host never answers frees its fd after the SYN timeout",
          "[slirpnet][bounds]") {
    Server srv; // the connect completes in the kernel, but we never poll: still connecting
    Guest g;
    g.dport = srv.port;
    g.syn();
    REQUIRE(tcp::active(g.t.st) == 1);
    g.t.st.now_ms += tcp_syn_timeout_ms - 100;
    g.syn(); // a retransmitted SYN does not extend it
    timer_tick(g.t.st);
    CHECK(tcp::active(g.t.st) == 1);
    g.t.st.now_ms += 200;
    timer_tick(g.t.st);
    CHECK(tcp::active(g.t.st) == 0);
    auto s = g.take();
    REQUIRE(s.size() == 1);
    CHECK(s[0].icmp_type == ICMP_DEST_UNREACH);
}

TEST_CASE("A forwarded connection the guest never answers is reset after the SYN timeout",
          "[slirpnet][bounds]") {
    Guest g;
    uint16_t port = unused_port();
    REQUIRE(add_fwd(g.t.st, "tcp", port) == "{\"return\":{\"id\":1}}");
    common::UniqueFd client = connect_tcp(port);
    auto s = g.wait();
    REQUIRE(s.size() == 1);
    CHECK(s[0].h.flags == tcp_syn);
    for (uint64_t t = 0; t < tcp_syn_timeout_ms; t += 1000) {
        g.t.st.now_ms += 1000;
        timer_tick(g.t.st);
    }
    CHECK(tcp::active(g.t.st) == 0);
    pollfd p{client.get(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 2000) == 1); // reset on the host side
    char c;
    CHECK(recv(client.get(), &c, 1, MSG_DONTWAIT) == -1);
    CHECK(errno == ECONNRESET);
}

TEST_CASE("A zero window the guest never answers expires although the host keeps sending",
          "[slirpnet][bounds]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer, 0, 7);
    g.take();
    int probes = 0;
    bool reset = false;
    for (int i = 0; i < 40 && !reset; ++i) {
        (void)::send(peer.get(), "x", 1, MSG_DONTWAIT); // host activity is not guest activity
        for (int j = 0; j < 3; ++j)
            poll_once(g.t.st, 5);
        g.t.st.now_ms += 61'000 * uint64_t(i + 1); // poll_once reset the clock
        timer_tick(g.t.st);
        for (const Seg& s : g.take()) {
            if ((s.h.flags & tcp_rst) != 0)
                reset = true;
            else if (s.data.empty() && s.h.seq.host() == next - 1)
                ++probes;
        }
    }
    CHECK(reset);
    CHECK(probes == tcp_max_retries);
    CHECK(tcp::active(g.t.st) == 0);
}

TEST_CASE("A zero window the guest answers keeps being probed", "[slirpnet][bounds]") {
    Server srv;
    Guest g;
    common::UniqueFd peer;
    uint32_t next = g.connect(srv, peer, 0, 7);
    REQUIRE(::send(peer.get(), "abc", 3, 0) == 3);
    for (int j = 0; j < 3; ++j)
        poll_once(g.t.st, 5);
    g.take();
    for (int i = 0; i < 2 * tcp_max_retries; ++i) {
        g.t.st.now_ms += 61'000;
        timer_tick(g.t.st);
        g.send(tcp_ack, next, {}, 0); // still closed, but alive
    }
    CHECK(tcp::active(g.t.st) == 1);
}

TEST_CASE("Guest source addresses outside its subnet are dropped and counted",
          "[slirpnet][bounds]") {
    TestStack t;
    uint32_t forged = 0xc0a80105; // 192.168.1.5
    t.in(ipv4_frame(forged, gw, IPPROTO_UDP, udp_seg(forged, gw, 40000, 9, bytes_of("x"))));
    uint32_t bcast = 0x0a0002ff;
    t.in(ipv4_frame(bcast, gw, IPPROTO_UDP, udp_seg(bcast, gw, 40000, 9, bytes_of("x"))));
    CHECK(t.st.udp.index.empty());
    CHECK(t.st.cnt.spoofed == 2);
    t.in(ipv4_frame(guest_ip, gw, IPPROTO_UDP, udp_seg(guest_ip, gw, 40000, 9, bytes_of("x"))));
    CHECK(t.st.udp.index.size() == 1);
}

TEST_CASE("Guest IPv6 sources outside fd00::/64 are dropped and counted", "[slirpnet][bounds]") {
    TestStack t(TestStack::with_v6());
    Addr gw6 = v6_addr(0xfd, 0x00, 2);
    Addr other = v6_addr(0xfd, 0x01, 5);
    t.in(ipv6_frame(other, gw6, IPPROTO_UDP, udp_seg_any(other, gw6, 40000, 9, bytes_of("x"))));
    // link-local sources stay on the link
    t.in(ipv6_frame(guest6_ll, gw6, IPPROTO_UDP,
                    udp_seg_any(guest6_ll, gw6, 40000, 9, bytes_of("x"))));
    CHECK(t.st.udp.index.empty());
    CHECK(t.st.cnt.spoofed == 2);
    t.in(ipv6_frame(guest6, gw6, IPPROTO_UDP, udp_seg_any(guest6, gw6, 40000, 9, bytes_of("x"))));
    CHECK(t.st.udp.index.size() == 1);
}

TEST_CASE("remove_hostfwd of a UDP forward with a guest flow closes its socket; the list shrinks",
          "[slirpnet][bounds]") {
    TestStack t;
    uint16_t port = unused_port();
    REQUIRE(add_fwd(t.st, "udp", port) == "{\"return\":{\"id\":1}}");
    int fwd_fd = t.st.forwards.at(0).fd.get();
    common::UniqueFd client(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(sendto(client.get(), "q", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 1);
    REQUIRE(poll_once(t.st, 2000) == 1);
    REQUIRE(t.st.udp.index.size() == 1); // the guest's replies go out through the forward
    CHECK(api_handle(t.st, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}") ==
          "{\"return\":{}}");
    CHECK(t.st.udp.index.empty());
    CHECK(t.st.forwards.empty());
    CHECK(fcntl(fwd_fd, F_GETFD) == -1); // closed, so out of epoll
    // a datagram to the old port wakes nothing
    (void)sendto(client.get(), "q", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    CHECK(pending_events(t.st, 50) == 0);
}

TEST_CASE("Forward slots are reused and the list holds only live forwards", "[slirpnet][bounds]") {
    TestStack t;
    uint16_t p1 = unused_port(), p2 = unused_port(), p3 = unused_port();
    REQUIRE(add_fwd(t.st, "tcp", p1) == "{\"return\":{\"id\":1}}");
    REQUIRE(add_fwd(t.st, "tcp", p2) == "{\"return\":{\"id\":2}}");
    REQUIRE(api_handle(t.st, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}") ==
            "{\"return\":{}}");
    CHECK(t.st.forwards.size() == 2); // a hole before a live one
    REQUIRE(add_fwd(t.st, "tcp", p3) == "{\"return\":{\"id\":3}}");
    CHECK(t.st.forwards.size() == 2);
    CHECK(t.st.forwards[0].id == 3);
    t.st.lim.forwards = 2;
    CHECK(add_fwd(t.st, "tcp", p1) ==
          "{\"error\":{\"desc\":\"bad request: add_hostfwd: slirp_add_hostfwd failed\"}}");
}

TEST_CASE("JSON numbers out of int range are bad arguments, not undefined behaviour",
          "[slirpnet][bounds][api]") {
    TestStack t;
    auto e = [](const char* d) {
        return std::string("{\"error\":{\"desc\":\"bad request: ") + d + "\"}}";
    };
    CHECK(api_handle(t.st, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1e300}}") ==
          e("remove_hostfwd: bad arguments.id"));
    CHECK(api_handle(t.st, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":-1e300}}") ==
          e("remove_hostfwd: bad arguments.id"));
    CHECK(api_handle(t.st, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                           "\"host_port\":1e300,\"guest_port\":80}}") ==
          e("add_hostfwd: bad arguments.host_port"));
    CHECK(api_handle(t.st, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                           "\"host_port\":8080,\"guest_port\":-1e300}}") ==
          e("add_hostfwd: bad arguments.guest_port"));
    CHECK(api_handle(t.st, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\","
                           "\"host_port\":8080,\"guest_port\":2147483648}}") ==
          e("add_hostfwd: bad arguments.guest_port"));
}

TEST_CASE("Out of fds, a forward's listener leaves epoll until the next tick",
          "[slirpnet][bounds]") {
    TestStack t;
    uint16_t port = unused_port();
    REQUIRE(add_fwd(t.st, "tcp", port) == "{\"return\":{\"id\":1}}");
    common::UniqueFd client = connect_tcp(port);
    {
        NoMoreFds limit;
        REQUIRE(poll_once(t.st, 2000) == 1); // accept() fails with EMFILE
        CHECK(t.st.forwards[0].paused);
        CHECK(pending_events(t.st, 100) == 0); // no wake-up loop
        timer_tick(t.st);
        CHECK(pending_events(t.st, 100) == 1); // tried again each tick
        poll_once(t.st, 0);
        CHECK(t.st.forwards[0].paused);
    }
    timer_tick(t.st);
    CHECK(poll_once(t.st, 1000) == 1); // fds again: accepted, SYN to the guest
    CHECK(!t.st.forwards[0].paused);
    CHECK(tcp::active(t.st) == 1);
}

TEST_CASE("Out of fds, the API listener leaves epoll until the next tick", "[slirpnet][bounds]") {
    ApiFixture f;
    REQUIRE(watch(f.t.st, f.api.fd(), EPOLLIN, make_tag(Tag::api_listen, 0)));
    common::UniqueFd c = f.connect();
    {
        NoMoreFds limit;
        REQUIRE(pending_events(f.t.st, 1000) == 1);
        f.api.on_listen();
        CHECK(f.api.paused());
        CHECK(pending_events(f.t.st, 100) == 0); // no wake-up loop
    }
    f.api.timer();
    CHECK(!f.api.paused());
    REQUIRE(pending_events(f.t.st, 1000) == 1);
    f.api.on_listen();
    REQUIRE(::send(c.get(), list_req, sizeof(list_req) - 1, 0) ==
            static_cast<ssize_t>(sizeof(list_req) - 1));
    epoll_event ev{};
    REQUIRE(epoll_wait(f.t.st.epoll.get(), &ev, 1, 1000) == 1);
    f.api.on_client(tag_index(ev.data.u64), ev.events);
    char buf[64] = {};
    CHECK(recv(c.get(), buf, sizeof(buf) - 1, 0) > 0);
    CHECK(std::string(buf) == "{\"entries\":[]}");
}

TEST_CASE("A full API client table makes room for a new client", "[slirpnet][bounds]") {
    ApiFixture f;
    std::vector<common::UniqueFd> idle;
    for (size_t i = 0; i < api_max_clients + 10; ++i) {
        idle.push_back(f.connect());
        f.api.on_listen();
    }
    common::UniqueFd c = f.connect();
    REQUIRE(::send(c.get(), list_req, sizeof(list_req) - 1, 0) ==
            static_cast<ssize_t>(sizeof(list_req) - 1));
    f.api.on_listen();
    for (int i = 0; i < 20; ++i) {
        epoll_event evs[16];
        int n = epoll_wait(f.t.st.epoll.get(), evs, 16, 50);
        for (int j = 0; j < n; ++j)
            if (tag_kind(evs[j].data.u64) == Tag::api_conn)
                f.api.on_client(tag_index(evs[j].data.u64), evs[j].events);
    }
    char buf[64] = {};
    CHECK(recv(c.get(), buf, sizeof(buf) - 1, MSG_DONTWAIT) > 0);
    CHECK(std::string(buf) == "{\"entries\":[]}");
}
