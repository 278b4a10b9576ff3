// SPDX-License-Identifier: Apache-2.0
// run.cc — start-up: tap fd from the target namespace, banner, API socket, ready-fd, loop
//
// Order follows slirp4netns (docs/compat/slirp4netns.md §2): a forked child joins the user
// namespace (failure ignored) and the network namespace, opens or attaches the tap, configures it
// with -c, sends the fd back and exits; the parent stays in the host namespaces, so every socket it
// opens is a host socket. Then the banner, (with --enable-sandbox and euid != 0) joining the target
// user namespace, the API socket, the sandbox, seccomp, and only then "1" on the ready fd.

#include "slirpnet/run.h"

#include "common/error.h"
#include "common/log.h"
#include "common/ns.h"
#include "common/rlimit.h"
#include "slirpnet/api.h"
#include "slirpnet/loop.h"
#include "slirpnet/sandbox.h"
#include "slirpnet/seccomp_filter.h"
#include "slirpnet/tap.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <ifaddrs.h>
#include <memory>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

namespace slirp {

namespace {

constexpr unsigned mtu_min = 68; ///< libslirp's IF_MTU_MIN (and the kernel's IPv4 minimum)

std::string ip_str(uint32_t a) {
    in_addr x{htonl(a)};
    char b[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &x, b, sizeof(b));
    return b;
}

/// --outbound-addr: an IPv4 address, or the first IPv4 address of an interface.
uint32_t resolve_outbound(const std::string& s) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) == 1)
        return ntohl(a.s_addr);
    ifaddrs* ifs = nullptr;
    uint32_t found = 0;
    if (getifaddrs(&ifs) == 0) {
        for (ifaddrs* i = ifs; i != nullptr && found == 0; i = i->ifa_next)
            if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET && s == i->ifa_name) {
                sockaddr_in sin{};
                std::memcpy(&sin, i->ifa_addr, sizeof(sin));
                found = ntohl(sin.sin_addr.s_addr);
            }
        freeifaddrs(ifs);
    }
    if (found == 0)
        throw RawUsageError("outbound-addr has to be valid ipv4 address or interface name.");
    return found;
}

/// --outbound-addr6: an IPv6 address, or the first global IPv6 address of an interface. (The
/// original looks the interface up with the IPv4 option's string, a bug; we use our own.)
Addr resolve_outbound6(const std::string& s) {
    in6_addr a{};
    if (inet_pton(AF_INET6, s.c_str(), &a) == 1)
        return Addr::of6(a);
    ifaddrs* ifs = nullptr;
    Addr found;
    if (getifaddrs(&ifs) == 0) {
        for (ifaddrs* i = ifs; i != nullptr && found.is_unspecified6(); i = i->ifa_next)
            if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET6 && s == i->ifa_name) {
                sockaddr_in6 sin{};
                std::memcpy(&sin, i->ifa_addr, sizeof(sin));
                if (!Addr::of6(sin.sin6_addr).is_link_local6())
                    found = Addr::of6(sin.sin6_addr);
            }
        freeifaddrs(ifs);
    }
    if (found.is_unspecified6())
        throw RawUsageError("outbound-addr has to be valid ipv4 address or iterface name.");
    return found;
}

std::string ip6_str(const Addr& a) {
    in6_addr x = a.in6();
    char b[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &x, b, sizeof(b));
    return b;
}

/// tap::configure with slirp4netns' perror() wording for the step that failed ("cannot set MTU:
/// Invalid argument" for an MTU below the kernel's 68, …).
void configure_as_upstream(const std::string& name, const Options& o, const Config& cfg) {
    try {
        tap::configure(name, o, cfg);
    } catch (const common::SysError& e) {
        static constexpr std::pair<const char*, const char*> wording[] = {
            {"netlink: set MTU", "cannot set MTU"},
            {"netlink: set MAC address", "cannot set MAC address"},
            {"netlink: add IPv4 address", "cannot set device address"},
            {"netlink: add default route", "set route"},
        };
        for (const auto& [ours, theirs] : wording)
            if (e.message() == ours)
                throw common::SysError(e.err(), theirs);
        throw;
    }
}

