// SPDX-License-Identifier: Apache-2.0
// slirp4netns.cc — --net=slirp4netns with any binary that has slirp4netns' CLI (§2.5)
//
// The parent starts `slirp4netns --mtu M -r 3 [flags] PID IFNAME` (or, detached,
// `--userns-path=/proc/PID/ns/user --netns-type=path PATH IFNAME`), waits for the ready byte on
// fd 3 while watching for an early exit, and kills the process on exit. slirp4netns creates
// the TAP itself; the child then configures address, route and MTU over netlink.

#include "rootlesskit/net/driver.h"

#include "common/error.h"
#include "common/unique_fd.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/net/gvisor_tap_vsock.h"
#include "rootlesskit/net/none.h"
#include "rootlesskit/net/pasta.h"
#include "rootlesskit/process.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk::net {
namespace {

// Upstream waits in 1 s slices; we give slirp4netns this long in total.
constexpr int ready_timeout_ms = 30000;

bool kernel_supports_seccomp() {
    // PR_GET_SECCOMP works everywhere seccomp is built in; EINVAL means no seccomp.
    return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 || errno != EINVAL;
}

class Slirp4netnsDriver final : public NetworkDriver {
public:
    explicit Slirp4netnsDriver(NetPlan plan) : plan_(std::move(plan)) {}
    ~Slirp4netnsDriver() override { cleanup(); }

    NetworkInfo configure(pid_t pid, const std::string& detached_netns) override {
        pid_ = start_ready_helper(plan_.binary, slirp4netns_argv(plan_, pid, detached_netns, 3), -1,
                                  "slirp4netns");
        NetworkInfo ni;
        ni.dev = plan_.ifname;
        ni.ip = cidr_host(plan_.cidr, 100);
        ni.netmask = plan_.cidr.prefix;
        ni.gateway = cidr_host(plan_.cidr, 2);
        ni.dns = {cidr_host(plan_.cidr, 3)};
        if (plan_.ipv6)
            ni.dns.push_back("fd00::3");
        ni.mtu = plan_.mtu;
        info_ = ni;
        return ni;
    }

    nlohmann::ordered_json info() const override {
        nlohmann::ordered_json j;
        j["driver"] = "slirp4netns";
        j["dns"] = info_.dns;
        j["childIP"] = info_.ip;
        return j;
    }

    void cleanup() override {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            (void)waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

private:
    NetPlan plan_;
    pid_t pid_ = -1;
    NetworkInfo info_;
};

} // namespace

pid_t start_ready_helper(const std::string& binary, std::vector<std::string> argv, int pass_fd,
                         const std::string& name) {
    common::FdPair ready = common::pipe_cloexec();
    log::debug("executing " + go_slice(argv));
    std::vector<char*> cargv = exec_argv(argv);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        common::throw_errno("fork");
    if (pid == 0) {
        unblock_signals();
        if (!die_with_parent(parent))
            _exit(1);
        // Move both out of 0..4 first: dup2 onto itself would keep FD_CLOEXEC, and one could
        // sit where the other goes. dup2 clears FD_CLOEXEC on the copies.
        int r = fcntl(ready.second.get(), F_DUPFD_CLOEXEC, 5);
        int t = pass_fd >= 0 ? fcntl(pass_fd, F_DUPFD_CLOEXEC, 5) : -1;
        if (r < 0 || (pass_fd >= 0 && t < 0) || dup2(r, 3) < 0 || (t >= 0 && dup2(t, 4) < 0))
            _exit(1);
        (void)close_range(pass_fd >= 0 ? 5 : 4, ~0U, 0); // only these are passed on
        if (!log::debug_enabled()) { // upstream sends its output to the debug log
            int devnull = open("/dev/null", O_RDWR | O_CLOEXEC); // not passed on
            if (devnull >= 0) {
                dup2(devnull, 0);
                dup2(devnull, 1);
                dup2(devnull, 2);
            }
        }
        execv(binary.c_str(), cargv.data());
        _exit(127);
    }
    ready.second.reset();
    for (int waited = 0; waited < ready_timeout_ms; waited += 100) {
        pollfd p{ready.first.get(), POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char buf[16];
            if (read(ready.first.get(), buf, sizeof buf) > 0)
                return pid;
        }
        int ws = 0;
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            if (WIFSIGNALED(ws))
                throw std::runtime_error("setting up network: " + name + " killed by signal");
            throw std::runtime_error("setting up network: " + name + " failed");
        }
    }
    kill(pid, SIGKILL);
    (void)waitpid(pid, nullptr, 0);
    throw std::runtime_error("setting up network: waiting for " + name + " to start: timed out");
}

