// SPDX-License-Identifier: Apache-2.0
// cli.cc — slirp4netns 1.3 command line parsed into Options, with upstream's exact wording
//
// Parsing is pure apart from the two checks slirp4netns itself makes while parsing (does the
// userns/netns path exist, is the tap fd open), which go through CliEnv so tests can fake them.
// Order of checks follows slirp4netns 1.2/1.3 as observed: the getopt loop (per-option errors,
// usage printed), then --macaddress needs -c, positional count, PID/path/fd, then the CIDR and
// the MAC (no usage printed for those two).

#include "slirpnet/cli.h"

#include "common/error.h"
#include "slirpnet/version.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

namespace slirp {
namespace {

using common::UsageError;

enum LongOnly : int {
    opt_cidr = 0x100,
    opt_disable_host_loopback,
    opt_no_host_loopback,
    opt_netns_type,
    opt_userns_path,
    opt_enable_sandbox,
    opt_create_sandbox,
    opt_enable_seccomp,
    opt_outbound_addr,
    opt_outbound_addr6,
    opt_disable_dns,
    opt_macaddress,
    opt_target_type,
    opt_gateway,
    opt_dns,
};

// clang-format off
const option long_options[] = {
    {"configure",             no_argument,       nullptr, 'c'},
    {"exit-fd",               required_argument, nullptr, 'e'},
    {"ready-fd",              required_argument, nullptr, 'r'},
    {"mtu",                   required_argument, nullptr, 'm'},
    {"cidr",                  required_argument, nullptr, opt_cidr},
    {"disable-host-loopback", no_argument,       nullptr, opt_disable_host_loopback},
    {"no-host-loopback",      no_argument,       nullptr, opt_no_host_loopback},
    {"netns-type",            required_argument, nullptr, opt_netns_type},
    {"userns-path",           required_argument, nullptr, opt_userns_path},
    {"api-socket",            required_argument, nullptr, 'a'},
    {"enable-ipv6",           no_argument,       nullptr, '6'},
    {"enable-sandbox",        no_argument,       nullptr, opt_enable_sandbox},
    {"create-sandbox",        no_argument,       nullptr, opt_create_sandbox},
    {"enable-seccomp",        no_argument,       nullptr, opt_enable_seccomp},
    {"outbound-addr",         required_argument, nullptr, opt_outbound_addr},
    {"outbound-addr6",        required_argument, nullptr, opt_outbound_addr6},
    {"disable-dns",           no_argument,       nullptr, opt_disable_dns},
    {"macaddress",            required_argument, nullptr, opt_macaddress},
    {"target-type",           required_argument, nullptr, opt_target_type},
    {"gateway",               required_argument, nullptr, opt_gateway},
    {"dns",                   required_argument, nullptr, opt_dns},
    {"help",                  no_argument,       nullptr, 'h'},
    {"version",               no_argument,       nullptr, 'v'},
    {nullptr, 0, nullptr, 0},
};
// clang-format on

/// strtol over the whole string into [min, max]; slirp4netns rejects trailing garbage.
std::optional<long> whole_long(const char* s, long min, long max) {
    if (s == nullptr || *s == '\0')
        return std::nullopt;
    errno = 0;
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return std::nullopt;
    return v;
}

/// Not implemented yet: refuse loudly rather than accept and ignore (issue 4).
[[noreturn]] void unsupported(const char* what) {
    throw UsageError(common::strprintf("%s is not supported by slirpnet yet", what));
}

/// getopt's own diagnostics, which slirp4netns lets getopt print (opterr is off here: we are pure).
[[noreturn]] void getopt_error(int c, const char* argv0, const char* arg) {
    if (c == ':') {
        if (arg != nullptr && arg[0] == '-' && arg[1] == '-')
            throw UsageError(common::strprintf("%s: option '%s' requires an argument", argv0, arg),
                             true);
        throw UsageError(
            common::strprintf("%s: option requires an argument -- '%c'", argv0, optopt), true);
    }
    if (optopt != 0) {
        if (arg != nullptr && arg[0] == '-' && arg[1] == '-') {
            // A long option that takes no argument but got one ("--configure=x").
            std::string name(arg);
            name = name.substr(0, name.find('='));
            throw UsageError(
                common::strprintf("%s: option '%s' doesn't allow an argument", argv0, name.c_str()),
                true);
        }
        throw UsageError(common::strprintf("%s: invalid option -- '%c'", argv0, optopt), true);
    }
    if (arg != nullptr && arg[0] == '-' && arg[1] == '-') {
        std::string s(arg);
        std::string name = s.substr(0, s.find('='));
        // Ambiguous abbreviations: getopt_long says so and lists the candidates.
        std::string cands;
        int n = 0;
        for (const option* o = long_options; o->name != nullptr; ++o) {
            if (std::strncmp(o->name, name.c_str() + 2, name.size() - 2) == 0) {
                cands += common::strprintf(" '--%s'", o->name);
                ++n;
            }
        }
        if (n > 1)
            throw UsageError(common::strprintf("%s: option '%s' is ambiguous; possibilities:%s",
                                               argv0, name.c_str(), cands.c_str()),
                             true);
        throw UsageError(common::strprintf("%s: unrecognized option '%s'", argv0, name.c_str()),
                         true);
    }
    throw UsageError(common::strprintf("%s: invalid option -- '%c'", argv0, optopt), true);
}

void positionals(Options& o, int argc, char** argv, int first, const CliEnv& env) {
    int want = o.netns_type == NetnsType::tapfd ? 1 : 2;
    int have = argc - first;
    if (have < want)
        throw UsageError("", true); // slirp4netns prints just the usage
    if (have > want)
        o.warnings.emplace_back("WARNING: too many arguments");
    const char* target = argv[first];
    switch (o.netns_type) {
    case NetnsType::pid: {
        auto pid = whole_long(target, 1, INT32_MAX);
        if (!pid)
            throw UsageError("PID must be a positive integer", true);
        o.target_pid = static_cast<pid_t>(*pid);
        break;
    }
    case NetnsType::path: {
        int err = env.path_errno(target);
        if (err != 0)
            throw UsageError(common::strprintf("existing path expected when --netns-type=path: %s",
                                               std::strerror(err)),
                             true);
        o.netns_path = target;
        break;
    }
    case NetnsType::tapfd: {
        auto fd = whole_long(target, 0, INT32_MAX);
        if (!fd || !env.fd_is_open(static_cast<int>(*fd)))
            throw UsageError("TAPFD must a file descriptor", true); // sic, upstream wording
        o.tapfd = static_cast<int>(*fd);
        return; // no TAPNAME in tapfd mode
    }
    }
    o.tapname = argv[first + 1];
}

} // namespace

CliEnv default_cli_env() {
    CliEnv env;
    env.path_errno = [](const std::string& p) { return access(p.c_str(), F_OK) == 0 ? 0 : errno; };
    env.fd_is_open = [](int fd) { return fcntl(fd, F_GETFD) >= 0; };
    return env;
}

uint32_t host_in_cidr(const char* flag, const std::string& ip, uint32_t net, unsigned prefix) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
        throw UsageError(std::string(flag) + " needs an IPv4 address, not " + ip);
    uint32_t mask = ~uint32_t{0} << (32 - prefix);
    uint32_t addr = ntohl(a.s_addr);
    uint32_t host = addr & ~mask;
    if ((addr & mask) != net || host == 0 || host == ~mask)
        throw UsageError(std::string(flag) + " " + ip + " is not a host address of the network " +
                         common::strprintf("%u.%u.%u.%u/%u", net >> 24, (net >> 16) & 0xff,
                                           (net >> 8) & 0xff, net & 0xff, prefix));
    return host;
}