/// Forks the child that opens the tap inside the target namespaces (slirp4netns' child()).
common::UniqueFd tap_from_child(const Options& o, const Config& cfg) {
    std::string netns = o.netns_type == NetnsType::pid
                            ? common::strprintf("/proc/%d/ns/net", o.target_pid)
                            : o.netns_path;
    std::string userns = !o.userns_path.empty() ? o.userns_path
                         : o.netns_type == NetnsType::pid
                             ? common::strprintf("/proc/%d/ns/user", o.target_pid)
                             : std::string();
    common::UniqueFd net_fd =
        common::ns::open_path(netns); // net first: its error is the one upstream shows
    common::UniqueFd user_fd;
    if (!userns.empty())
        user_fd = common::ns::open_path(userns);
    common::ns::Target t;
    t.userns = user_fd.get();
    t.netns = net_fd.get();
    std::string name = o.tapname;
    return common::ns::run_in_ns(t, [&]() {
        common::UniqueFd fd = tap::open(name);
        if (o.configure)
            configure_as_upstream(name, o, cfg);
        common::log::info("sent tapfd=%d for %s", fd.get(), name.c_str());
        return fd;
    });
}

void print_banner(const Options& o, const Config& c) {
    std::printf("Starting slirp\n");
    std::printf("* MTU:             %u\n", c.mtu);
    std::printf("* Network:         %s\n", ip_str(c.net).c_str());
    std::printf("* Netmask:         %s\n", ip_str(c.mask()).c_str());
    std::printf("* Gateway:         %s\n", ip_str(c.gw).c_str());
    std::printf("* DNS:             %s\n", ip_str(c.dns).c_str());
    std::printf("* DHCP begin:      %s\n", ip_str(c.dhcp_start).c_str());
    std::printf("* DHCP end:        %s\n", ip_str(c.dhcp_start + 15).c_str());
    std::printf("* Recommended IP:  %s\n", ip_str(c.guest).c_str());
    if (!o.api_socket.empty())
        std::printf("* API Socket:      %s\n", o.api_socket.c_str());
    if (c.outbound_addr != 0) // slirp4netns prints four spaces here
        std::printf("* Outbound IPv4:    %s\n", ip_str(c.outbound_addr).c_str());
    if (!c.outbound_addr6.is_unspecified6())
        std::printf("* Outbound IPv6:    %s\n", ip6_str(c.outbound_addr6).c_str());
    if (o.macaddress) {
        const auto& m = *o.macaddress;
        std::printf("* MAC address:     %02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3],
                    m[4], m[5]);
    }
    if (!c.disable_host_loopback)
        std::printf("WARNING: 127.0.0.1:* on the host is accessible as %s (set "
                    "--disable-host-loopback to prohibit connecting to 127.0.0.1:*)\n",
                    ip_str(c.gw).c_str());
}

void write_ready(int fd) {
    ssize_t rc;
    do
        rc = write(fd, "1", 1);
    while (rc < 0 && errno == EINTR);
    close(fd); // the ready fd is inherited and ours to close, as slirp4netns does
}

} // namespace

