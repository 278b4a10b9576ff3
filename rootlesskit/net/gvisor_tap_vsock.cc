// SPDX-License-Identifier: Apache-2.0
// gvisor_tap_vsock.cc — --net=gvisor-tap-vsock through our slirpnet (docs/compat/rootlesskit.md
// §2.7)
//
// Upstream v3 runs gvisor-tap-vsock's userspace stack inside the rootlesskit process; we keep the
// stack in its own process and compose through an fd. The parent joins the child's user and
// network namespaces in a forked helper (common::ns::run_in_ns), creates the TAP there and gets
// its fd back over SCM_RIGHTS; slirpnet is then started with that fd as fd 4
// (`--netns-type=tapfd 4`), the ready pipe as fd 3 and its API socket in the state directory
// (the gvisor-tap-vsock port driver talks to it). The address plan is upstream's: the child is
// +100, the gateway and the DNS forwarder are both +1 (slirpnet's --gateway/--dns), MTU 65520 by
// default; the gateway's ports other than 53 reach the host's 127.0.0.1 unless
// --disable-host-loopback.

#include "rootlesskit/net/gvisor_tap_vsock.h"

#include "common/error.h"
#include "common/ns.h"
#include "common/tun.h"
#include "common/unique_fd.h"
#include "rootlesskit/paths.h"

#include <climits>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk::net {

std::vector<std::string> slirpnet_candidates() {
    std::vector<std::string> out;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        std::string dir(self, static_cast<size_t>(n));
        dir.resize(dir.rfind('/') + 1);
        out.push_back(dir + "slirpnet");
    }
    out.push_back(std::string(rlk_libexecdir) + "/rootless-tools/slirpnet");
    return out;
}

std::vector<std::string> gvisor_tap_vsock_argv(const NetPlan& plan, int ready_fd, int tap_fd) {
    std::string gw = cidr_host(plan.cidr, 1);
    std::vector<std::string> a = slirp_common_argv(plan, ready_fd);
    a.insert(a.end(), {"--gateway", gw, "--dns", gw});
    if (!plan.api_socket.empty()) {
        a.push_back("--api-socket");
        a.push_back(plan.api_socket);
    }
    a.push_back("--netns-type=tapfd");
    a.push_back(std::to_string(tap_fd));
    return a;
}

NetworkInfo GvisorTapVsockDriver::configure(pid_t pid, const std::string& detached_netns) {
    common::UniqueFd userns = common::ns::open_by_pid(pid, "user");
    common::UniqueFd netns = detached_netns.empty() ? common::ns::open_by_pid(pid, "net")
                                                    : common::ns::open_path(detached_netns);
    common::UniqueFd tap;
    try {
        tap = common::ns::run_in_ns({userns.get(), netns.get(), -1}, [this] {
            // slirpnet reads the flags back (TUNGETIFF) and uses the virtio header for offloads
            return common::open_tap(plan_.ifname, true);
        });
    } catch (const std::exception& e) {
        throw std::runtime_error("setting up tap " + plan_.ifname + ": " + e.what());
    }
    pid_ =
        start_ready_helper(plan_.binary, gvisor_tap_vsock_argv(plan_, 3, 4), tap.get(), "slirpnet");
    NetworkInfo ni;
    ni.dev = plan_.ifname;
    ni.ip = cidr_host(plan_.cidr, 100);
    ni.netmask = plan_.cidr.prefix;
    ni.gateway = cidr_host(plan_.cidr, 1);
    ni.dns = {ni.gateway};
    ni.mtu = plan_.mtu;
    info_ = ni;
    return ni;
}

nlohmann::ordered_json GvisorTapVsockDriver::info() const {
    nlohmann::ordered_json j;
    j["driver"] = "gvisor-tap-vsock";
    j["dns"] = info_.dns;
    j["childIP"] = info_.ip;
    return j;
}

void GvisorTapVsockDriver::cleanup() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        (void)waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

} // namespace rlk::net