void parse_cidr(const std::string& s, uint32_t& net, unsigned& prefix) {
    // slirp4netns: ^(([0-9]{1,3}\.){3}[0-9]{1,3})/([0-9]{1,2})$
    auto bad = [&] { return UsageError("invalid CIDR: " + s); };
    size_t slash = s.find('/');
    if (slash == std::string::npos)
        throw bad();
    std::string addr = s.substr(0, slash), len = s.substr(slash + 1);
    int dots = 0;
    size_t digits = 0;
    for (char ch : addr) {
        if (ch == '.') {
            if (digits == 0)
                throw bad();
            ++dots;
            digits = 0;
        } else if (ch >= '0' && ch <= '9') {
            if (++digits > 3)
                throw bad();
        } else {
            throw bad();
        }
    }
    if (dots != 3 || digits == 0 || len.empty() || len.size() > 2 ||
        len.find_first_not_of("0123456789") != std::string::npos)
        throw bad();
    in_addr a{};
    if (inet_pton(AF_INET, addr.c_str(), &a) != 1)
        throw UsageError("invalid network address: " + addr);
    unsigned p = static_cast<unsigned>(std::atoi(len.c_str()));
    if (p < 1 || p > 25) // +100 must fit in the host part
        throw UsageError("prefix length needs to be 1-25");
    uint32_t host = ntohl(a.s_addr);
    uint32_t mask = ~uint32_t{0} << (32 - p);
    if ((host & ~mask) != 0)
        throw UsageError("CIDR needs to be a network address like 10.0.2.0/24, not like " + s);
    net = host;
    prefix = p;
}

