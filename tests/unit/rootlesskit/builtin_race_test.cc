// SPDX-License-Identifier: Apache-2.0
// builtin_race_test.cc — published ports cannot race (issue 18): the builtin driver binds the
// host port inside add() before it answers and closes it inside remove() before it answers, so
// concurrent adders of one port get one winner and conflicts, and a removed port is free at once
// (docs/compat/rootlesskit.md, "Port reservation"); and UDP ports get a loop of their own at a
// lower CPU priority (builtin.cc)
#include "rootlesskit/port/builtin.h"

#include "../skip.h"

#include <arpa/inet.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <netinet/in.h>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace rlk::port;
using common::UniqueFd;

namespace {

// A process in a new user and network namespace for the driver's helper to join; it exits when
// the test closes its pipe.
struct NsChild {
    pid_t pid = -1;
    int hold = -1;
    std::string error;
    NsChild() {
        int ready[2], h[2];
        REQUIRE(pipe2(ready, O_CLOEXEC) == 0);
        REQUIRE(pipe2(h, O_CLOEXEC) == 0);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            close(h[1]);
            int e = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : errno;
            (void)!write(ready[1], &e, sizeof e);
            char c;
            (void)!read(h[0], &c, 1);
            _exit(0);
        }
        close(ready[1]);
        close(h[0]);
        hold = h[1];
        int e = -1;
        (void)!read(ready[0], &e, sizeof e);
        close(ready[0]);
        if (e != 0)
            error = std::string("unshare(CLONE_NEWUSER|CLONE_NEWNET): ") + strerror(e);
    }
    ~NsChild() {
        close(hold);
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
    }
};

