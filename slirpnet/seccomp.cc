// SPDX-License-Identifier: Apache-2.0
// seccomp.cc — --enable-seccomp, as slirp4netns' enable_seccomp() (docs/compat/slirp4netns.md §5.2)
//
// Theory of operation: runs after the sandbox and before the ready fd. Default action ALLOW;
// every syscall of seccomp_rules.def is killed: SCMP_ACT_KILL_PROCESS when the kernel supports
// it (SECCOMP_GET_ACTION_AVAIL), else SCMP_ACT_KILL (thread). The native arch's compat archs
// are added so that, e.g., an int 0x80 execve on x86_64 is filtered too. Names libseccomp does
// not know are reported and skipped, never fatal. Everything the main loop needs afterwards
// must be set up before this (the target pidfd: pidfd_open is denied).

#include "slirpnet/seccomp_filter.h"

#include "common/log.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdexcept>
#include <sys/syscall.h>
#include <unistd.h>

namespace slirp::seccomp {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) {
        if (!s.empty())
            s += ' ';
        s += x;
    }
    return s;
}

/// SCMP_ACT_KILL_PROCESS needs Linux 4.14; ask the kernel rather than guess.
uint32_t kill_action() {
#if defined(SECCOMP_GET_ACTION_AVAIL) && defined(SECCOMP_RET_KILL_PROCESS)
    uint32_t act = SECCOMP_RET_KILL_PROCESS;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act) == 0)
        return SCMP_ACT_KILL_PROCESS;
#endif
    return SCMP_ACT_KILL;
}

/// The compat archs of the native one (upstream's list); failures are harmless (e.g. EEXIST).
void add_compat_archs(scmp_filter_ctx ctx) {
    const uint32_t* archs = nullptr;
    size_t n = 0;
#if defined(__x86_64__)
    static const uint32_t a[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
    archs = a, n = 2;
#elif defined(__aarch64__)
    static const uint32_t a[] = {SCMP_ARCH_ARM};
    archs = a, n = 1;
#elif defined(__mips__) && defined(__MIPSEB__)
    static const uint32_t a[] = {SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32};
    archs = a, n = 3;
#elif defined(__mips__)
    static const uint32_t a[] = {SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32};
    archs = a, n = 3;
#elif defined(__powerpc64__)
    static const uint32_t a[] = {SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE};
    archs = a, n = 3;
#elif defined(__s390x__)
    static const uint32_t a[] = {SCMP_ARCH_S390};
    archs = a, n = 1;
#endif
    for (size_t i = 0; i < n; ++i)
        if (seccomp_arch_exist(ctx, archs[i]) == -EEXIST)
            (void)seccomp_arch_add(ctx, archs[i]);
}

} // namespace

const std::vector<std::string_view>& deny_list() {
    static const std::vector<std::string_view> names = {
#define SLIRP_SECCOMP_DENY(name) #name,
#include "slirpnet/seccomp_rules.def"
    };
    return names;
}

std::string blocked_line(const Report& r) {
    return "seccomp: The following syscalls are blocked: " + join(r.blocked);
}

std::vector<std::string> warning_lines(const Report& r) {
    std::vector<std::string> out;
    if (!r.unknown.empty())
        out.push_back("seccomp: WARNING: the following syscalls are not defined in libseccomp and "
                      "cannot be blocked: " +
                      join(r.unknown));
    if (!r.failed.empty())
        out.push_back("seccomp: WARNING: the following syscalls cannot be blocked due to "
                      "unexpected errors: " +
                      join(r.failed));
    return out;
}

Report install() {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == nullptr)
        throw std::runtime_error("seccomp_init failed");
    struct Release {
        scmp_filter_ctx c;
        ~Release() { seccomp_release(c); }
    } release{ctx};
    add_compat_archs(ctx);
    uint32_t action = kill_action();
    Report r;
    for (std::string_view name : deny_list()) {
        std::string n(name);
        int nr = seccomp_syscall_resolve_name(n.c_str());
        if (nr == __NR_SCMP_ERROR) {
            r.unknown.push_back(n);
            continue;
        }
        if (seccomp_rule_add(ctx, action, nr, 0) < 0)
            r.failed.push_back(n);
        else
            r.blocked.push_back(n);
    }
    std::printf("%s\n", blocked_line(r).c_str());
    std::fflush(stdout);
    for (const std::string& w : warning_lines(r))
        common::log::write(common::log::Level::warn, w);
    int rc = seccomp_load(ctx);
    if (rc < 0) {
        common::log::error("seccomp: seccomp_load(): %s", std::strerror(-rc));
        throw std::runtime_error("enable_seccomp failed");
    }
    return r;
}

} // namespace slirp::seccomp
