// SPDX-License-Identifier: Apache-2.0
// relay_test.cc — the builtin driver's relay: specs of every proto, the splice state machine on
// socketpairs, TCP and UDP through real loopback sockets, the cap, removal, and accept back-off
#include "rootlesskit/port/builtin.h"
#include "rootlesskit/port/relay.h"
#include "rootlesskit/port/spec.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace rlk::port;
using common::UniqueFd;

namespace {

// Polls `pred` every 5 ms for up to 5 s.
template <class F> bool eventually(F pred) {
    for (int i = 0; i < 1000; ++i) {
        if (pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

// Reads what arrives within 5 s: the bytes, or "<eof>".
std::string read_some(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1)
        return "<timeout>";
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    return n == 0 ? "<eof>" : n < 0 ? "<error>" : std::string(buf, static_cast<size_t>(n));
}

void nonblock(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

UniqueFd loopback_listener(int type, uint16_t& port) {
    UniqueFd l(socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (type == SOCK_STREAM)
        REQUIRE(listen(l.get(), 64) == 0);
    socklen_t len = sizeof a;
    getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return l;
}

UniqueFd connect_to(int type, uint16_t port) {
    UniqueFd c(socket(AF_INET, type | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return c;
}

// A dial function that opens a plain non-blocking socket to req.target in this netns.
common::Result<Dialed> local_dial(const DialRequest& req) {
    UniqueFd fd(socket(req.target.ss_family,
                       (req.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&req.target),
                sockaddr_len(req.target)) != 0 &&
        errno != EINPROGRESS)
        return common::last_errno();
    return Dialed{std::move(fd), false};
}

DialRequest target_of(bool udp, uint16_t port) {
    DialRequest r;
    r.udp = udp;
    socklen_t len = 0;
    make_sockaddr("127.0.0.1", port, r.target, len);
    return r;
}

// A relay with port 1 forwarding a loopback listener (`port`) to a loopback server.
struct LoopbackRelay {
    uint16_t server_port = 0, port = 0;
    UniqueFd server;
    Relay relay;
    LoopbackRelay(int type, RelayLimits limits)
        : server(loopback_listener(type, server_port)),
          relay(
              local_dial, [](const DialRequest&) {}, limits) {
        relay.add(1, loopback_listener(type, port), target_of(type == SOCK_DGRAM, server_port));
    }
};

} // namespace

TEST_CASE("-p specs of every proto parse, IPv6 in brackets", "[rootlesskit][relay]") {
    for (const char* proto : {"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"}) {
        PortSpec a = parse_port_spec(std::string("127.0.0.1:8080:80/") + proto);
        CHECK(a.proto == proto);
        CHECK(a.parent_port == 8080);
        PortSpec b = parse_port_spec(std::string("[::1]:8080:[fd00::5]:53/") + proto);
        CHECK(b.parent_ip == "::1");
        CHECK(b.child_ip == "fd00::5");
        CHECK(b.child_port == 53);
        CHECK_NOTHROW(validate_port_spec(b, {}));
    }
}

TEST_CASE("JSON specs of every proto round-trip; tcp and tcp4 on one port do not conflict",
          "[rootlesskit][relay]") {
    for (const char* proto : {"tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"}) {
        std::string body = std::string("{\"proto\":\"") + proto +
                           "\",\"parentIP\":\"::\",\"parentPort\":5353,\"childPort\":53}";
        PortSpec s = spec_from_json(body);
        CHECK(s.proto == proto);
        CHECK(to_json(s).dump() == body);
    }
    std::map<int, PortStatus> existing{{1, PortStatus{1, PortSpec{"udp", "", 53, 53, ""}}}};
    CHECK_NOTHROW(validate_port_spec(PortSpec{"tcp", "", 53, 53, ""}, existing));
    CHECK_NOTHROW(validate_port_spec(PortSpec{"udp4", "", 53, 53, ""}, existing));
    CHECK_THROWS_WITH(validate_port_spec(PortSpec{"udp", "", 53, 53, ""}, existing),
                      "conflict with ID 1");
}

TEST_CASE("udp6 and tcp6 dial ::1 by default", "[rootlesskit][relay]") {
    CHECK(dial_target(PortSpec{"udp6", "", 8080, 80, ""}) == "::1");
    CHECK(dial_target(PortSpec{"udp", "", 8080, 80, ""}) == "127.0.0.1");
    CHECK(dial_target(PortSpec{"udp4", "127.0.0.3", 8080, 80, ""}) == "127.0.0.3");
}

TEST_CASE("accept back-off doubles to its ceiling and resets", "[rootlesskit][relay]") {
    AcceptBackoff b(10, 1000);
    CHECK(b.next() == 10);
    CHECK(b.next() == 20);
    CHECK(b.next() == 40);
    for (int i = 0; i < 10; ++i)
        (void)b.next();
    CHECK(b.next() == 1000);
    b.reset();
    CHECK(b.next() == 10);
    for (int e : {EMFILE, ENFILE, ENOMEM, ENOBUFS})
        CHECK(accept_should_back_off(e));
    for (int e : {EAGAIN, ECONNABORTED, EINTR})
        CHECK_FALSE(accept_should_back_off(e));
}

TEST_CASE("max connections follow the fd limit", "[rootlesskit][relay]") {
    CHECK(max_conns_for(20000) == (20000 - 256) / 6);
    CHECK(max_conns_for(100) == 16);
    CHECK(max_conns_for(SIZE_MAX) == 16384);
}

TEST_CASE("relay on socketpairs: both directions, half-close each way, then the end",
          "[rootlesskit][relay]") {
    Relay relay(
        local_dial, [](const DialRequest&) {}, RelayLimits{});
    uint16_t port = 0;
    relay.add(1, loopback_listener(SOCK_STREAM, port), target_of(false, 1));
    common::FdPair client = common::socketpair_cloexec(SOCK_STREAM);
    common::FdPair server = common::socketpair_cloexec(SOCK_STREAM);
    nonblock(client.second.get());
    nonblock(server.second.get());
    relay.adopt(1, std::move(client.second), std::move(server.second));
    CHECK(relay.conn_count() == 1);
    REQUIRE(write(client.first.get(), "hello", 5) == 5);
    CHECK(read_some(server.first.get()) == "hello");
    REQUIRE(write(server.first.get(), "world", 5) == 5);
    CHECK(read_some(client.first.get()) == "world");
    // the client stops sending: the server sees EOF and may still answer
    shutdown(client.first.get(), SHUT_WR);
    CHECK(read_some(server.first.get()) == "<eof>");
    REQUIRE(write(server.first.get(), "late", 4) == 4);
    CHECK(read_some(client.first.get()) == "late");
    CHECK(relay.conn_count() == 1);
    shutdown(server.first.get(), SHUT_WR);
    CHECK(read_some(client.first.get()) == "<eof>");
    CHECK(eventually([&] { return relay.conn_count() == 0; }));
}

TEST_CASE("relay: a server that goes away ends the connection; removing a port closes the rest",
          "[rootlesskit][relay]") {
    Relay relay(
        local_dial, [](const DialRequest&) {}, RelayLimits{});
    uint16_t port = 0;
    relay.add(7, loopback_listener(SOCK_STREAM, port), target_of(false, 1));
    common::FdPair c1 = common::socketpair_cloexec(SOCK_STREAM);
    common::FdPair s1 = common::socketpair_cloexec(SOCK_STREAM);
    common::FdPair c2 = common::socketpair_cloexec(SOCK_STREAM);
    common::FdPair s2 = common::socketpair_cloexec(SOCK_STREAM);
    for (int fd : {c1.second.get(), s1.second.get(), c2.second.get(), s2.second.get()})
        nonblock(fd);
    relay.adopt(7, std::move(c1.second), std::move(s1.second));
    relay.adopt(7, std::move(c2.second), std::move(s2.second));
    CHECK(relay.conn_count() == 2);
    s1.first.reset(); // the server side vanishes: the client sees the end and writes in vain
    CHECK(read_some(c1.first.get()) == "<eof>");
    (void)send(c1.first.get(), "x", 1, MSG_NOSIGNAL);
    CHECK(eventually([&] { return relay.conn_count() == 1; }));
    relay.remove(7);
    CHECK(relay.conn_count() == 0);
    CHECK(read_some(c2.first.get()) == "<eof>");
    CHECK(read_some(s2.first.get()) == "<eof>");
}

TEST_CASE("relay: TCP through a listener, the cap closes the extra client at once",
          "[rootlesskit][relay]") {
    RelayLimits limits;
    limits.max_conns = 1;
    LoopbackRelay f(SOCK_STREAM, limits);
    UniqueFd& server = f.server;
    Relay& relay = f.relay;
    uint16_t port = f.port;
    UniqueFd c = connect_to(SOCK_STREAM, port);
    pollfd p{server.get(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    UniqueFd s(accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(write(c.get(), "ping", 4) == 4);
    CHECK(read_some(s.get()) == "ping");
    UniqueFd extra = connect_to(SOCK_STREAM, port);
    CHECK(read_some(extra.get()) == "<eof>");
    CHECK(relay.stats().refused_at_cap == 1);
    REQUIRE(write(s.get(), "pong", 4) == 4);
    CHECK(read_some(c.get()) == "pong");
}

TEST_CASE("relay: UDP keeps one flow per client address and answers each", "[rootlesskit][relay]") {
    LoopbackRelay f(SOCK_DGRAM, RelayLimits{});
    UniqueFd& server = f.server;
    Relay& relay = f.relay;
    uint16_t port = f.port;
    UniqueFd a = connect_to(SOCK_DGRAM, port);
    UniqueFd b = connect_to(SOCK_DGRAM, port);
    for (int round = 0; round < 2; ++round) {
        for (int fd : {a.get(), b.get()}) {
            REQUIRE(send(fd, "q", 1, 0) == 1);
            pollfd p{server.get(), POLLIN, 0};
            REQUIRE(poll(&p, 1, 5000) == 1);
            char buf[16];
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            ssize_t n = recvfrom(server.get(), buf, sizeof buf, 0,
                                 reinterpret_cast<sockaddr*>(&from), &len);
            REQUIRE(n == 1);
            REQUIRE(sendto(server.get(), fd == a.get() ? "A" : "B", 1, 0,
                           reinterpret_cast<sockaddr*>(&from), len) == 1);
            CHECK(read_some(fd) == (fd == a.get() ? "A" : "B"));
        }
    }
    CHECK(relay.flow_count() == 2);
    relay.remove(1);
    CHECK(relay.flow_count() == 0);
}

TEST_CASE("relay: the loop thread runs at its limits' niceness, the caller's is untouched",
          "[rootlesskit][relay]") {
    int mine = getpriority(PRIO_PROCESS, 0);
    RelayLimits limits;
    limits.nice = 10;
    LoopbackRelay niced(SOCK_DGRAM, limits);
    LoopbackRelay plain(SOCK_DGRAM, RelayLimits{});
    CHECK(niced.relay.loop_nice() == std::max(10, mine)); // never below the caller's
    CHECK(plain.relay.loop_nice() == mine);
    CHECK(getpriority(PRIO_PROCESS, 0) == mine);
}

TEST_CASE("relay: UDP flows end after their idle time", "[rootlesskit][relay]") {
    RelayLimits limits;
    limits.udp_idle_ms = 50;
    LoopbackRelay f(SOCK_DGRAM, limits);
    Relay& relay = f.relay;
    uint16_t port = f.port;
    UniqueFd a = connect_to(SOCK_DGRAM, port);
    REQUIRE(send(a.get(), "q", 1, 0) == 1);
    CHECK(eventually([&] { return relay.flow_count() == 1; }));
    CHECK(eventually([&] { return relay.flow_count() == 0; }));
}

TEST_CASE("relay: accept survives EMFILE: it backs off, then serves once fds are back",
          "[rootlesskit][relay]") {
    std::atomic<int> dials{0};
    Relay relay(
        [&](const DialRequest&) -> common::Result<Dialed> {
            ++dials;
            return common::Errno{ECONNREFUSED};
        },
        [](const DialRequest&) {}, RelayLimits{});
    uint16_t port = 0;
    relay.add(1, loopback_listener(SOCK_STREAM, port), target_of(false, 1));
    UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // Use up every fd slot below a lowered limit, so the relay's accept() gets EMFILE.
    rlimit saved{};
    getrlimit(RLIMIT_NOFILE, &saved);
    std::vector<UniqueFd> fillers;
    int top = client.get();
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(top + 1);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (;;) {
        int fd = dup(0);
        if (fd < 0)
            break;
        fillers.emplace_back(fd);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    bool backed_off = eventually([&] { return relay.stats().backoffs >= 1; });
    fillers.clear();
    REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK(backed_off);
    CHECK(relay.stats().accepted == 0);
    CHECK(eventually([&] { return relay.stats().accepted == 1 && dials == 1; }));
    CHECK(read_some(client.get()) == "<eof>");
}

// 48 datagrams in runs, as the relay batches them: equal runs, shorter tails, a lone one;
// datagram k is filled with the byte k.
std::vector<size_t> burst_sizes() {
    std::vector<size_t> sizes;
    for (int k = 0; k < 48; ++k)
        sizes.push_back(k % 12 == 11 ? 300 : k < 24 ? 1400 : 1200);
    return sizes;
}

void send_burst(int fd, const sockaddr_storage* to, socklen_t to_len) {
    std::vector<char> d(1400);
    std::vector<size_t> sizes = burst_sizes();
    for (size_t k = 0; k < sizes.size(); ++k) {
        std::memset(d.data(), static_cast<int>(k), d.size());
        REQUIRE(sendto(fd, d.data(), sizes[k], 0, reinterpret_cast<const sockaddr*>(to), to_len) ==
                static_cast<ssize_t>(sizes[k]));
    }
}

// Receives the burst on `fd`: every datagram whole, in order.
void expect_burst(int fd) {
    std::vector<char> got(65536);
    std::vector<size_t> sizes = burst_sizes();
    for (size_t k = 0; k < sizes.size(); ++k) {
        pollfd p{fd, POLLIN, 0};
        REQUIRE(poll(&p, 1, 5000) == 1);
        ssize_t n = recv(fd, got.data(), got.size(), 0);
        CHECK(n == static_cast<ssize_t>(sizes[k]));
        CHECK(got[0] == static_cast<char>(k));
        CHECK(got[static_cast<size_t>(n) - 1] == static_cast<char>(k));
    }
}

TEST_CASE("relay: a burst of one client's datagrams reaches the server whole and in order",
          "[rootlesskit][relay][gso]") {
    LoopbackRelay f(SOCK_DGRAM, RelayLimits{});
    int buf = 4 << 20;
    setsockopt(f.server.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    UniqueFd a = connect_to(SOCK_DGRAM, f.port);
    send_burst(a.get(), nullptr, 0);
    expect_burst(f.server.get());
}

TEST_CASE("relay: a burst of the server's replies reaches the client whole and in order",
          "[rootlesskit][relay][gso]") {
    LoopbackRelay f(SOCK_DGRAM, RelayLimits{});
    UniqueFd a = connect_to(SOCK_DGRAM, f.port);
    int buf = 4 << 20;
    setsockopt(a.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    REQUIRE(send(a.get(), "q", 1, 0) == 1);
    pollfd p{f.server.get(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    char q[16];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    REQUIRE(recvfrom(f.server.get(), q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &len) ==
            1);
    // the flow's socket reads these in batches: runs of equal sizes go back as UDP_SEGMENT
    send_burst(f.server.get(), &from, len);
    expect_burst(a.get());
}
