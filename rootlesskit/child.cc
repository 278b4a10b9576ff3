// SPDX-License-Identifier: Apache-2.0
// child.cc — inside the namespaces: handshake, propagation, copy-up, sysfs, network, command
//
// Order (§6.1): propagation → /proc (pidns) → copy-up → sysfs → interface config →
// resolv.conf/hosts → command. The command is forked with PDEATHSIG=SIGKILL, with setsid()
// when reaping; the child forwards signals to it and exits with its status.

#include "rootlesskit/child.h"

#include "common/error.h"
#include "common/netlink.h"
#include "common/ns.h"
#include "common/unique_fd.h"
#include "rootlesskit/checks.h"
#include "rootlesskit/copyup/overlay.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/msg.h"
#include "rootlesskit/process.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
    throw std::runtime_error(what + ": " + go_errno(err));
}

unsigned long propagation_flags(const std::string& p) {
    if (p == "private")
        return MS_PRIVATE;
    if (p == "rprivate")
        return MS_PRIVATE | MS_REC;
    if (p == "shared")
        return MS_SHARED;
    if (p == "rshared")
        return MS_SHARED | MS_REC;
    if (p == "slave")
        return MS_SLAVE;
    if (p == "rslave")
        return MS_SLAVE | MS_REC;
    return 0; // unknown values are ignored, as upstream does
}

void mount_cgroup2() {
    if (mount("none", "/sys/fs/cgroup", "cgroup2", 0, nullptr) != 0)
        fail("failed to mount cgroup2 on /sys/fs/cgroup", errno);
}

// Fresh sysfs for the new netns; /sys/fs/cgroup is kept, or replaced by cgroup2 when evacuating.
void mount_sysfs(bool evacuate) {
    std::string tmp = "/tmp/rksysXXXXXX";
    if (!mkdtemp(tmp.data()))
        fail("creating a directory under /tmp", errno);
    bool cgroup_saved =
        !evacuate && mount("/sys/fs/cgroup", tmp.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0;
    if (mount("none", "/sys", "sysfs", 0, nullptr) != 0 &&
        mount("none", "/sys", "sysfs", MS_RDONLY, nullptr) != 0)
        log::warn("failed to mount sysfs, falling back to read-only mount: " + go_errno(errno));
    if (evacuate)
        mount_cgroup2();
    else if (cgroup_saved && mount(tmp.c_str(), "/sys/fs/cgroup", nullptr, MS_MOVE, nullptr) != 0)
        log::warn("failed to move /sys/fs/cgroup back: " + go_errno(errno));
    (void)umount2(tmp.c_str(), MNT_DETACH);
    (void)rmdir(tmp.c_str());
}

void configure_interface(const nlohmann::json& m) {
    common::Netlink nl;
    nl.set_up(nl.ifindex("lo"), true);
    std::string dev = m.value("Dev", "");
    if (dev.empty())
        return;
    int idx = nl.ifindex(dev);
    nl.set_up(idx, true);
    nl.set_mtu(idx, m.value("MTU", 1500u));
    in_addr ip{}, gw{};
    inet_pton(AF_INET, m.value("IP", "").c_str(), &ip);
    inet_pton(AF_INET, m.value("Gateway", "").c_str(), &gw);
    nl.add_addr4(idx, ip, m.value("Netmask", 24u));
    nl.add_default_route4(idx, gw);
}

void write_file(const std::string& path, const std::string& content, mode_t mode) {
    common::UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd ||
        write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        fail("writing " + path, errno);
}

void setup_resolv_hosts(const std::string& state_dir, const nlohmann::json& m, bool detach,
                        const std::vector<std::string>& copied) {
    std::string resolv;
    for (const auto& d : m.value("DNS", nlohmann::json::array()))
        resolv += "nameserver " + d.get<std::string>() + "\n";
    std::ifstream hf("/etc/hosts");
    std::stringstream ss;
    ss << hf.rdbuf();
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::string hosts = ss.str() + "\n127.0.0.1 " + host + "\n::1 " + host + "\n";
    write_file(state_dir + "/resolv.conf", resolv, 0644);
    write_file(state_dir + "/hosts", hosts, 0644);
    if (detach)
        return;
    bool etc = std::find(copied.begin(), copied.end(), "/etc") != copied.end();
    if (!etc)
        log::warn(
            "Mounting /etc/resolv.conf without copying-up /etc. Note that /etc/resolv.conf in "
            "the namespace will be unmounted when it is recreated on the host. Unless "
            "/etc/resolv.conf is statically configured, copying-up /etc is highly "
            "recommended. Please refer to RootlessKit documentation for further information.");
    for (const char* name : {"resolv.conf", "hosts"}) {
        std::string dst = std::string("/etc/") + name;
        if (etc) {
            (void)unlink(dst.c_str());
            write_file(dst, "", 0644);
        }
        std::string src = state_dir + "/" + name;
        if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0)
            fail("failed to create bind mount " + src + " on " + dst, errno);
    }
}

// Creates <state>/netns holding a new network namespace we do not enter (§2.6).
void create_detached_netns(const std::string& path) {
    write_file(path, "", 0400);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", errno);
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0 ||
            mount("/proc/self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
            _exit(1);
        _exit(0);
    }
    if (wait_pid(pid) != 0)
        throw std::runtime_error("failed to create a detached network namespace on " + path);
}

struct Started {
    pid_t pid;
};