common::Mac parse_macaddress(const std::string& s) {
    // slirp4netns_macaddr_hexstring_to_data(): each ':'-separated field goes through
    // sscanf("%x") (so " 1", "+1", "0x1", "0g" and "1x" all read as hex numbers), must be
    // 0..255, at most 6 fields (fewer leave the rest zero), and a ':' after the sixth field
    // means "too long". Both messages end without a newline, as upstream's fprintf.
    static constexpr const char* tail = "macaddress has to be a valid MAC address (hex string, 6 "
                                        "bytes, each byte separated by a ':').";
    common::Mac mac{};
    const char* const start = s.c_str();
    const char* p = start;
    size_t i = 0;
    for (; p != nullptr && i < mac.size(); p = std::strchr(p, ':'), ++i) {
        if (p != start)
            ++p; // over the ':'
        unsigned int v = 0;
        if (std::sscanf(p, "%x", &v) != 1 || v > 255)
            throw RawUsageError(
                common::strprintf("\"%s\" is an invalid MAC address.\n%s", start, tail));
        mac[i] = static_cast<uint8_t>(v);
    }
    if (p != nullptr)
        throw RawUsageError(common::strprintf(
            "\"%s\" is an invalid MAC address.  Is it too long?\n%s", start, tail));
    return mac;
}

std::vector<std::string> long_option_names() {
    std::vector<std::string> v;
    for (const option* o = long_options; o->name != nullptr; ++o)
        v.emplace_back(o->name);
    return v;
}

Options parse_cli(int argc, char** argv) {
    Options o;
    try {
        parse_into(o, argc, argv, default_cli_env());
    } catch (const UsageError&) {
        // slirp4netns prints its WARNING lines while parsing, so they precede a later error.
        for (const std::string& w : o.warnings)
            std::printf("%s\n", w.c_str());
        std::fflush(stdout);
        throw;
    }
    return o;
}

Options parse_cli(int argc, char** argv, const CliEnv& env) {
    Options o;
    parse_into(o, argc, argv, env);
    return o;
}

void parse_into(Options& o, int argc, char** argv, const CliEnv& env) {
    std::string cidr, macaddress, target_type = "netns";
    bool cidr_set = false, mac_set = false;
    std::optional<std::string> gateway, dns;
    const char* argv0 = argc > 0 ? argv[0] : "slirp4netns";
    optind = 0; // full getopt re-initialisation (glibc), so parse_cli may run more than once
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ce:r:m:a:6hv", long_options, nullptr)) != -1) {
        switch (c) {
        case 'c':
            o.configure = true;
            break;
        case 'e': {
            auto v = whole_long(optarg, 0, INT32_MAX);
            if (!v)
                throw UsageError("exit-fd must be a non-negative integer", true);
            o.exit_fd = static_cast<int>(*v);
            break;
        }
        case 'r': {
            auto v = whole_long(optarg, 0, INT32_MAX);
            if (!v)
                throw UsageError("ready-fd must be a non-negative integer", true);
            o.ready_fd = static_cast<int>(*v);
            break;
        }
        case 'm': {
            auto v = whole_long(optarg, 1, 65521);
            if (!v)
                throw UsageError("MTU must be a positive integer (< 65522)", true);
            o.mtu = static_cast<unsigned>(*v);
            break;
        }
        case '6':
            o.warnings.emplace_back("WARNING: Support for IPv6 is experimental");
            o.enable_ipv6 = true;
            break;
        case 'a':
            o.api_socket = optarg;
            break;
        case 'h':
            o.action = Action::help;
            return;
        case 'v':
            o.action = Action::version;
            return;
        case opt_cidr:
            cidr = optarg;
            cidr_set = true;
            break;
        case opt_no_host_loopback:
            o.warnings.emplace_back("WARNING: --no-host-loopback is deprecated and will be removed "
                                    "in future releases, please use --disable-host-loopback "
                                    "instead.");
            o.disable_host_loopback = true;
            break;
        case opt_disable_host_loopback:
            o.disable_host_loopback = true;
            break;
        case opt_netns_type:
            if (std::strcmp(optarg, "pid") == 0)
                o.netns_type = NetnsType::pid;
            else if (std::strcmp(optarg, "tapfd") == 0)
                o.netns_type = NetnsType::tapfd;
            else // slirp4netns treats any other value (even a typo) as "path"
                o.netns_type = NetnsType::path;
            break;
        case opt_userns_path: {
            o.userns_path = optarg;
            if (env.path_errno(o.userns_path) != 0)
                throw UsageError("userns path doesn't exist: " + o.userns_path, true);
            break;
        }
        case opt_create_sandbox:
            o.warnings.emplace_back("WARNING: --create-sandbox is deprecated and will be removed "
                                    "in future releases, please use --enable-sandbox instead.");
            o.enable_sandbox = true;
            break;
        case opt_enable_sandbox:
            o.enable_sandbox = true;
            break;
        case opt_enable_seccomp:
            o.warnings.emplace_back("WARNING: Support for seccomp is experimental");
            o.enable_seccomp = true;
            break;
        case opt_outbound_addr:
            o.warnings.emplace_back("WARNING: Support for --outbound-addr is experimental");
            o.outbound_addr = optarg;
            break;
        case opt_outbound_addr6:
            o.warnings.emplace_back("WARNING: Support for --outbound-addr6 is experimental");
            o.outbound_addr6 = optarg;
            break;
        case opt_disable_dns:
            o.disable_dns = true;
            break;
        case opt_macaddress:
            macaddress = optarg;
            mac_set = true;
            break;
        case opt_target_type:
            target_type = optarg;
            if (target_type != "netns" && target_type != "bess")
                throw UsageError("--target-type must be either \"netns\" or \"bess\"", true);
            if (target_type == "bess")
                unsupported("--target-type=bess");
            break;
        case opt_gateway:
            gateway = optarg;
            break;
        case opt_dns:
            dns = optarg;
            break;
        default:
            getopt_error(c, argv0, argv[optind - 1]);
        }
    }
    if (mac_set && !o.configure)
        throw UsageError("--macaddr cannot be specified when --configure or -c is not specified",
                         true);
    positionals(o, argc, argv, optind, env);
    if (cidr_set)
        parse_cidr(cidr, o.cidr_net, o.cidr_prefix);
    if (gateway)
        o.gateway_host = host_in_cidr("--gateway", *gateway, o.cidr_net, o.cidr_prefix);
    if (dns)
        o.dns_host = host_in_cidr("--dns", *dns, o.cidr_net, o.cidr_prefix);
    if (mac_set)
        o.macaddress = parse_macaddress(macaddress);
}

