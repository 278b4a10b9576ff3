// SPDX-License-Identifier: Apache-2.0
// cli.h — slirp4netns-compatible command line: argv to Options, help and version texts
#pragma once

#include "common/error.h"
#include "common/netlink.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace slirp {

/// A UsageError that slirp4netns prints without a trailing newline (its fprintf has none).
class RawUsageError : public common::UsageError {
public:
    using common::UsageError::UsageError;
};

enum class Action { run, help, version };
enum class NetnsType { pid, path, tapfd };

struct Options {
    Action action = Action::run;
    bool configure = false;         // -c
    int exit_fd = -1;               // -e
    int ready_fd = -1;              // -r
    unsigned mtu = 1500;            // -m
    std::string api_socket;         // -a
    uint32_t cidr_net = 0x0a000200; // --cidr network, host order
    unsigned cidr_prefix = 24;
    bool disable_host_loopback = false;
    NetnsType netns_type = NetnsType::pid;
    std::string userns_path;
    std::string outbound_addr;  // as given; resolved (address or interface) at start-up
    std::string outbound_addr6; // same, IPv6
    bool enable_ipv6 = false;
    bool disable_dns = false;
    bool enable_sandbox = false; // --enable-sandbox (--create-sandbox)
    bool enable_seccomp = false; // --enable-seccomp
    std::optional<common::Mac> macaddress;
    pid_t target_pid = 0;   // NetnsType::pid
    std::string netns_path; // NetnsType::path
    int tapfd = -1;         // NetnsType::tapfd
    std::string tapname;
    /// slirpnet's own --gateway and --dns (rootlesskit's gvisor-tap-vsock plan): host numbers
    /// in the CIDR, libslirp's +2 and +3 by default.
    uint32_t gateway_host = 2;
    uint32_t dns_host = 3;
    /// Lines slirp4netns prints on stdout while parsing (WARNING: …), in order.
    std::vector<std::string> warnings;
};

/// The few facts about the outside world parsing needs (slirp4netns checks paths while parsing).
/// Tests replace these; the defaults call access(2) and fcntl(2).
struct CliEnv {
    std::function<int(const std::string&)> path_errno; ///< 0 if the path exists, else errno
    std::function<bool(int)> fd_is_open;
};
CliEnv default_cli_env();

/// Parses argv with getopt_long ("ce:r:m:a:6hv", GNU permutation) into Options.
/// Throws common::UsageError with slirp4netns' wording; show_usage() says whether upstream
/// prints the usage text after it. Options slirpnet does not implement throw a UsageError naming
/// them.
Options parse_cli(int argc, char** argv, const CliEnv& env);
/// The same with the real environment, for main(): on an error it first prints the WARNING lines
/// gathered so far on stdout, as slirp4netns has by then.
Options parse_cli(int argc, char** argv);
/// parse_cli into `o`, which keeps what was parsed before an error.
void parse_into(Options& o, int argc, char** argv, const CliEnv& env);

/// Every long option name getopt accepts (for the man-page test).
std::vector<std::string> long_option_names();

/// The --help text (1.3 wording), with argv[0] as invoked.
std::string usage_text(const std::string& argv0);
/// The 5-line --version text.
std::string version_text(const std::string& libseccomp_version);

/// Parses a CIDR as slirp4netns does; throws UsageError("invalid CIDR: …", …) without usage.
void parse_cidr(const std::string& s, uint32_t& net, unsigned& prefix);
/// The host number of `ip` in the network net/prefix (host order) for `flag`; throws UsageError
/// (without usage) for a bad address or one outside the network or its network/broadcast address.
uint32_t host_in_cidr(const char* flag, const std::string& ip, uint32_t net, unsigned prefix);
/// Parses a MAC as slirp4netns does; throws UsageError with both upstream lines.
common::Mac parse_macaddress(const std::string& s);

} // namespace slirp
