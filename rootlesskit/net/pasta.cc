// SPDX-License-Identifier: Apache-2.0
// pasta.cc — --net=pasta: pasta (from passt) configures the namespace's interface itself (§2.5)
//
// pasta is run to completion: it daemonizes once the tap is up and configured. Older pastas
// (Debian 12's) do not leave when a PID-targeted namespace disappears, so we have pasta write
// its PID (--pid) and end it on exit. With --port-driver=implicit it mirrors the namespace's
// listening ports on the host (--tcp-ports=auto --udp-ports=auto).

#include "rootlesskit/net/pasta.h"

#include "rootlesskit/logging.h"
#include "rootlesskit/process.h"

#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk::net {

std::vector<std::string> pasta_argv(const NetPlan& plan, pid_t pid,
                                    const std::string& detached_netns, bool implicit_ports,
                                    bool host_lo_to_ns_lo) {
    std::vector<std::string> a{plan.argv0.empty() ? plan.binary : plan.argv0,
                               "--stderr",
                               "--ns-ifname=" + plan.ifname,
                               "--mtu=" + std::to_string(plan.mtu),
                               "--config-net",
                               "--address=" + cidr_host(plan.cidr, 100),
                               "--netmask=" + std::to_string(plan.cidr.prefix),
                               "--gateway=" + cidr_host(plan.cidr, 2),
                               "--dns-forward=" + cidr_host(plan.cidr, 3)};
    if (plan.disable_host_loopback)
        a.push_back("--no-map-gw");
    if (!plan.ipv6)
        a.push_back("--ipv4-only");
    if (implicit_ports) {
        a.push_back("--tcp-ports=auto");
        a.push_back("--udp-ports=auto");
    } else {
        a.push_back("--tcp-ports=none");
        a.push_back("--udp-ports=none");
    }
    if (host_lo_to_ns_lo)
        a.push_back("--host-lo-to-ns-lo");
    if (!plan.state_dir.empty())
        a.push_back("--pid=" + plan.state_dir + "/.pasta.pid");
    if (detached_netns.empty()) {
        a.push_back(std::to_string(pid));
    } else {
        a.push_back("--userns=/proc/" + std::to_string(pid) + "/ns/user");
        a.push_back("--netns=" + detached_netns);
    }
    return a;
}

PastaDriver::PastaDriver(NetPlan plan, bool implicit_ports)
    : plan_(std::move(plan)), implicit_ports_(implicit_ports) {}

NetworkInfo PastaDriver::configure(pid_t pid, const std::string& detached_netns) {
    // Newer pastas can route the host's loopback to the namespace's (upstream 2.3.2).
    bool lo = false;
    try {
        lo = run_capture({plan_.binary, "--host-lo-to-ns-lo", "--version"}).wstatus == 0;
    } catch (const std::exception&) {
    }
    std::vector<std::string> argv = pasta_argv(plan_, pid, detached_netns, implicit_ports_, lo);
    log::debug("executing " + go_slice(argv));
    RunResult r = run_capture(argv);
    if (r.wstatus != 0)
        throw std::runtime_error("setting up network: pasta failed with exit code " +
                                 std::to_string(exit_code_of(r.wstatus)) + ":\n" + r.output);
    log::debug("pasta: " + r.output);
    info_.ip = cidr_host(plan_.cidr, 100);
    info_.netmask = plan_.cidr.prefix;
    info_.gateway = cidr_host(plan_.cidr, 2);
    info_.dns = {cidr_host(plan_.cidr, 3)};
    info_.mtu = plan_.mtu;
    return info_; // dev stays empty: pasta has configured the interface
}

nlohmann::ordered_json PastaDriver::info() const {
    nlohmann::ordered_json j;
    j["driver"] = "pasta";
    j["dns"] = info_.dns;
    j["childIP"] = info_.ip;
    return j;
}

PastaDriver::~PastaDriver() {
    cleanup();
}

void PastaDriver::cleanup() {
    if (plan_.state_dir.empty())
        return;
    std::string path = plan_.state_dir + "/.pasta.pid";
    FILE* f = fopen(path.c_str(), "re");
    if (!f)
        return;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) == 1 && pid > 1)
        (void)kill(static_cast<pid_t>(pid), SIGTERM);
    fclose(f);
    (void)unlink(path.c_str());
}

} // namespace rlk::net
