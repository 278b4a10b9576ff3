// SPDX-License-Identifier: Apache-2.0
// checks.cc — option validation with upstream's messages, in createParentOpt's order

#include "rootlesskit/checks.h"

#include "common/error.h"
#include "rootlesskit/cli.h"

#include <arpa/inet.h>
#include <stdexcept>

namespace rlk {
namespace {

[[noreturn]] void fail(const std::string& msg) {
    throw std::runtime_error(msg);
}

bool all_digits(const std::string& s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

void check_host_like(const Options& o, const std::optional<Cidr>& cidr,
                     std::vector<std::string>& warnings) {
    if (o.mtu != 0)
        warnings.push_back("unsupported mtu for --net=" + o.net + ": " + std::to_string(o.mtu));
    if (cidr)
        fail("custom cidr is not supported for --net=" + o.net);
    if (!o.ifname.empty())
        fail("ifname cannot be specified for --net=" + o.net);
}

void check_slirp4netns(const Options& o, const CheckEnv& env, NetPlan& plan) {
    plan.binary = env.look_path(o.slirp4netns_binary);
    plan.argv0 = o.slirp4netns_binary;
    Slirp4netnsFeatures f = env.slirp4netns_features(plan.binary);
    if (!f.netns_type)
        fail("slirp4netns seems older than v0.4.0");
    if (plan.disable_host_loopback && !f.disable_host_loopback)
        fail("unsupported slirp4netns version: lacks SupportsDisableHostLoopback");
    if (!plan.api_socket.empty() && !f.api_socket)
        fail("unsupported slirp4netns version: lacks SupportsAPISocket");
    const std::string& sb = o.slirp4netns_sandbox;
    if (sb == "auto") {
        // slirp4netns#317: the sandbox cannot follow a detached netns
        plan.sandbox = f.sandbox && !o.detach_netns;
    } else if (sb == "true") {
        plan.sandbox = true;
        if (!f.sandbox)
            fail("unsupported slirp4netns version: lacks SupportsEnableSandbox");
        if (o.detach_netns)
            fail("--slirp4netns-sandbox conflicts with --detach-netns "
                 "(https://github.com/rootless-containers/slirp4netns/issues/317)");
    } else if (sb != "false" && !sb.empty()) {
        fail("unsupported slirp4netns-sandbox mode: " + go_quote(sb));
    }
    const std::string& sc = o.slirp4netns_seccomp;
    if (sc == "auto") {
        plan.seccomp = f.seccomp && f.kernel_seccomp;
    } else if (sc == "true") {
        plan.seccomp = true;
        if (!f.seccomp)
            fail("unsupported slirp4netns version: lacks SupportsEnableSeccomp");
        if (!f.kernel_seccomp)
            fail("kernel doesn't support seccomp");
    } else if (sc != "false" && !sc.empty()) {
        fail("unsupported slirp4netns-seccomp mode: " + go_quote(sc));
    }
    if (plan.ipv6 && !f.ipv6)
        fail("unsupported slirp4netns version: lacks SupportsEnableIPv6");
}

// --slirp4netns-binary if given, else the first candidate that is an executable file.
void find_slirpnet(const Options& o, const CheckEnv& env, NetPlan& plan) {
    if (o.slirp4netns_binary_set) {
        plan.binary = env.look_path(o.slirp4netns_binary);
        plan.argv0 = o.slirp4netns_binary;
        return;
    }
    std::string tried;
    for (const std::string& c :
         env.slirpnet_candidates ? env.slirpnet_candidates() : std::vector<std::string>{}) {
        try {
            plan.binary = env.look_path(c);
            plan.argv0 = c;
            return;
        } catch (const std::exception&) {
            tried += (tried.empty() ? "" : ", ") + c;
        }
    }
    fail("--net=gvisor-tap-vsock needs slirpnet (rootless-tools), which is not installed: tried " +
         tried + "; --slirp4netns-binary names its path");
}

} // namespace

std::string unsupported(const std::string& flag_and_value) {
    return flag_and_value + " is not supported by this rootlesskit (rootless-tools)";
}

std::optional<Cidr> parse_cidr(const std::string& s) {
    if (s.empty())
        return std::nullopt;
    size_t slash = s.find('/');
    std::string ip = s.substr(0, slash);
    std::string bits = slash == std::string::npos ? "" : s.substr(slash + 1);
    Cidr c;
    in_addr a{};
    if (slash == std::string::npos || !all_digits(bits) || bits.size() > 2 ||
        inet_pton(AF_INET, ip.c_str(), &a) != 1 || std::stoul(bits) > 32)
        fail("invalid CIDR address: " + s);
    c.prefix = static_cast<unsigned>(std::stoul(bits));
    uint32_t host = ntohl(a.s_addr);
    uint32_t mask = c.prefix == 0 ? 0 : ~uint32_t{0} << (32 - c.prefix);
    if ((host & mask) != host)
        fail("cidr must be like 10.0.2.0/24, not like 10.0.2.100/24");
    c.addr = a;
    return c;
}

void check_evacuate(const Options& o) {
    if (o.evacuate_cgroup2.empty())
        return;
    if (!o.cgroupns)
        fail("evacuate-cgroup2 requires --cgroupns");
    if (!o.pidns)
        fail("evacuate-cgroup2 requires --pidns");
    if (o.evacuate_cgroup2.find('/') != std::string::npos)
        fail("unexpected evacuation group name " + go_quote(o.evacuate_cgroup2) +
             ": must not contain \"/\"");
}

NetPlan check_network(const Options& o, const CheckEnv& env, std::vector<std::string>& warnings) {
    NetPlan plan;
    plan.driver = o.net;
    if (o.mtu < 0 || o.mtu > 65521)
        fail("mtu must be <= 65521, got " + std::to_string(o.mtu));
    std::optional<Cidr> cidr = parse_cidr(o.cidr);
    if (o.ifname.find('/') != std::string::npos)
        fail("ifname must not contain \"/\"");
    if (o.ipv6) {
        warnings.push_back("ipv6 is experimental");
        if (o.net != "pasta" && o.net != "slirp4netns")
            warnings.push_back("--ipv6 is discarded for --net=" + o.net);
    }
    plan.disable_host_loopback = o.disable_host_loopback;
    if (!o.disable_host_loopback && o.net != "host" && o.net != "none")
        warnings.push_back("specifying --disable-host-loopback is highly recommended to prohibit "
                           "connecting to 127.0.0.1:* on the host namespace (requires pasta, "
                           "slirp4netns, or VPNKit)");
    plan.ipv6 = o.ipv6;
    plan.detach = o.detach_netns;
    plan.state_dir = o.state_dir;
    if (cidr)
        plan.cidr = *cidr;
    else
        inet_pton(AF_INET, "10.0.2.0", &plan.cidr.addr);
    if (o.port_driver == "slirp4netns")
        plan.api_socket = o.state_dir + "/.s4nn.sock"; // completed by the parent
    else if (o.port_driver == "gvisor-tap-vsock")
        plan.api_socket = o.state_dir + "/.slirpnet.sock";
    if (o.net == "host") {
        check_host_like(o, cidr, warnings);
    } else if (o.net == "none") {
        check_host_like(o, cidr, warnings);
        if (o.port_driver != "none" && o.port_driver != "builtin")
            fail("network \"none\" requires either port driver \"none\" or \"builtin\"");
    } else if (o.net == "pasta") {
        warnings.push_back("\"pasta\" network driver is experimental. Needs very recent version of "
                           "pasta (see docs/network.md).");
        plan.binary = env.look_path(o.pasta_binary);
        plan.argv0 = o.pasta_binary;
        if (o.port_driver == "pesto") {
            // v3.1's port driver for pasta drives pasta's forwarding table through passt's
            // `pesto` client; this build has no such driver, and says first what is missing.
            try {
                env.look_path("pesto");
            } catch (const std::exception& e) {
                fail("port driver \"pesto\" needs the pesto binary of passt, which is not "
                     "installed: " +
                     std::string(e.what()));
            }
            fail(unsupported("--port-driver=pesto"));
        }
        if (o.port_driver != "none" && o.port_driver != "implicit")
            fail("network \"pasta\" requires port driver \"none\" or \"implicit\"");
        plan.mtu = o.mtu == 0 ? 65520 : o.mtu;
        plan.ifname = o.ifname.empty() ? "tap0" : o.ifname;
        plan.implicit_ports = o.port_driver == "implicit";
    } else if (o.net == "slirp4netns") {
        plan.mtu = o.mtu == 0 ? 65520 : o.mtu;
        plan.ifname = o.ifname.empty() ? "tap0" : o.ifname;
        check_slirp4netns(o, env, plan);
    } else if (o.net == "gvisor-tap-vsock") {
        // upstream v3.0's plan (docs/compat/rootlesskit.md §2.7), served by our slirpnet
        plan.mtu = o.mtu == 0 ? 65520 : o.mtu;
        plan.ifname = o.ifname.empty() ? "tap0" : o.ifname;
        find_slirpnet(o, env, plan);
    } else if (o.net == "vpnkit") {
        if (cidr)
            fail("custom cidr is not supported for --net=vpnkit");
        plan.binary = env.look_path(o.vpnkit_binary);
        fail(unsupported("--net=vpnkit"));
    } else if (o.net == "lxc-user-nic") {
        warnings.push_back("\"lxc-user-nic\" network driver is experimental");
        if (cidr)
            fail("custom cidr is not supported for --net=lxc-user-nic");
        if (!o.disable_host_loopback)
            warnings.push_back("--disable-host-loopback is implicitly set for lxc-user-nic");
        // The default is the first of upstream's well-known paths that exists (run.cc); none
        // does when lxc is not installed, and Go would say `exec: "": …`: name the helper.
        if (o.lxc_user_nic_binary.empty())
            fail("--net=lxc-user-nic needs the lxc-user-nic helper (Debian package lxc), which "
                 "is not installed; --lxc-user-nic-binary names its path");
        plan.binary = env.look_path(o.lxc_user_nic_binary);
        fail(unsupported("--net=lxc-user-nic"));
    } else {
        fail("unknown network mode: " + o.net);
    }
    return plan;
}

std::vector<port::PortSpec> check_port(const Options& o, const NetPlan& net) {
    const std::string& d = o.port_driver;
    if (d == "none") {
        if (!o.publish.empty())
            fail("port driver \"none\" does not support publishing ports");
    } else if (d == "implicit") {
        if (o.net != "pasta")
            fail("port driver requires pasta network");
        if (!o.publish.empty()) // pasta mirrors listening ports by itself; there is no API
            fail("port driver \"implicit\" does not support publishing ports");
    } else if (d == "slirp4netns") {
        if (o.net != "slirp4netns")
            fail("port driver requires slirp4netns network");
    } else if (d == "gvisor-tap-vsock") {
        if (o.net != "gvisor-tap-vsock")
            fail("port driver requires gvisor-tap-vsock network");
    } else if (d == "builtin") {
        if (net.driver == "host")
            fail("port driver requires non-host network");
    } else if (d == "pesto") { // with --net=pasta, check_network has refused it already
        fail("port driver requires pasta network");
    } else {
        fail("unknown port driver: " + d);
    }
    std::vector<port::PortSpec> specs;
    for (const std::string& s : o.publish) {
        port::PortSpec spec = port::parse_port_spec(s);
        port::validate_port_spec(spec, {});
        specs.push_back(spec);
    }
    return specs;
}

ChildPlan check_child(const Options& o) {
    ChildPlan p;
    p.mount_procfs = o.pidns;
    // Upstream reaps only as PID 1 of --pidns ("reaper requires --pidns" for --reaper=true
    // without it). Ours also reaps without --pidns, as a child subreaper
    // (PR_SET_CHILD_SUBREAPER, rootlesskit#532): on for "auto" and "true", off for "false".
    if (o.reaper == "auto" || o.reaper == "true") {
        p.reaper = true;
    } else if (o.reaper != "false") {
        fail("unknown reaper mode: " + o.reaper);
    }
    if (o.net != "host" && o.net != "none" && o.net != "slirp4netns" && o.net != "pasta" &&
        o.net != "gvisor-tap-vsock")
        fail("unknown network mode: " + o.net);
    if (o.copy_up_mode != "tmpfs+symlink" && o.copy_up_mode != "overlayfs")
        fail("unknown copy-up mode: " + o.copy_up_mode);
    if (!o.copy_up.empty() && (o.propagation == "rshared" || o.propagation == "shared"))
        fail("propagation " + o.propagation + " does not support copy-up driver " + o.copy_up_mode);
    if (o.port_driver != "none" && o.port_driver != "implicit" && o.port_driver != "slirp4netns" &&
        o.port_driver != "builtin" && o.port_driver != "gvisor-tap-vsock")
        fail("unknown port driver: " + o.port_driver);
    return p;
}

} // namespace rlk