std::string usage_text(const std::string& argv0) {
    std::string s = "Usage: " + argv0 + " [OPTION]... PID|PATH|FD [TAPNAME]\n";
    s += "User-mode networking for unprivileged network namespaces.\n"
         "\n"
         "-c, --configure          bring up the interface\n"
         "-e, --exit-fd=FD         specify the FD for terminating slirp4netns\n"
         "-r, --ready-fd=FD        specify the FD to write to when the network is configured\n"
         "-m, --mtu=MTU            specify MTU (default=1500, max=65521)\n"
         "-6, --enable-ipv6        enable IPv6 (experimental)\n"
         "-a, --api-socket=PATH    specify API socket path\n"
         "--cidr=CIDR              specify network address CIDR (default=10.0.2.0/24)\n"
         "--disable-host-loopback  prohibit connecting to 127.0.0.1:* on the host namespace\n"
         "--netns-type=TYPE \t specify network namespace type ([path|pid|tapfd], default=pid)\n"
         "--userns-path=PATH\t specify user namespace path\n"
         "--enable-sandbox         create a new mount namespace (and drop all caps except "
         "CAP_NET_BIND_SERVICE if running as the root)\n"
         "--enable-seccomp         enable seccomp to limit syscalls (experimental)\n"
         "--outbound-addr=IPv4     sets outbound ipv4 address to bound to (experimental)\n"
         "--outbound-addr6=IPv6    sets outbound ipv6 address to bound to (experimental)\n"
         "--disable-dns            disables 10.0.2.3 (or configured internal ip) to host dns "
         "redirect (experimental)\n"
         "--macaddress=MAC         specify the MAC address of the TAP (only valid with -c)\n"
         "--target-type=TYPE       specify the target type ([netns|bess], default=netns)\n"
         "-h, --help               show this help and exit\n"
         "-v, --version            show version and exit\n";
    return s;
}

std::string version_text(const std::string& libseccomp_version) {
    // slirp4netns calls this format "runc-compatible and machine-parsable"; upstream tests parse
    // SLIRP_CONFIG_VERSION_MAX to decide which features to test.
    return common::strprintf("slirp4netns version %s+slirpnet-%s\n"
                             "commit: %s\n"
                             "libslirp: none (slirpnet %s has its own stack)\n"
                             "SLIRP_CONFIG_VERSION_MAX: 4\n"
                             "libseccomp: %s\n",
                             slirpnet_compat_version, slirpnet_version, slirpnet_commit,
                             slirpnet_version, libseccomp_version.c_str());
}

} // namespace slirp