int run(const Options& o, const char* argv0) {
    // Line-buffered: slirp4netns' fully buffered stdout loses or duplicates lines
    // (docs/compat/slirp4netns.md §1.5).
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    for (const std::string& w : o.warnings)
        std::printf("%s\n", w.c_str());
    if (o.action == Action::help) {
        std::fputs(usage_text(argv0).c_str(), stdout);
        return 0;
    }
    if (o.action == Action::version) {
        const scmp_version* v = seccomp_version();
        std::fputs(
            version_text(common::strprintf("%u.%u.%u", v->major, v->minor, v->micro)).c_str(),
            stdout);
        return 0;
    }
    // every table stays below the fd limit, raised to the hard one first (Limits, stack.h)
    Limits lim = Limits::for_nofile(common::raise_nofile(size_t{1} << 20));
    Config cfg = Config::from_cidr(o.cidr_net, o.cidr_prefix, o.gateway_host, o.dns_host);
    cfg.mtu = o.mtu;
    cfg.disable_host_loopback = o.disable_host_loopback;
    cfg.disable_dns = o.disable_dns;
    if (!o.outbound_addr.empty())
        cfg.outbound_addr = resolve_outbound(o.outbound_addr);
    if (!o.outbound_addr6.empty())
        cfg.outbound_addr6 = resolve_outbound6(o.outbound_addr6);
    cfg.ipv6 = o.enable_ipv6;

    common::UniqueFd tapfd;
    if (o.netns_type == NetnsType::tapfd) {
        tapfd.reset(o.tapfd);
    } else {
        try {
            tapfd = tap_from_child(o, cfg);
        } catch (const std::exception& e) {
            common::log::error("%s\nchild failed(1)", e.what());
            return 1;
        }
        common::log::info("received tapfd=%d", tapfd.get());
    }
    std::signal(SIGPIPE, SIG_IGN);
    tap::TapSink sink(tapfd.get());
    auto st = std::make_unique<Stack>(cfg, sink);
    st->lim = lim;
    sink.dropped = &st->cnt.tap_write_drops;
    st->now_ms = monotonic_ms();
    dns::refresh(*st);
    print_banner(o, cfg);
    if (o.mtu < mtu_min) {
        // slirp4netns passes the MTU to slirp_new(), whose g_return_val_if_fail() prints a
        // GLib critical and fails; with -c the kernel already refused it in the child above.
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        tm t{};
        localtime_r(&ts.tv_sec, &t);
        common::log::error("\n(process:%d): Slirp-CRITICAL **: %02d:%02d:%02d.%03ld: slirp_new: "
                           "assertion 'cfg->if_mtu >= IF_MTU_MIN || cfg->if_mtu == 0' failed\n"
                           "slirp_new failed\ncreate_slirp failed\ndo_slirp is exiting\n"
                           "do_slirp failed\nparent failed",
                           static_cast<int>(getpid()), t.tm_hour, t.tm_min, t.tm_sec,
                           ts.tv_nsec / 1'000'000);
        return 1;
    }
    if (o.enable_sandbox) {
        try {
            sandbox::join_target_userns(o);
        } catch (const std::exception& e) {
            common::log::error("%s\nparent failed", e.what());
            return 1;
        }
    }
    std::unique_ptr<Api> api;
    if (!o.api_socket.empty()) {
        try {
            api = std::make_unique<Api>(*st, o.api_socket);
        } catch (const std::exception& e) {
            common::log::error("%s\ndo_slirp is exiting\ndo_slirp failed\nparent failed", e.what());
            return 1;
        }
    }
    // The loop's pidfd on the target is opened now: seccomp denies pidfd_open.
    pid_t target = o.netns_type == NetnsType::pid ? o.target_pid : 0;
    int target_pidfd = target > 0 ? static_cast<int>(syscall(SYS_pidfd_open, target, 0)) : -1;
    try {
        if (o.enable_sandbox)
            sandbox::create();
        if (o.enable_seccomp)
            (void)seccomp::install();
    } catch (const std::exception& e) {
        if (target_pidfd >= 0)
            close(target_pidfd);
        common::log::error("%s\ndo_slirp is exiting\ndo_slirp failed\nparent failed", e.what());
        return 1;
    }
    if (o.ready_fd >= 0)
        write_ready(o.ready_fd);
    return run_loop(*st, tapfd.get(), o.exit_fd, api.get(), target, target_pidfd);
}

} // namespace slirp
