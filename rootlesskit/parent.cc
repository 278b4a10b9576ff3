// SPDX-License-Identifier: Apache-2.0
// parent.cc — host side: state dir, clone of the child, id maps, network, API, signals
//
// Theory of operation. The parent blocks every signal before it creates anything, clones the
// child with CLONE_NEWUSER|CLONE_NEWNS[|CLONE_NEWPID] and lets it wait on a "go" pipe until
// newuidmap/newgidmap have run. Only then does the clone unshare the other namespaces and exec
// /proc/self/exe: it is uid 0 in its namespace by then, so the exec keeps its capabilities and
// upstream's second re-exec is not needed. After the exec the two halves talk over two pipes
// (msg.cc): ChildInitUserNSCompleted →, ← ParentInitNetworkDriverCompleted,
// ← ParentInitPortDriverCompleted. child_pid is written once the network is ready, then
// api.sock. The main thread then sits in sigwaitinfo(): SIGCHLD means a child changed state,
// anything else is forwarded to the child.

#include "rootlesskit/parent.h"

#include "common/error.h"
#include "common/rlimit.h"
#include "common/unique_fd.h"
#include "rootlesskit/api/server.h"
#include "rootlesskit/cgroup.h"
#include "rootlesskit/checks.h"
#include "rootlesskit/idmap.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/msg.h"
#include "rootlesskit/net/driver.h"
#include "rootlesskit/net/gvisor_tap_vsock.h"
#include "rootlesskit/port/builtin.h"
#include "rootlesskit/port/slirp4netns.h"
#include "rootlesskit/process.h"
#include "rootlesskit/state_dir.h"
#include "rootlesskit/userns_hint.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rlk {
namespace {

struct CloneArgs {
    int go_fd;
    int go_write_fd; ///< the parent's end, closed in the child so the parent's death reads as EOF
    int keep_fds[2];
    int unshare_flags;
    bool pidns;
    pid_t parent;
    char** argv;
    char** envp;
};

// Runs in the cloned child, before exec: only async-signal-safe calls.
// The parent-death signal (docs/compat/rootlesskit.md §2.4) is armed first, so that a parent
// killed while it maps the ids kills the child waiting here; the maps and the exec below keep it
// (the child's own credentials do not change). A parent that died before the prctl shows as
// EOF on the go pipe, or, without --pidns, as another parent.
int clone_main(void* p) {
    auto* a = static_cast<CloneArgs*>(p);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(a->go_write_fd);
    if (!a->pidns && getppid() != a->parent)
        _exit(1);
    char c;
    ssize_t n;
    do
        n = read(a->go_fd, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(1); // the parent failed to map ids and reports why
    if (a->unshare_flags && unshare(a->unshare_flags) != 0) {
        const char m[] = "[rootlesskit:child ] error: unshare failed\n";
        (void)!write(2, m, sizeof m - 1);
        _exit(1);
    }
    for (int fd : a->keep_fds)
        fcntl(fd, F_SETFD, 0);
    unblock_signals();
    execve("/proc/self/exe", a->argv, a->envp);
    _exit(127);
}

std::vector<std::string> child_env(const std::string& state_dir, int r, int w, bool activation) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string s = *e;
        std::string k = s.substr(0, s.find('='));
        if (k == state_dir_env || k == parent_euid_env || k == parent_egid_env ||
            k == pipe_fd_env || k == child_use_activation_env)
            continue;
        env.push_back(s);
    }
    env.push_back(std::string(state_dir_env) + "=" + state_dir);
    env.push_back(std::string(parent_euid_env) + "=" + std::to_string(geteuid()));
    env.push_back(std::string(parent_egid_env) + "=" + std::to_string(getegid()));
    env.push_back(std::string(pipe_fd_env) + "=" + std::to_string(r) + "," + std::to_string(w));
    env.push_back(std::string(child_use_activation_env) + "=" + (activation ? "true" : "false"));
    return env;
}

// systemd socket activation is meant for us if LISTEN_PID is our pid (upstream 2.1.0).
bool socket_activation() {
    const char* pid = getenv("LISTEN_PID");
    const char* fds = getenv("LISTEN_FDS");
    return pid && fds && std::to_string(getpid()) == pid && atoi(fds) > 0;
}

