// SPDX-License-Identifier: Apache-2.0
// process.cc — spawning helpers and Go-compatible exit-status wording

#include "rootlesskit/process.h"

#include "common/error.h"
#include "common/unique_fd.h"

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk {

namespace {
std::string lower_first(std::string s) {
    if (!s.empty())
        s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}
bool is_executable(const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}
} // namespace

std::string go_errno(int err) {
    return lower_first(strerror(err));
}

std::string describe_status(int ws) {
    if (WIFEXITED(ws))
        return "exit status " + std::to_string(WEXITSTATUS(ws));
    if (WIFSIGNALED(ws)) {
        std::string s = "signal: " + lower_first(strsignal(WTERMSIG(ws)));
        if (WCOREDUMP(ws))
            s += " (core dumped)";
        return s;
    }
    return "exit status " + std::to_string(ws);
}

int exit_code_of(int ws) {
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 255;
}

std::string go_slice(const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? " " : "") + v[i];
    return s + "]";
}

std::string look_path(const std::string& file) {
    if (file.find('/') != std::string::npos) {
        struct stat st {};
        if (stat(file.c_str(), &st) != 0)
            throw std::runtime_error("exec: \"" + file + "\": stat " + file + ": " +
                                     go_errno(errno));
        if (!is_executable(file))
            throw std::runtime_error("exec: \"" + file + "\": permission denied");
        return file;
    }
    const char* path = getenv("PATH");
    std::string p = path ? path : "";
    size_t start = 0;
    while (!file.empty()) {
        size_t colon = p.find(':', start);
        // An empty PATH element is the current directory, as in Go's exec.LookPath. (Built
        // without assigning "." to a string: g++ 12 -O3 warns -Wrestrict on that, GCC PR105651.)
        std::string cand = p.substr(start, colon == std::string::npos ? colon : colon - start);
        cand += cand.empty() ? "./" : "/";
        cand += file;
        if (is_executable(cand))
            return cand;
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    throw std::runtime_error("exec: \"" + file + "\": executable file not found in $PATH");
}

int wait_pid(pid_t pid) {
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            common::throw_errno("waitpid %d", pid);
    }
    return ws;
}

std::vector<char*> exec_argv(std::vector<std::string>& argv) {
    std::vector<char*> c;
    c.reserve(argv.size() + 1);
    for (std::string& a : argv)
        c.push_back(a.data());
    c.push_back(nullptr);
    return c;
}

void unblock_signals() noexcept {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
}

bool die_with_parent(pid_t parent) noexcept {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return getppid() == parent;
}

RunResult run_capture(std::vector<std::string> argv) {
    std::string exe = look_path(argv.at(0));
    common::FdPair p = common::pipe_cloexec();
    std::vector<char*> cargv = exec_argv(argv);
    pid_t pid = fork();
    if (pid < 0)
        common::throw_errno("fork");
    if (pid == 0) {
        unblock_signals();
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(p.second.get(), 1);
        dup2(p.second.get(), 2);
        // Helpers (pasta daemonizes) must not keep our caller's descriptors open.
        (void)close_range(3, ~0U, 0);
        execv(exe.c_str(), cargv.data());
        _exit(127);
    }
    p.second.reset();
    RunResult r{0, {}};
    char buf[4096];
    for (;;) {
        ssize_t n = read(p.first.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        r.output.append(buf, static_cast<size_t>(n));
    }
    r.wstatus = wait_pid(pid);
    return r;
}

} // namespace rlk
