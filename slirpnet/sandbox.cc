// SPDX-License-Identifier: Apache-2.0
// sandbox.cc — --enable-sandbox, as slirp4netns' create_sandbox() (docs/compat/slirp4netns.md §5.1)
//
// Theory of operation: the sandbox runs once, after everything that needs the host's file
// system (tap fd received, resolv.conf read, API socket bound and listening) and before
// seccomp and the ready fd, so "ready" means "confined". Stages, in order; each is
// irreversible, and a later stage would be impossible after an earlier one:
//   0. Credentials (euid != 0 only, join_target_userns): join the *target* user namespace, where
//      we hold every capability, then setegid(0)/seteuid(0). The network namespace is not
//      joined: our sockets must stay host sockets. Without this an unprivileged process could
//      not unshare a mount namespace or mount anything.
//   1. Mount namespace: unshare(CLONE_NEWNS), make / private so nothing propagates back to
//      the host.
//   2. New root: a 1 KiB tmpfs on /tmp holding etc/, run/ and old/; /etc and /run are rbound
//      into it (rslave, nosuid, nodev, noexec, read-only); /etc/resolv.conf stays readable, so
//      DNS keeps following it (1.2.1: a resolv.conf symlink leading outside /etc and /run is
//      bound as well). pivot_root into it, detach and remove the old root, remount the new
//      root read-only (failure ignored, upstream #163). The API socket's path is now gone:
//      it is not unlinked at exit, as upstream.
//   3. No new privileges: PR_SET_NO_NEW_PRIVS (also what seccomp needs without CAP_SYS_ADMIN).
//   4. Capabilities: clear the ambient set, drop the bounding set except CAP_NET_BIND_SERVICE,
//      and capset effective = permitted = inheritable = CAP_NET_BIND_SERVICE (binding ports
//      below 1024 for add_hostfwd keeps working).

#include "slirpnet/sandbox.h"

#include "common/error.h"
#include "common/log.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace slirp::sandbox {

namespace {

/// Upstream prints a line and gives up; the caller adds "create_sandbox failed".
[[noreturn]] void fail(const std::string& msg) {
    common::log::write(common::log::Level::error, msg);
    throw std::runtime_error("create_sandbox failed");
}

/// Stage 2 helper: rbind `from` onto `to`, slave, nosuid/nodev/noexec, then read-only.
void add_mount(const char* from, const char* to) {
    if (mount("", from, "", MS_SLAVE | MS_REC, nullptr) < 0 && errno != EINVAL)
        fail(common::strprintf("cannot make mount propagation slave %s", from));
    if (mount(from, to, "", MS_BIND | MS_REC | MS_SLAVE | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) < 0)
        fail(common::strprintf("cannot bind mount %s to %s (errno: %d)", from, to, errno));
    if (mount("", to, "", MS_SLAVE | MS_REC, nullptr) < 0)
        fail(common::strprintf("cannot make mount propagation slave %s", to));
    if (mount("", to, "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) < 0)
        fail(common::strprintf("cannot remount ro %s", to));
}

bool under(const std::string& path, const char* dir) {
    size_t n = std::strlen(dir);
    return path.compare(0, n, dir) == 0 && (path.size() == n || path[n] == '/');
}

/// 1.2.1: resolv.conf resolving outside /etc and /run (systemd-resolved stub elsewhere, NixOS,
/// WSL) would be unreadable after pivot_root: bind that one file too, at the same path.
void bind_resolv_conf_target() {
    char real[PATH_MAX];
    if (realpath("/etc/resolv.conf", real) == nullptr)
        return;
    std::string r(real);
    if (under(r, "/etc") || under(r, "/run"))
        return;
    std::printf("sandbox: /etc/resolv.conf (-> %s) seems a symlink to a file outside {/etc, /run}, "
                "attempting to bind it as well.\n",
                r.c_str());
    std::string dst = "/tmp" + r;
    // mkdir -p of the parents inside the new root, then an empty file to bind onto.
    for (size_t i = 5; (i = dst.find('/', i + 1)) != std::string::npos;)
        mkdir(dst.substr(0, i).c_str(), 0755);
    int fd = open(dst.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    add_mount(r.c_str(), dst.c_str());
}

} // namespace

void join_target_userns(const Options& o) {
    if (geteuid() == 0)
        return;
    std::string userns = !o.userns_path.empty() ? o.userns_path
                         : o.target_pid > 0 ? common::strprintf("/proc/%d/ns/user", o.target_pid)
                                            : std::string();
    if (!userns.empty()) {
        int fd = open(userns.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)setns(fd, CLONE_NEWUSER); // failure ignored, as slirp4netns' nsenter()
            close(fd);
        }
    }
    if (setegid(0) < 0)
        throw std::runtime_error("setegid(0)");
    if (seteuid(0) < 0)
        throw std::runtime_error("seteuid(0)");
}

void create() {
    // Stage 1: a private mount namespace.
    if (unshare(CLONE_NEWNS) < 0)
        fail("cannot unshare new mount namespace");
    if (mount("", "/", "", MS_PRIVATE | MS_REC, nullptr) < 0)
        fail("cannot remount / private");

    // Stage 2: the new root, with /etc and /run only.
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1k") < 0)
        fail("cannot mount tmpfs on /tmp");
    for (const char* d : {"/tmp/etc", "/tmp/old", "/tmp/run"})
        if (mkdir(d, 0755) < 0)
            fail(common::strprintf("cannot mkdir %s", d));
    add_mount("/etc", "/tmp/etc");
    add_mount("/run", "/tmp/run");
    bind_resolv_conf_target();
    if (chdir("/tmp") < 0)
        fail("cannot chdir to /tmp");
    if (syscall(SYS_pivot_root, ".", "old") < 0)
        fail("cannot pivot_root to /tmp");
    if (chdir("/") < 0)
        fail("cannot chdir to /");
    if (umount2("/old", MNT_DETACH) < 0)
        fail("cannot umount /old");
    if (rmdir("/old") < 0)
        fail("cannot rmdir /old");
    // Read-only root; upstream ignores a failure here (#163).
    (void)mount("tmpfs", "/", "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "size=0k");

    // Stage 3: no new privileges.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail("prctl(PR_SET_NO_NEW_PRIVS)");

    // Stage 4: capabilities.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        fail("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    for (unsigned cap = 0;; ++cap) {
        if (cap == kept_capability)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) // past the kernel's last capability
                break;
            fail("prctl(PR_CAPBSET_DROP)");
        }
    }
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    data[0].effective = data[0].permitted = data[0].inheritable =
        static_cast<uint32_t>(kept_capability_mask);
    if (syscall(SYS_capset, &hdr, data) < 0)
        fail(common::strprintf("capset(0x%x)", static_cast<unsigned>(kept_capability_mask)));
}

} // namespace slirp::sandbox