// `session`: the command leads a new session (the PID 1 reaper of --pidns, as upstream). Without
// --pidns it keeps ours, and so its controlling terminal (upstream #567).
Started start_command(const std::vector<std::string>& cmd, bool session, bool activation) {
    std::string exe = cmd.at(0);
    try {
        // Go's exec.Command looks up only bare names; paths fail later as "fork/exec …".
        if (exe.find('/') == std::string::npos)
            exe = look_path(exe);
    } catch (const std::exception& e) {
        throw std::runtime_error("command " + go_slice(cmd) + " exited: " + e.what());
    }
    std::vector<char*> argv;
    for (const std::string& a : cmd)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    common::FdPair err = common::pipe_cloexec();
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", errno);
    if (pid == 0) {
        unblock_signals();
        if (session)
            setsid();
        if (!die_with_parent(self))
            _exit(1);
        if (activation)
            setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
        execv(exe.c_str(), argv.data());
        int e = errno;
        (void)!write(err.second.get(), &e, sizeof e);
        _exit(127);
    }
    err.second.reset();
    int e = 0;
    if (read(err.first.get(), &e, sizeof e) == sizeof e) {
        (void)wait_pid(pid);
        throw std::runtime_error("command " + go_slice(cmd) + " exited: fork/exec " + exe + ": " +
                                 go_errno(e));
    }
    return {pid};
}

int wait_command(pid_t cmd, bool reaper) {
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        int ws = 0;
        if (reaper) {
            for (;;) {
                pid_t r = waitpid(-1, &ws, WNOHANG);
                if (r == cmd)
                    return ws;
                if (r <= 0)
                    break;
            }
        } else if (waitpid(cmd, &ws, WNOHANG) == cmd) {
            return ws;
        }
        siginfo_t si{};
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0 || sig == SIGCHLD || sig == SIGPIPE || sig == SIGURG)
            continue;
        (void)kill(cmd, sig);
    }
}

} // namespace

int run_child(const Options& o) {
    std::string fds = getenv(pipe_fd_env);
    common::UniqueFd from_parent(atoi(fds.c_str()));
    common::UniqueFd to_parent(atoi(fds.substr(fds.find(',') + 1).c_str()));
    fcntl(from_parent.get(), F_SETFD, FD_CLOEXEC);
    fcntl(to_parent.get(), F_SETFD, FD_CLOEXEC);
    unsetenv(pipe_fd_env);
    const char* act = getenv(child_use_activation_env);
    bool activation = act && std::string(act) == "true";
    unsetenv(child_use_activation_env);
    const char* sd = getenv(state_dir_env);
    std::string state_dir = sd ? sd : "";

    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, nullptr);
    ChildPlan plan = check_child(o);
    std::string netns_path;
    if (o.detach_netns && o.net != "host") {
        netns_path = state_dir + "/netns";
        create_detached_netns(netns_path);
    }
    msg::send(to_parent.get(), {{"Name", "ChildInitUserNSCompleted"}});
    std::optional<nlohmann::json> net_msg = msg::recv(from_parent.get());
    std::optional<nlohmann::json> port_msg = msg::recv(from_parent.get());
    if (!net_msg || !port_msg)
        throw std::runtime_error("the parent exited before the network was ready");
    from_parent.reset();

    if (unsigned long f = propagation_flags(o.propagation))
        if (mount("none", "/", nullptr, f, nullptr) != 0)
            fail("failed to share mount point: /", errno);
    if (plan.mount_procfs && mount("none", "/proc", "proc", 0, nullptr) != 0 &&
        mount("none", "/proc", "proc", MS_RDONLY, nullptr) != 0)
        log::warn("failed to mount /proc: " + go_errno(errno));
    std::vector<std::string> copied;
    if (!o.copy_up.empty())
        copied = copyup::make_driver(o.copy_up_mode, state_dir)->copy_up(o.copy_up);
    bool own_net = o.net == "slirp4netns" || o.net == "pasta" || o.net == "gvisor-tap-vsock";
    bool evacuate = !o.evacuate_cgroup2.empty();
    if (own_net && !o.detach_netns) {
        mount_sysfs(evacuate);
    } else if (evacuate) {
        if (mount("none", "/sys/fs/cgroup", "tmpfs", 0, nullptr) != 0)
            fail("failed to mount tmpfs on /sys/fs/cgroup", errno);
        mount_cgroup2();
    }
    if (o.net != "host") {
        if (netns_path.empty()) {
            configure_interface(*net_msg);
        } else {
            common::UniqueFd ns = common::ns::open_path(netns_path);
            common::ns::call_in_ns({-1, ns.get(), -1}, [&] { configure_interface(*net_msg); });
        }
    }
    if (own_net)
        setup_resolv_hosts(state_dir, *net_msg, o.detach_netns, copied);

    // Without --pidns, orphans of the command are reparented to this process (rather than to
    // the host's init or subreaper) and reaped in wait_command.
    if (plan.reaper && !o.pidns && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        fail("prctl(PR_SET_CHILD_SUBREAPER)", errno);
    Started cmd = start_command(o.command, plan.reaper && o.pidns, activation);
    int ws = wait_command(cmd.pid, plan.reaper);
    if (ws != 0)
        throw ExitError("command " + go_slice(o.command) + " exited: " + describe_status(ws),
                        exit_code_of(ws));
    return 0;
}

} // namespace rlk
