// SPDX-License-Identifier: Apache-2.0
// checks.h — option validation in upstream's order (createParentOpt / createChildOpt)
#pragma once

#include "rootlesskit/options.h"
#include "rootlesskit/port/spec.h"

#include <functional>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <vector>

namespace rlk {

/// What `slirp4netns --help` advertises, plus whether the kernel has seccomp filters.
struct Slirp4netnsFeatures {
    bool netns_type = false;
    bool ipv6 = false;
    bool cidr = false;
    bool disable_host_loopback = false;
    bool api_socket = false;
    bool sandbox = false;
    bool seccomp = false;
    bool kernel_seccomp = false;
};

/// The I/O the network checks need, injected so that the checks stay pure and testable.
struct CheckEnv {
    /// exec.LookPath: the resolved path, or throws with Go's message.
    std::function<std::string(const std::string&)> look_path;
    /// Runs `<binary> --help` and reports its features; throws on failure.
    std::function<Slirp4netnsFeatures(const std::string&)> slirp4netns_features;
    /// Where slirpnet is looked for without --slirp4netns-binary (--net=gvisor-tap-vsock).
    std::function<std::vector<std::string>()> slirpnet_candidates;
};

struct Cidr {
    in_addr addr{}; ///< network address
    unsigned prefix = 24;
};

/// The validated network configuration the parent acts on.
struct NetPlan {
    std::string driver; ///< "host", "none", "slirp4netns", "pasta", "gvisor-tap-vsock"
    int mtu = 0;        ///< resolved (65520 / 1500), 0 for host and none
    Cidr cidr;          ///< 10.0.2.0/24 unless --cidr
    std::string ifname; ///< resolved ("tap0"), empty for host and none
    std::string binary; ///< resolved driver binary
    std::string argv0;  ///< the name as given: the helper's argv[0] (Go's exec.Command keeps it)
    bool disable_host_loopback = false;
    bool ipv6 = false;
    bool detach = false;
    bool sandbox = false;
    bool seccomp = false;
    std::string api_socket; ///< --api-socket (port driver slirp4netns or gvisor-tap-vsock only)
    bool implicit_ports = false; ///< pasta with --port-driver=implicit
    std::string state_dir;       ///< where drivers keep their files
};

/// "evacuate-cgroup2 requires --cgroupns" etc.; runs before the state directory exists.
void check_evacuate(const Options& o);

/// mtu, cidr, ifname, the --ipv6/--disable-host-loopback warnings and the per-driver checks;
/// warnings are appended in the order upstream logs them. Throws std::runtime_error.
NetPlan check_network(const Options& o, const CheckEnv& env, std::vector<std::string>& warnings);

/// --port-driver and --publish (parsed and validated); drivers this build lacks fail naming
/// the flag. Returns the specs to publish.
std::vector<port::PortSpec> check_port(const Options& o, const NetPlan& net);

/// What the child does, validated as createChildOpt does (after the namespaces exist).
struct ChildPlan {
    /// Reap every orphan: as PID 1 with --pidns, else as a child subreaper.
    bool reaper = false;
    bool mount_procfs = false;
};
ChildPlan check_child(const Options& o);

/// Go's net.ParseCIDR for IPv4 plus the host-bits check; nullopt for "". Throws on bad input.
std::optional<Cidr> parse_cidr(const std::string& s);

/// The message for a feature this implementation does not have.
std::string unsupported(const std::string& flag_and_value);

} // namespace rlk