void preflight(const Options& o) {
    if (geteuid() == 0)
        log::warn("Running RootlessKit as the root user is unsupported.");
    std::ifstream f("/proc/sys/user/max_user_namespaces");
    long n = -1;
    if (f >> n) {
        if (n == 0)
            log::warn("/proc/sys/user/max_user_namespaces needs to be set to non-zero.");
        else if (n < 1024)
            log::warn("/proc/sys/user/max_user_namespaces=" + std::to_string(n) +
                      " may be low. Consider setting to >= 1024.");
    }
    warn_propagation(o.propagation);
}

// Clones the child into new user+mount(+pid) namespaces, stopped on the go pipe.
pid_t clone_child(CloneArgs& args) {
    constexpr size_t stack_size = 256 * 1024;
    static std::vector<char> stack(stack_size);
    int flags = CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD;
    if (args.pidns)
        flags |= CLONE_NEWPID;
    pid_t pid = clone(clone_main, stack.data() + stack.size(), flags, &args);
    if (pid < 0) {
        int e = errno;
        warn_on_child_start_failure(e);
        throw std::runtime_error("failed to start the child: fork/exec /proc/self/exe: " +
                                 go_errno(e));
    }
    return pid;
}

nlohmann::json network_message(const net::NetworkInfo& ni) {
    return {{"Name", "ParentInitNetworkDriverCompleted"},
            {"Dev", ni.dev},
            {"IP", ni.ip},
            {"Netmask", ni.netmask},
            {"Gateway", ni.gateway},
            {"DNS", ni.dns},
            {"MTU", ni.mtu}};
}

// Forwards signals to the child until it exits; returns its wait status.
int supervise(pid_t child) {
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        int ws = 0;
        pid_t r = waitpid(child, &ws, WNOHANG);
        if (r == child)
            return ws;
        siginfo_t si{};
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0 || sig == SIGCHLD || sig == SIGPIPE || sig == SIGURG)
            continue;
        (void)kill(child, sig);
    }
}

// Everything run_parent starts, released on every exit path, exception or not: the child
// (killed and reaped unless already reaped), the network driver's helper (slirp4netns, pasta),
// then the API server (a port-driver call in flight on slirp4netns' socket has ended with it),
// the port driver (its relay loops and netns helper), the state directory, and last the
// signal mask it blocked.
class ParentGuard {
public:
    ParentGuard() {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old_mask_);
    }
    ~ParentGuard() {
        if (child > 0) {
            (void)kill(child, SIGKILL);
            (void)reap();
        }
        try {
            if (net)
                net->cleanup();
        } catch (...) { // a helper we cannot stop is not worth losing the rest of the cleanup
        }
        if (api) // after the helper is gone: a driver call waiting on slirp4netns ends now
            api->stop();
        api.reset();
        ports.reset();
        net.reset();
        state.reset();
        sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    }
    ParentGuard(const ParentGuard&) = delete;
    ParentGuard& operator=(const ParentGuard&) = delete;

    /// Waits for the child; it is not killed on exit after this.
    int reap() noexcept {
        int ws = 0;
        while (waitpid(child, &ws, 0) < 0 && errno == EINTR) {
        }
        child = -1;
        return ws;
    }
    [[noreturn]] void child_failed() {
        int ws = reap();
        throw ExitError("child exited: " + describe_status(ws), exit_code_of(ws));
    }

    std::unique_ptr<StateDir> state;
    std::unique_ptr<net::NetworkDriver> net;
    pid_t child = -1;
    std::shared_ptr<port::PortDriver> ports;
    std::unique_ptr<api::Server> api;

private:
    sigset_t old_mask_;
};

// The pipes between the halves and the child's argv and environment, kept alive until exec.
struct ChildPlumbing {
    common::FdPair go = common::pipe_cloexec();
    common::FdPair to_child = common::pipe_cloexec();
    common::FdPair from_child = common::pipe_cloexec();
    std::vector<std::string> env_s, argv_s;
    std::vector<char*> envp, argv;
};

