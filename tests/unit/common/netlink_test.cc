// SPDX-License-Identifier: Apache-2.0
// netlink_test.cc — RTNETLINK requests inside a throw-away user+net namespace
#include "common/netlink.h"
#include "common/ns.h"
#include "tests/unit/skip.h"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h> // before linux/if_tun.h
#include <sched.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Runs `fn` in a forked child inside new user+net namespaces; returns "" on success, the error
// text otherwise (also for a child that crashed or exited non-zero), or "skip: REASON" when the
// host lacks what the test needs (user namespaces, /dev/net/tun).
std::string in_new_netns(const std::function<void()>& fn) {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(p[0]);
        std::string msg;
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
            msg = "skip: unprivileged user namespaces are not available here";
        } else {
            try {
                fn();
            } catch (const std::exception& e) {
                msg = e.what();
            }
        }
        // A short write shows as a wrong message in the parent; _FORTIFY_SOURCE wants it used.
        if (::write(p[1], msg.data(), msg.size()) < 0)
            ::_exit(4);
        ::_exit(msg.empty() || msg.rfind("skip: ", 0) == 0 ? 0 : 3);
    }
    ::close(p[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid)
        return "waitpid failed";
    if (WIFSIGNALED(status))
        return out + " [child killed by signal " + std::to_string(WTERMSIG(status)) + "]";
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && out.empty()))
        return "child exited with status " + std::to_string(WEXITSTATUS(status)) +
               " and no message";
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

// This namespace's view of a /proc/net table (the file follows the reader's network namespace).
std::string proc_net(const char* table) {
    std::ifstream f(std::string("/proc/self/net/") + table);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

in_addr ipv4(const char* s) {
    in_addr a{};
    expect(::inet_pton(AF_INET, s, &a) == 1, "test address");
    return a;
}

in6_addr ipv6(const char* s) {
    in6_addr a{};
    expect(::inet_pton(AF_INET6, s, &a) == 1, "test address");
    return a;
}

// "ADDR/NETMASK brd BROADCAST" of the IPv4 address `want` on interface `name` (getifaddrs), or
// "none". lo also carries 127.0.0.1, which the kernel adds when it comes up.
std::string if_addr4(const char* name, const char* want) {
    ifaddrs* all = nullptr;
    if (::getifaddrs(&all) != 0)
        return "getifaddrs failed";
    std::string out = "none";
    auto text = [](const sockaddr* sa) {
        char buf[INET_ADDRSTRLEN] = "-";
        if (sa != nullptr && sa->sa_family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf,
                        sizeof buf);
        return std::string(buf);
    };
    for (ifaddrs* i = all; i != nullptr; i = i->ifa_next)
        if (std::string(i->ifa_name) == name && text(i->ifa_addr) == want)
            out = text(i->ifa_addr) + "/" + text(i->ifa_netmask) + " brd " + text(i->ifa_broadaddr);
    ::freeifaddrs(all);
    return out;
}

// A TAP device named `name` in the current namespace, alive while the returned fd is open; an
// IPv6 gateway must be on a link (the kernel refuses one on lo).
common::UniqueFd make_tap(const char* name) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(std::string("skip: /dev/net/tun: ") + std::strerror(errno));
    common::UniqueFd tap(fd);
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    expect(::ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF");
    return tap;
}

bool has_line(const std::string& table, const std::string& needle) {
    std::istringstream in(table);
    for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos)
            return true;
    return false;
}

#define RUN_OR_SKIP(fn)                                                                            \
    do {                                                                                           \
        std::string err = in_new_netns(fn);                                                        \
        if (err.rfind("skip: ", 0) == 0)                                                           \
            SKIP_CASE(err.substr(6));                                                              \
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

TEST_CASE("netlink adds addresses and default routes; errors carry the kernel errno",
          "[common][netlink]") {
    RUN_OR_SKIP([] {
        common::Netlink nl;
        int lo = nl.ifindex("lo");
        nl.set_up(lo, true);
        in_addr a = ipv4("10.0.2.100");
        nl.add_addr4(lo, a, 24);
        expect(if_addr4("lo", "10.0.2.100") == "10.0.2.100/255.255.255.0 brd 10.0.2.255",
               "IPv4 address, prefix and broadcast read back");
        try {
            nl.add_addr4(lo, a, 24);
            expect(false, "duplicate address accepted");
        } catch (const common::SysError& e) {
            expect(e.err() == EEXIST, "EEXIST for a duplicate address");
        }
        nl.add_default_route4(lo, ipv4("10.0.2.2"));
        // /proc/net/route: "Iface Destination Gateway ..." in hex, network byte order as read
        // from memory on this (little-endian or not) host.
        char gw[16];
        std::snprintf(gw, sizeof gw, "%08X", ipv4("10.0.2.2").s_addr);
        expect(has_line(proc_net("route"), std::string("lo\t00000000\t") + gw),
               "default route read back");
        common::UniqueFd tap = make_tap("t0");
        int t0 = nl.ifindex("t0");
        nl.set_up(t0, true);
        nl.add_addr6(t0, ipv6("fd00::100"), 64);
        // /proc/net/if_inet6: "ADDRESS IFINDEX PREFIXLEN SCOPE FLAGS IFNAME", all hex.
        expect(has_line(proc_net("if_inet6"), "fd000000000000000000000000000100"),
               "IPv6 address read back");
        char idx_len[16];
        std::snprintf(idx_len, sizeof idx_len, " %02x 40 ", t0);
        bool prefix_ok = false;
        std::istringstream in(proc_net("if_inet6"));
        for (std::string line; std::getline(in, line);)
            if (line.rfind("fd000000000000000000000000000100", 0) == 0)
                prefix_ok = line.find(idx_len) != std::string::npos;
        expect(prefix_ok, "IPv6 address on t0 with prefix length 64");
        nl.add_default_route6(t0, ipv6("fd00::2"));
        // /proc/net/ipv6_route: "DEST DESTLEN SRC SRCLEN NEXTHOP METRIC REFCNT USE FLAGS IFNAME".
        expect(has_line(proc_net("ipv6_route"),
                        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                        "fd000000000000000000000000000002"),
               "IPv6 default route read back");
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
