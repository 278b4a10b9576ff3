// SPDX-License-Identifier: Apache-2.0
// process.h — spawning helpers, Go-style exit-status texts and the exit-code-carrying error
#pragma once

#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rlk {

// clang-format off
inline constexpr const char* pipe_fd_env = "_ROOTLESSKIT_PIPEFD_UNDOCUMENTED";
inline constexpr const char* child_use_activation_env = "_ROOTLESSKIT_SYSTEMD_ACTIVATION_CHILD_USE_UNDOCUMENTED";
inline constexpr const char* state_dir_env = "ROOTLESSKIT_STATE_DIR";
inline constexpr const char* parent_euid_env = "ROOTLESSKIT_PARENT_EUID";
inline constexpr const char* parent_egid_env = "ROOTLESSKIT_PARENT_EGID";
// clang-format on

/// An error whose exit code is not 1: "child exited: exit status 42" exits 42 (§1.3).
class ExitError : public std::runtime_error {
public:
    ExitError(const std::string& msg, int code) : std::runtime_error(msg), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

/// Go's ProcessState.String(): "exit status 42", "signal: terminated".
std::string describe_status(int wstatus);
/// Go's ExitStatus() mapped through os.Exit: N, or 255 for a signal.
int exit_code_of(int wstatus);
/// "[sh -c exit 42]" — Go's %v of a []string.
std::string go_slice(const std::vector<std::string>& v);
/// Go's error text for an errno ("no such file or directory").
std::string go_errno(int err);

/// exec.LookPath: a name with '/' is checked as is, else searched in $PATH. Throws with
/// `exec: "x": executable file not found in $PATH`.
std::string look_path(const std::string& file);

/// Runs argv (PATH lookup), waits, returns {wstatus, combined stdout+stderr}. Throws SysError.
struct RunResult {
    int wstatus;
    std::string output;
};
RunResult run_capture(std::vector<std::string> argv);

/// waitpid() retrying EINTR; returns the status. Throws SysError.
int wait_pid(pid_t pid);

/// argv as execv() takes it: pointers into `argv`, which must outlive the result.
std::vector<char*> exec_argv(std::vector<std::string>& argv);

/// In a forked child: an empty signal mask, as a program expects at exec (the parent blocks the
/// signals it forwards). Async-signal-safe.
void unblock_signals() noexcept;

/// In a forked child: SIGKILL when the thread that forked it (`parent`, the parent's pid)
/// ends; false when the parent is already gone (the child should _exit). Async-signal-safe.
bool die_with_parent(pid_t parent) noexcept;

} // namespace rlk