// A port nobody uses now (the kernel's pick for a socket bound to port 0, then closed).
long long free_port(int type) {
    UniqueFd s(socket(AF_INET, type | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

// bind() of 127.0.0.1:port by another socket, without SO_REUSEADDR: 0 or the errno.
int bind_errno(int type, long long port) {
    UniqueFd s(socket(AF_INET, type | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : errno;
}

// Threads of this process whose niceness is `nice` (field 19 of /proc/self/task/*/stat).
int threads_at_nice(int nice) {
    int n = 0;
    DIR* d = opendir("/proc/self/task");
    REQUIRE(d != nullptr);
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/stat");
        std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        size_t paren = stat.rfind(')');
        if (paren == std::string::npos)
            continue;                                    // the thread ended while we looked
        std::istringstream rest(stat.substr(paren + 2)); // fields from 3 (state) on
        std::string field;
        for (int i = 3; i <= 19 && rest >> field; ++i)
            if (i == 19 && std::stoi(field) == nice)
                ++n;
    }
    closedir(d);
    return n;
}

constexpr int adders = 8, rounds = 20;

} // namespace

TEST_CASE("builtin: 8 concurrent adders of one port: one wins, the others get the conflict",
          "[rootlesskit][port][race]") {
    NsChild ns;
    if (!ns.error.empty())
        SKIP_CASE(ns.error);
    BuiltinPortDriver d(ns.pid, "", false);
    for (const char* proto : {"tcp", "udp"}) {
        int type = proto[0] == 't' ? SOCK_STREAM : SOCK_DGRAM;
        for (int round = 0; round < rounds; ++round) {
            long long port = free_port(type);
            std::atomic<int> go{0};
            std::vector<std::string> results(adders);
            std::vector<int> ids(adders, 0);
            std::vector<std::thread> ts;
            for (int t = 0; t < adders; ++t)
                ts.emplace_back([&, t] {
                    go.fetch_add(1);
                    while (go.load() < adders) // start together
                        std::this_thread::yield();
                    try {
                        ids[t] = d.add(PortSpec{proto, "127.0.0.1", port, 80, ""}).id;
                        results[t] = "ok";
                    } catch (const std::exception& e) {
                        results[t] = e.what();
                    }
                });
            for (std::thread& t : ts)
                t.join();
            int winners = 0, winner_id = 0;
            for (int t = 0; t < adders; ++t)
                if (results[t] == "ok") {
                    ++winners;
                    winner_id = ids[t];
                }
            REQUIRE(winners == 1);
            for (int t = 0; t < adders; ++t)
                if (results[t] != "ok")
                    CHECK(results[t] == "conflict with ID " + std::to_string(winner_id));
            CHECK(bind_errno(type, port) == EADDRINUSE); // held by the driver, not by the child
            d.remove(winner_id);
            CHECK(bind_errno(type, port) == 0);
        }
    }
    CHECK(d.list().empty());
}

TEST_CASE("builtin: 8 concurrent adders of different ports all win", "[rootlesskit][port][race]") {
    NsChild ns;
    if (!ns.error.empty())
        SKIP_CASE(ns.error);
    BuiltinPortDriver d(ns.pid, "", false);
    for (int round = 0; round < rounds; ++round) {
        std::vector<long long> ports;
        for (int t = 0; t < adders; ++t)
            ports.push_back(free_port(t % 2 ? SOCK_DGRAM : SOCK_STREAM));
        std::vector<std::string> results(adders);
        std::vector<int> ids(adders, 0);
        std::vector<std::thread> ts;
        for (int t = 0; t < adders; ++t)
            ts.emplace_back([&, t] {
                try {
                    ids[t] =
                        d.add(PortSpec{t % 2 ? "udp" : "tcp", "127.0.0.1", ports[t], 80, ""}).id;
                    results[t] = "ok";
                } catch (const std::exception& e) {
                    results[t] = e.what();
                }
            });
        for (std::thread& t : ts)
            t.join();
        for (int t = 0; t < adders; ++t)
            CHECK(results[t] == "ok");
        CHECK(d.list().size() == adders);
        for (int t = 0; t < adders; ++t)
            if (ids[t] != 0)
                d.remove(ids[t]);
    }
    CHECK(d.list().empty());
}

TEST_CASE("builtin: 200 remove/re-add cycles of one port never meet EADDRINUSE",
          "[rootlesskit][port][race]") {
    NsChild ns;
    if (!ns.error.empty())
        SKIP_CASE(ns.error);
    BuiltinPortDriver d(ns.pid, "", false);
    for (const char* proto : {"tcp", "udp"}) {
        int type = proto[0] == 't' ? SOCK_STREAM : SOCK_DGRAM;
        long long port = free_port(type);
        int failures = 0;
        std::string first_error;
        int id = d.add(PortSpec{proto, "127.0.0.1", port, 80, ""}).id;
        for (int cycle = 0; cycle < 200; ++cycle) {
            d.remove(id);
            try {
                id = d.add(PortSpec{proto, "127.0.0.1", port, 80, ""}).id;
            } catch (const std::exception& e) {
                if (failures++ == 0)
                    first_error = e.what();
                break;
            }
        }
        CHECK(failures == 0);
        CHECK(first_error == "");
        d.remove(id);
        // released with the reply: another socket binds it at once
        CHECK(bind_errno(type, port) == 0);
    }
}

TEST_CASE("builtin: UDP ports are relayed by one loop of their own at udp_relay_nice",
          "[rootlesskit][port]") {
    NsChild ns;
    if (!ns.error.empty())
        SKIP_CASE(ns.error);
    if (getpriority(PRIO_PROCESS, 0) >= udp_relay_nice) // say, the suite run under nice(1)
        SKIP_CASE("the test runs at nice >= udp_relay_nice: no lower priority to see");
    BuiltinPortDriver d(ns.pid, "", false);
    int tcp = d.add(PortSpec{"tcp", "127.0.0.1", free_port(SOCK_STREAM), 80, ""}).id;
    CHECK(threads_at_nice(udp_relay_nice) == 0); // TCP loops keep the process's priority
    int a = d.add(PortSpec{"udp", "127.0.0.1", free_port(SOCK_DGRAM), 53, ""}).id;
    int b = d.add(PortSpec{"udp", "127.0.0.1", free_port(SOCK_DGRAM), 54, ""}).id;
    CHECK(threads_at_nice(udp_relay_nice) == 1);
    for (int id : {a, b, tcp})
        d.remove(id);
    CHECK(d.list().empty());
}
