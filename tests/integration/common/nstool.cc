// SPDX-License-Identifier: Apache-2.0
// nstool.cc — a test-only driver of common/netlink and common/ns for tests/integration/common
//
//   nstool link-up IF | mtu IF N | mac IF MAC | addr4 IF A/P | addr6 IF A/P | route4 IF GW
//   nstool tap-from PID TAPNAME   create TAPNAME in PID's user+net ns via run_in_ns, receive its
//                                 fd over SCM_RIGHTS and print "tapfd=<n> flags=<iff>"
//   nstool idmap-self             print our uid_map parsed and re-formatted
// Errors print "nstool: <what>: <strerror>" and exit 1.
#include "common/error.h"
#include "common/log.h"
#include "common/netlink.h"
#include "common/ns.h"
#include "common/tun.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sstream>
#include <string>
#include <sys/ioctl.h>
#include <unistd.h>
#include <utility>

namespace {

// Strict parsers of the arguments; any malformed one is a usage error.
[[noreturn]] void bad(const char* what, const char* s) {
    throw common::UsageError(std::string("bad ") + what + ": " + s);
}

unsigned long number(const char* s, unsigned long max) {
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max)
        bad("number", s);
    return v;
}

template <typename Addr> Addr address(int family, const std::string& s) {
    Addr a{};
    if (::inet_pton(family, s.c_str(), &a) != 1)
        bad("address", s.c_str());
    return a;
}

template <typename Addr> std::pair<Addr, unsigned> cidr(int family, const char* s, unsigned max) {
    const char* slash = std::strchr(s, '/');
    if (slash == nullptr)
        bad("CIDR", s);
    return {address<Addr>(family, std::string(s, slash)),
            static_cast<unsigned>(number(slash + 1, max))};
}

common::Mac mac(const char* s) {
    common::Mac m{};
    unsigned b[6];
    char tail;
    if (std::strlen(s) != 17 || std::sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                                            &b[3], &b[4], &b[5], &tail) != 6)
        bad("MAC", s);
    for (size_t i = 0; i < 6; ++i)
        m[i] = static_cast<uint8_t>(b[i]);
    return m;
}

int netlink_cmd(const std::string& cmd, char** argv) {
    common::Netlink nl;
    int idx = nl.ifindex(argv[0]);
    if (cmd == "link-up") {
        nl.set_up(idx, true);
    } else if (cmd == "mtu") {
        nl.set_mtu(idx, static_cast<uint32_t>(number(argv[1], 65535)));
    } else if (cmd == "mac") {
        nl.set_mac(idx, mac(argv[1]));
    } else if (cmd == "addr4") {
        auto [a, prefix] = cidr<in_addr>(AF_INET, argv[1], 32);
        nl.add_addr4(idx, a, prefix);
    } else if (cmd == "addr6") {
        auto [a, prefix] = cidr<in6_addr>(AF_INET6, argv[1], 128);
        nl.add_addr6(idx, a, prefix);
    } else if (cmd == "route4") {
        nl.add_default_route4(idx, address<in_addr>(AF_INET, argv[1]));
    } else {
        throw common::UsageError("unknown command " + cmd);
    }
    return 0;
}

int tap_from(pid_t pid, const std::string& name) {
    common::UniqueFd userns = common::ns::open_by_pid(pid, "user");
    common::UniqueFd netns = common::ns::open_by_pid(pid, "net");
    common::UniqueFd tap = common::ns::run_in_ns({userns.get(), netns.get(), -1},
                                                 [&name] { return common::open_tap(name, false); });
    ifreq ifr{};
    if (::ioctl(tap.get(), TUNGETIFF, &ifr) < 0)
        common::throw_errno("ioctl(TUNGETIFF)");
    std::printf("tapfd=%d name=%s tap=%d\n", tap.get(), ifr.ifr_name,
                (ifr.ifr_flags & IFF_TAP) ? 1 : 0);
    std::fflush(stdout);
    // Keep the TAP alive until stdin closes, so the test can look at it from the namespace.
    char c;
    while (::read(STDIN_FILENO, &c, 1) > 0) {
    }
    return 0;
}

int idmap_self() {
    std::ifstream f("/proc/self/uid_map");
    std::stringstream ss;
    ss << f.rdbuf();
    std::fputs(common::ns::format_id_map(common::ns::parse_id_map(ss.str())).c_str(), stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv) try {
    common::log::set_prefix("nstool: ");
    if (argc < 2)
        throw common::UsageError("usage: nstool COMMAND ARGS...");
    std::string cmd = argv[1];
    if (cmd == "tap-from" && argc == 4)
        return tap_from(static_cast<pid_t>(std::stoi(argv[2])), argv[3]);
    if (cmd == "idmap-self")
        return idmap_self();
    if (argc < 3)
        throw common::UsageError("missing arguments");
    return netlink_cmd(cmd, argv + 2);
} catch (const std::exception& e) {
    common::log::error("%s", e.what());
    return 1;
}
