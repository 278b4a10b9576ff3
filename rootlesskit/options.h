// SPDX-License-Identifier: Apache-2.0
// options.h — the parsed rootlesskit command line (one field per v3.0 flag, upstream defaults)
#pragma once

#include <string>
#include <vector>

namespace rlk {

/// Version strings. The semver follows upstream's newest 3.0 patch, v3.0.1, whose parity issue 18
/// tracks (docs/compat/rootlesskit.md §1); scripts compare it with --print-semver. Ours is carried
/// as build metadata.
inline constexpr const char* version = "3.0.1+rootless-tools.0.1.0";
inline constexpr const char* api_version = "1.1.1";

struct Options {
    // Misc
    bool debug = false;
    bool help = false;
    bool version = false;
    std::string print_semver;
    // State
    std::string state_dir;
    // Network
    std::string net = "host";
    int mtu = 0;
    std::string cidr;
    std::string ifname;
    bool disable_host_loopback = false;
    bool ipv6 = false;
    bool detach_netns = false;
    std::string pasta_binary = "pasta";
    std::string slirp4netns_binary = "slirp4netns";
    bool slirp4netns_binary_set = false; ///< given: --net=gvisor-tap-vsock runs it as slirpnet
    std::string slirp4netns_sandbox = "false";
    std::string slirp4netns_seccomp = "false";
    std::string vpnkit_binary = "vpnkit";
    std::string lxc_user_nic_binary; ///< default chosen at parse time from well-known paths
    std::string lxc_user_nic_bridge = "lxcbr0";
    // Mount
    std::vector<std::string> copy_up;
    std::string copy_up_mode = "tmpfs+symlink";
    std::string propagation = "rprivate";
    // Port
    std::string port_driver = "none";
    std::vector<std::string> publish;
    bool source_ip_transparent = true; ///< v3: builtin driver keeps the client address
    // Process
    bool pidns = false;
    bool cgroupns = false;
    bool utsns = false;
    bool ipcns = false;
    std::string reaper = "auto";
    std::string evacuate_cgroup2;
    // SubID
    std::string subid_source = "auto";

    /// The command and its arguments (everything after the flags).
    std::vector<std::string> command;
    /// argv[1:] as given: the child is re-executed with exactly these (upstream: os.Args[1:]).
    std::vector<std::string> args;
};

} // namespace rlk