// Clones the child, maps its ids and lets it go on.
void start_child(const Options& o, const NetPlan& plan, ParentGuard& g, ChildPlumbing& p) {
    p.env_s = child_env(g.state->path(), p.to_child.first.get(), p.from_child.second.get(),
                        socket_activation());
    for (std::string& s : p.env_s)
        p.envp.push_back(s.data());
    p.envp.push_back(nullptr);
    // Re-exec with the parsed arguments (upstream passes os.Args[1:] unchanged).
    p.argv_s = {"/proc/self/exe"};
    p.argv_s.insert(p.argv_s.end(), o.args.begin(), o.args.end());
    for (std::string& s : p.argv_s)
        p.argv.push_back(s.data());
    p.argv.push_back(nullptr);

    CloneArgs ca{p.go.first.get(),
                 p.go.second.get(),
                 {p.to_child.first.get(), p.from_child.second.get()},
                 0,
                 o.pidns,
                 getpid(),
                 p.argv.data(),
                 p.envp.data()};
    if (plan.driver != "host" && !o.detach_netns)
        ca.unshare_flags |= CLONE_NEWNET;
    if (o.cgroupns)
        ca.unshare_flags |= CLONE_NEWCGROUP;
    if (o.utsns)
        ca.unshare_flags |= CLONE_NEWUTS;
    if (o.ipcns)
        ca.unshare_flags |= CLONE_NEWIPC;
    g.child = clone_child(ca);
    p.go.first.reset();
    p.to_child.first.reset();
    p.from_child.second.reset();
    setup_idmap(g.child, o.subid_source);
    if (write(p.go.second.get(), "1", 1) != 1)
        common::throw_errno("write to the child");
    p.go.second.reset();
}

// Waits for the child's user namespace, starts the network and tells the child about it.
void start_network(const Options& o, ParentGuard& g, ChildPlumbing& p, net::NetworkInfo& ni,
                   std::string& detached) {
    std::optional<nlohmann::json> hello = msg::recv(p.from_child.first.get());
    if (!hello)
        g.child_failed();
    if (!o.evacuate_cgroup2.empty())
        evacuate_cgroup2(o.evacuate_cgroup2);
    if (o.detach_netns)
        detached = "/proc/" + std::to_string(g.child) + "/root" + g.state->path() + "/netns";
    if (g.net)
        ni = g.net->configure(g.child, detached);
    msg::send(p.to_child.second.get(), network_message(ni));
    msg::send(p.to_child.second.get(), {{"Name", "ParentInitPortDriverCompleted"}});
    p.to_child.second.reset();
}

void start_ports(const Options& o, const NetPlan& plan, ParentGuard& g,
                 const std::vector<port::PortSpec>& publish, const net::NetworkInfo& ni,
                 const std::string& detached) {
    if (o.port_driver == "slirp4netns" || o.port_driver == "gvisor-tap-vsock")
        g.ports =
            std::make_shared<port::Slirp4netnsPortDriver>(plan.api_socket, ni.ip, o.port_driver);
    else if (o.port_driver == "builtin") {    // before any thread: it forks its helper
        (void)common::raise_nofile(SIZE_MAX); // as Go does at start; the child keeps its own limit
        g.ports =
            std::make_shared<port::BuiltinPortDriver>(g.child, detached, o.source_ip_transparent);
    }
    for (const port::PortSpec& spec : publish) {
        try {
            (void)g.ports->add(spec);
        } catch (const std::exception& e) {
            throw std::runtime_error("failed to expose port " + port::go_value(spec) + ": " +
                                     e.what());
        }
    }
}

} // namespace

int run_parent(const Options& opts) {
    Options o = opts;
    check_evacuate(o);
    // Signals are blocked from here on: the API threads inherit the mask and the main thread
    // receives everything through sigwaitinfo().
    ParentGuard g;
    g.state = std::make_unique<StateDir>(o.state_dir);
    o.state_dir = g.state->path();
    std::vector<std::string> warnings;
    CheckEnv env{look_path, net::detect_slirp4netns_features, net::slirpnet_candidates};
    NetPlan plan;
    try {
        plan = check_network(o, env, warnings);
    } catch (...) {
        for (const std::string& w : warnings)
            log::warn(w);
        throw;
    }
    for (const std::string& w : warnings)
        log::warn(w);
    std::vector<port::PortSpec> publish = check_port(o, plan);
    g.net = net::make_driver(plan);
    preflight(o);

    ChildPlumbing plumbing;
    start_child(o, plan, g, plumbing);
    net::NetworkInfo ni;
    std::string detached;
    start_network(o, g, plumbing, ni, detached);
    start_ports(o, plan, g, publish, ni, detached);

    g.state->write_child_pid(g.child);
    api::Info info{g.state->path(), g.child, g.net ? g.net->info() : nlohmann::ordered_json(),
                   g.ports};
    g.api = std::make_unique<api::Server>(g.state->path() + "/api.sock", info);
    int ws = supervise(g.child);
    g.child = -1; // reaped by supervise()
    if (ws != 0)
        throw ExitError("child exited: " + describe_status(ws), exit_code_of(ws));
    return 0;
}

} // namespace rlk
