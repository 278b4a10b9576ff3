// SPDX-License-Identifier: Apache-2.0
// seccomp_test.cc — the --enable-seccomp deny list (seccomp_rules.def), its output lines, and
// that the loaded filter kills a denied syscall (in a forked child) while allowing the rest.
#include "slirpnet/sandbox.h"
#include "slirpnet/seccomp_filter.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <seccomp.h>
#include <set>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace slirp;

namespace {

// docs/compat/slirp4netns.md §5.2, slirp4netns 1.2.0's order.
const char* const upstream_list =
    "execve lookup_dcookie pidfd_getfd ptrace process_vm_readv process_vm_writev delete_module "
    "finit_module init_module chroot fsconfig fsmount fsopen fspick mount move_mount open_tree "
    "pivot_root umount umount2 open_by_handle_at execveat pidfd_open pidfd_send_signal prctl "
    "setns unshare kexec_file_load kexec_load reboot name_to_handle_at";

std::string joined(const std::vector<std::string_view>& v) {
    std::string s;
    for (auto x : v)
        s += (s.empty() ? "" : " ") + std::string(x);
    return s;
}

/// Forks; the child installs the filter (output to /dev/null) and runs `fn`, whose return value
/// is its exit status. Returns the raw wait status.
template <typename F> int in_filtered_child(F fn) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        try {
            (void)seccomp::install();
        } catch (...) {
            _exit(100);
        }
        _exit(fn());
    }
    int ws = 0;
    REQUIRE(waitpid(pid, &ws, 0) == pid);
    return ws;
}

} // namespace

TEST_CASE("The X-macro deny list is upstream's 31 syscalls, in order, no duplicates",
          "[slirpnet][seccomp]") {
    const auto& l = seccomp::deny_list();
    CHECK(l.size() == 31);
    CHECK(std::set<std::string_view>(l.begin(), l.end()).size() == l.size());
    CHECK(joined(l) == upstream_list);
    // open/openat must stay allowed: resolv.conf is re-read at run time.
    for (auto n : {"open", "openat", "read", "socket", "connect", "epoll_wait", "exit_group"})
        CHECK(std::find(l.begin(), l.end(), std::string_view(n)) == l.end());
}

TEST_CASE("libseccomp knows every denied syscall on this arch", "[slirpnet][seccomp]") {
    for (auto n : seccomp::deny_list())
        CHECK(seccomp_syscall_resolve_name(std::string(n).c_str()) != __NR_SCMP_ERROR);
}

TEST_CASE("seccomp output lines use slirp4netns' wording", "[slirpnet][seccomp]") {
    seccomp::Report r;
    r.blocked = {"execve", "ptrace"};
    CHECK(seccomp::blocked_line(r) == "seccomp: The following syscalls are blocked: execve ptrace");
    CHECK(seccomp::warning_lines(r).empty());
    r.unknown = {"fsopen", "fsmount"};
    r.failed = {"reboot"};
    auto w = seccomp::warning_lines(r);
    REQUIRE(w.size() == 2);
    CHECK(w[0] == "seccomp: WARNING: the following syscalls are not defined in libseccomp and "
                  "cannot be blocked: fsopen fsmount");
    CHECK(w[1] == "seccomp: WARNING: the following syscalls cannot be blocked due to unexpected "
                  "errors: reboot");
}

TEST_CASE("The loaded filter kills a denied syscall and allows the others", "[slirpnet][seccomp]") {
    // Allowed: open/read/close (resolv.conf), and a normal exit.
    int ok = in_filtered_child([] {
        int fd = open("/proc/self/status", O_RDONLY);
        char b[64];
        bool good = fd >= 0 && read(fd, b, sizeof(b)) > 0 && close(fd) == 0;
        return good ? 0 : 1;
    });
    REQUIRE(WIFEXITED(ok));
    CHECK(WEXITSTATUS(ok) == 0);
    // Denied: prctl and execve end the process with SIGSYS, not an error return.
    int pr = in_filtered_child([] { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) < 0 ? 2 : 3; });
    REQUIRE(WIFSIGNALED(pr));
    CHECK(WTERMSIG(pr) == SIGSYS);
    int ex = in_filtered_child([] {
        char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
        execv("/bin/true", argv);
        return 4;
    });
    REQUIRE(WIFSIGNALED(ex));
    CHECK(WTERMSIG(ex) == SIGSYS);
}

TEST_CASE("The sandbox keeps only CAP_NET_BIND_SERVICE (0x400)", "[slirpnet][sandbox]") {
    CHECK(sandbox::kept_capability_mask == 0x400);
}