std::string cidr_host(const Cidr& c, uint32_t n) {
    in_addr a{};
    a.s_addr = htonl(ntohl(c.addr.s_addr) + n);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::vector<std::string> slirp_common_argv(const NetPlan& plan, int ready_fd) {
    std::vector<std::string> a{plan.argv0.empty() ? plan.binary : plan.argv0, "--mtu",
                               std::to_string(plan.mtu), "-r", std::to_string(ready_fd)};
    if (plan.disable_host_loopback)
        a.push_back("--disable-host-loopback");
    if (plan.cidr.prefix != 24 || cidr_host(plan.cidr, 0) != "10.0.2.0") {
        a.push_back("--cidr");
        a.push_back(cidr_host(plan.cidr, 0) + "/" + std::to_string(plan.cidr.prefix));
    }
    return a;
}

std::vector<std::string> slirp4netns_argv(const NetPlan& plan, pid_t pid,
                                          const std::string& detached_netns, int ready_fd) {
    std::vector<std::string> a = slirp_common_argv(plan, ready_fd);
    if (!plan.api_socket.empty()) {
        a.push_back("--api-socket");
        a.push_back(plan.api_socket);
    }
    if (plan.sandbox)
        a.push_back("--enable-sandbox");
    if (plan.seccomp)
        a.push_back("--enable-seccomp");
    if (plan.ipv6)
        a.push_back("--enable-ipv6");
    if (detached_netns.empty()) {
        a.push_back(std::to_string(pid));
    } else {
        a.push_back("--userns-path=/proc/" + std::to_string(pid) + "/ns/user");
        a.push_back("--netns-type=path");
        a.push_back(detached_netns);
    }
    a.push_back(plan.ifname);
    return a;
}

Slirp4netnsFeatures detect_slirp4netns_features(const std::string& binary) {
    RunResult r = run_capture({binary, "--help"});
    if (r.wstatus != 0)
        throw std::runtime_error("command \"" + binary +
                                 " --help\" failed, make sure slirp4netns v0.4.0+ is installed: " +
                                 describe_status(r.wstatus));
    const std::string& s = r.output;
    auto has = [&s](const char* f) { return s.find(f) != std::string::npos; };
    Slirp4netnsFeatures f;
    f.netns_type = has("--netns-type");
    f.ipv6 = has("--enable-ipv6");
    f.cidr = has("--cidr");
    f.disable_host_loopback = has("--disable-host-loopback");
    f.api_socket = has("--api-socket");
    f.sandbox = has("--enable-sandbox");
    f.seccomp = has("--enable-seccomp");
    f.kernel_seccomp = kernel_supports_seccomp();
    return f;
}

std::unique_ptr<NetworkDriver> make_driver(const NetPlan& plan) {
    if (plan.driver == "host")
        return nullptr;
    if (plan.driver == "none")
        return std::make_unique<NoneDriver>();
    if (plan.driver == "slirp4netns")
        return std::make_unique<Slirp4netnsDriver>(plan);
    if (plan.driver == "pasta")
        return std::make_unique<PastaDriver>(plan, plan.implicit_ports);
    if (plan.driver == "gvisor-tap-vsock")
        return std::make_unique<GvisorTapVsockDriver>(plan);
    throw std::runtime_error(unsupported("--net=" + plan.driver));
}

} // namespace rlk::net
