// SPDX-License-Identifier: Apache-2.0
// netlink_test.cc — RTNETLINK requests inside a throw-away user+net namespace
#include "common/args.h"
#include "common/netlink.h"
#include "common/ns.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fcntl.h>
#include <functional>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Runs `fn` in a forked child inside new user+net namespaces; returns "" on success, the error
// text otherwise, or "skip" when user namespaces are unavailable.
std::string in_new_netns(const std::function<void()>& fn) {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(p[0]);
        std::string msg;
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
            msg = "skip";
        } else {
            try {
                fn();
            } catch (const std::exception& e) {
                msg = e.what();
            }
        }
        (void)::write(p[1], msg.data(), msg.size());
        ::_exit(0);
    }
    ::close(p[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    ::waitpid(pid, nullptr, 0);
    return out;
}

void expect(bool cond, const char* what) {
    if (!cond)
        throw std::runtime_error(what);
}

unsigned if_flags(const char* name) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int r = ::ioctl(s, SIOCGIFFLAGS, &ifr);
    ::close(s);
    return r < 0 ? 0 : static_cast<unsigned short>(ifr.ifr_flags);
}

int if_mtu(const char* name) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int r = ::ioctl(s, SIOCGIFMTU, &ifr);
    ::close(s);
    return r < 0 ? -1 : ifr.ifr_mtu;
}

#define RUN_OR_SKIP(fn)                                                                            \
    do {                                                                                           \
        std::string err = in_new_netns(fn);                                                        \
        if (err == "skip")                                                                         \
            FAIL("unprivileged user namespaces are not available here");                          \
        CHECK(err == "");                                                                          \
    } while (0)

} // namespace

TEST_CASE("netlink brings lo up and down", "[common][netlink]") {
    RUN_OR_SKIP([] {
        common::Netlink nl;
        int lo = nl.ifindex("lo");
        expect(lo > 0, "ifindex");
        expect(!(if_flags("lo") & IFF_UP), "lo starts down");
        nl.set_up(lo, true);
        expect(if_flags("lo") & IFF_UP, "lo up");
        nl.set_up(lo, false);
        expect(!(if_flags("lo") & IFF_UP), "lo down again");
    });
}

TEST_CASE("netlink sets the MTU", "[common][netlink]") {
    RUN_OR_SKIP([] {
        common::Netlink nl;
        nl.set_mtu(nl.ifindex("lo"), 1500);
        expect(if_mtu("lo") == 1500, "mtu 1500");
    });
}

TEST_CASE("netlink adds addresses and a default route; errors carry the kernel errno", "[common][netlink]") {
    RUN_OR_SKIP([] {
        common::Netlink nl;
        int lo = nl.ifindex("lo");
        nl.set_up(lo, true);
        in_addr a = *common::args::parse_ipv4("10.0.2.100");
        nl.add_addr4(lo, a, 24);
        try {
            nl.add_addr4(lo, a, 24);
            expect(false, "duplicate address accepted");
        } catch (const common::SysError& e) {
            expect(e.err() == EEXIST, "EEXIST for a duplicate address");
        }
        nl.add_default_route4(lo, *common::args::parse_ipv4("10.0.2.2"));
        nl.add_addr6(lo, *common::args::parse_ipv6("fd00::100"), 64);
    });
}

TEST_CASE("netlink reports an unknown interface as ENODEV", "[common][netlink]") {
    RUN_OR_SKIP([] {
        common::Netlink nl;
        try {
            (void)nl.ifindex("nosuchif0");
            expect(false, "no error");
        } catch (const common::SysError& e) {
            expect(e.err() == ENODEV, "ENODEV");
        }
        try {
            nl.set_mtu(9999, 1500);
            expect(false, "no error");
        } catch (const common::SysError& e) {
            expect(e.err() == ENODEV, "ENODEV from the kernel");
        }
    });
}
