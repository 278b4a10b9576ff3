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
#include "common/unique_fd.h"
#include "rootlesskit/api/server.h"
#include "rootlesskit/cgroup.h"
#include "rootlesskit/checks.h"
#include "rootlesskit/idmap.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/msg.h"
#include "rootlesskit/net/driver.h"
#include "rootlesskit/port/builtin.h"
#include "rootlesskit/port/slirp4netns.h"
#include "rootlesskit/process.h"
#include "rootlesskit/state_dir.h"
#include "rootlesskit/userns_hint.h"

#include <cerrno>
#include <csignal>
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
    int keep_fds[2];
    int unshare_flags;
    bool pidns;
    pid_t parent;
    char** argv;
    char** envp;
};

// Runs in the cloned child, before exec: only async-signal-safe calls.
int clone_main(void* p) {
    auto* a = static_cast<CloneArgs*>(p);
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
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!a->pidns && getppid() != a->parent)
        _exit(1);
    for (int fd : a->keep_fds)
        fcntl(fd, F_SETFD, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
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

[[noreturn]] void child_failed(pid_t pid) {
    int ws = wait_pid(pid);
    throw ExitError("child exited: " + describe_status(ws), exit_code_of(ws));
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

} // namespace

int run_parent(const Options& opts) {
    Options o = opts;
    check_evacuate(o);
    // Signals are blocked from here on: the API thread inherits the mask and the main thread
    // receives everything through sigwaitinfo().
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);

    StateDir state(o.state_dir);
    o.state_dir = state.path();
    std::vector<std::string> warnings;
    CheckEnv env{look_path, net::detect_slirp4netns_features};
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
    std::unique_ptr<net::NetworkDriver> driver = net::make_driver(plan);
    preflight(o);

    common::FdPair go = common::pipe_cloexec();
    common::FdPair to_child = common::pipe_cloexec();
    common::FdPair from_child = common::pipe_cloexec();
    std::vector<std::string> env_s =
        child_env(state.path(), to_child.first.get(), from_child.second.get(), socket_activation());
    std::vector<char*> envp;
    for (std::string& s : env_s)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_s{"/proc/self/exe"};
    // Re-exec with the parsed arguments (upstream passes os.Args[1:] unchanged).
    argv_s.insert(argv_s.end(), o.args.begin(), o.args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_s)
        argv.push_back(s.data());
    argv.push_back(nullptr);

    CloneArgs ca{go.first.get(),
                 {to_child.first.get(), from_child.second.get()},
                 0,
                 o.pidns,
                 getpid(),
                 argv.data(),
                 envp.data()};
    if (plan.driver != "host" && !o.detach_netns)
        ca.unshare_flags |= CLONE_NEWNET;
    if (o.cgroupns)
        ca.unshare_flags |= CLONE_NEWCGROUP;
    if (o.utsns)
        ca.unshare_flags |= CLONE_NEWUTS;
    if (o.ipcns)
        ca.unshare_flags |= CLONE_NEWIPC;
    pid_t child = clone_child(ca);
    go.first.reset();
    to_child.first.reset();
    from_child.second.reset();
    try {
        setup_idmap(child, o.subid_source);
    } catch (...) {
        kill(child, SIGKILL);
        (void)wait_pid(child);
        throw;
    }
    if (write(go.second.get(), "1", 1) != 1)
        common::throw_errno("write to the child");
    go.second.reset();

    std::optional<nlohmann::json> hello = msg::recv(from_child.first.get());
    if (!hello)
        child_failed(child);
    if (!o.evacuate_cgroup2.empty()) {
        try {
            evacuate_cgroup2(o.evacuate_cgroup2);
        } catch (...) {
            kill(child, SIGKILL);
            (void)wait_pid(child);
            throw;
        }
    }
    std::string detached;
    if (o.detach_netns)
        detached = "/proc/" + std::to_string(child) + "/root" + state.path() + "/netns";
    net::NetworkInfo ni;
    try {
        if (driver)
            ni = driver->configure(child, detached);
    } catch (...) {
        kill(child, SIGKILL);
        (void)wait_pid(child);
        throw;
    }
    msg::send(to_child.second.get(), network_message(ni));
    msg::send(to_child.second.get(), {{"Name", "ParentInitPortDriverCompleted"}});
    to_child.second.reset();

    std::shared_ptr<port::PortDriver> ports;
    if (o.port_driver == "slirp4netns")
        ports = std::make_shared<port::Slirp4netnsPortDriver>(plan.api_socket, ni.ip);
    else if (o.port_driver == "builtin") { // before any thread: it forks its helper
        (void)port::raise_nofile_limit(); // as Go does at start; the child keeps its own limit
        ports = std::make_shared<port::BuiltinPortDriver>(child, detached, o.source_ip_transparent);
    }
    for (const port::PortSpec& spec : publish) {
        try {
            (void)ports->add(spec);
        } catch (const std::exception& e) {
            kill(child, SIGKILL);
            (void)wait_pid(child);
            throw std::runtime_error("failed to expose port " + port::go_value(spec) + ": " +
                                     e.what());
        }
    }
    state.write_child_pid(child);
    api::Info info{state.path(), child, driver ? driver->info() : nlohmann::ordered_json(), ports};
    api::Server server(state.path() + "/api.sock", info);
    int ws = supervise(child);
    server.stop();
    if (driver)
        driver->cleanup();
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (ws != 0)
        throw ExitError("child exited: " + describe_status(ws), exit_code_of(ws));
    return 0;
}

} // namespace rlk
