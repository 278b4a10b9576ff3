// SPDX-License-Identifier: Apache-2.0
// driver.h — the parent side of a network driver (upstream pkg/network.ParentDriver)
#pragma once

#include "rootlesskit/checks.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rlk::net {

/// What the child configures on its interface (upstream messages.ParentInitNetworkDriverCompleted).
struct NetworkInfo {
    std::string dev;      ///< "tap0"; empty when the driver configures nothing in the child
    std::string ip;       ///< "10.0.2.100"
    unsigned netmask = 0; ///< prefix length
    std::string gateway;  ///< "10.0.2.2"
    std::vector<std::string> dns;
    int mtu = 0;
};

class NetworkDriver {
public:
    virtual ~NetworkDriver() = default;
    /// Starts the driver for the child `pid`; `detached_netns` is the path of the detached netns
    /// as seen from the parent, or empty. Throws on failure.
    virtual NetworkInfo configure(pid_t pid, const std::string& detached_netns) = 0;
    /// The `networkDriver` object of GET /v1/info.
    virtual nlohmann::ordered_json info() const = 0;
    /// Stops helper processes (called once, on exit).
    virtual void cleanup() = 0;
};

/// nullptr for --net=host. Throws for drivers this build lacks.
std::unique_ptr<NetworkDriver> make_driver(const NetPlan& plan);

/// Runs `<binary> --help` and reads its feature flags (upstream slirp4netns.DetectFeatures).
Slirp4netnsFeatures detect_slirp4netns_features(const std::string& binary);
/// What every slirp we start is given: argv[0], --mtu, -r READY_FD, --disable-host-loopback and
/// --cidr when they differ from slirp4netns' defaults.
std::vector<std::string> slirp_common_argv(const NetPlan& plan, int ready_fd);
/// The slirp4netns argv for a plan (exposed for tests).
std::vector<std::string> slirp4netns_argv(const NetPlan& plan, pid_t pid,
                                          const std::string& detached_netns, int ready_fd);
/// Starts `binary` with `argv` (argv[0] as given), its ready pipe as fd 3 and `pass_fd` (if >= 0)
/// as fd 4, output to the debug log, and waits for the ready byte while watching for an early
/// exit; `name` names it in errors ("setting up network: NAME failed"). Returns its pid.
pid_t start_ready_helper(const std::string& binary, std::vector<std::string> argv, int pass_fd,
                         const std::string& name);
/// "10.0.2.0" + n, dotted.
std::string cidr_host(const Cidr& c, uint32_t n);

} // namespace rlk::net
