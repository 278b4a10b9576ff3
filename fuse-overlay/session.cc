// SPDX-License-Identifier: Apache-2.0
// session.cc — the fuse_lowlevel_ops table, mount, daemonize and the request loop
#include "fuse-overlay/session.h"

#include "common/log.h"
#include "common/rlimit.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/ops/trace.h"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OVL_VERSION
#define OVL_VERSION "0"
#endif

namespace ovl {
namespace {

void op_init(void* userdata, fuse_conn_info* conn) noexcept {
    auto* ov = static_cast<Overlay*>(userdata);
    ov->hold_dirs_for_good();
    // Splice replies for read when it pays off (see splice_pays_off). Readdirplus stays on
    // libfuse's default (enabled, adaptive). POSIX ACLs unless noacl, as upstream: the kernel
    // then reads system.posix_acl_access through our getxattr.
    conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
    if (!ov->opts.noacl && !ov->opts.noxattrs)
        conn->want |= conn->capable & FUSE_CAP_POSIX_ACL;
    // Writes: spliced from the kernel into the upper fd; the writeback cache as upstream
    // (writeback=1), only where something can be written.
    conn->want |= conn->capable & FUSE_CAP_SPLICE_READ;
    if (ov->has_upper && ov->opts.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) {
        conn->want |= FUSE_CAP_WRITEBACK_CACHE;
        ov->writeback = true;
    }
    // Symlink targets never change in place (a new target is a new node), so the kernel may
    // keep them in its page cache (cache.bats replaces and renames over symlinks). Lookups and
    // readdirs of one directory may run side by side: the threaded loop serialises our state
    // under the big lock (ops/guard.h), so this only lets the kernel overlap its own part.
    conn->want |= conn->capable & (FUSE_CAP_CACHE_SYMLINKS | FUSE_CAP_PARALLEL_DIROPS);
    // Locks go to the backing fds only when a waiting lock cannot stall the whole loop
    // (locks.cc); single-threaded the kernel keeps them, as with upstream.
    if (!ov->opts.threaded)
        conn->want &= ~static_cast<unsigned>(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
    // Where SELinux runs, the kernel answers security.selinux itself (selinuxfs exists).
    ov->selinux_unsupported = access("/sys/fs/selinux", F_OK) != 0;
}

fuse_lowlevel_ops make_ops() {
    fuse_lowlevel_ops ops{};
    ops.init = op_init;
    ops.lookup = op_lookup;
    ops.forget = op_forget;
    ops.forget_multi = op_forget_multi;
    ops.getattr = op_getattr;
    ops.readlink = op_readlink;
    ops.opendir = op_opendir;
    ops.readdir = op_readdir;
    ops.readdirplus = op_readdirplus;
    ops.releasedir = op_releasedir;
    ops.open = op_open;
    ops.read = op_read;
    ops.release = op_release;
    ops.statfs = op_statfs;
    ops.getxattr = op_getxattr;
    ops.listxattr = op_listxattr;
    ops.setattr = op_setattr;
    ops.mknod = op_mknod;
    ops.mkdir = op_mkdir;
    ops.unlink = op_unlink;
    ops.rmdir = op_rmdir;
    ops.symlink = op_symlink;
    ops.rename = op_rename;
    ops.link = op_link;
    ops.create = op_create;
    ops.setxattr = op_setxattr;
    ops.write_buf = op_write_buf;
    ops.fallocate = op_fallocate;
    ops.copy_file_range = op_copy_file_range;
    ops.fsync = op_fsync;
    ops.fsyncdir = op_fsyncdir;
    ops.ioctl = op_ioctl;
    ops.flock = op_flock;
    ops.getlk = op_getlk;
    ops.setlk = op_setlk;
    ops.removexattr = op_removexattr;
    return ops;
}

// "# INODES: n\n# NODES: n\n" on SIGUSR1, async-signal-safe.
void append_num(char*& p, size_t v) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
}

void on_sigusr1(int) {
    int saved = errno;
    char buf[96];
    char* p = buf;
    size_t n = InodeTable::live_nodes.load();
    for (const char* label : {"# INODES: ", "# NODES: "}) {
        for (const char* c = label; *c; ++c)
            *p++ = *c;
        append_num(p, n);
        *p++ = '\n';
    }
    (void)!write(STDERR_FILENO, buf, static_cast<size_t>(p - buf));
    errno = saved;
}

// libfuse re-splits "-o" values on ',', so escape what we joined.
std::string join_fuse_opts(const std::vector<std::string>& opts) {
    std::string out;
    for (const std::string& o : opts) {
        if (!out.empty())
            out.push_back(',');
        for (char c : o) {
            if (c == ',' || c == '\\')
                out.push_back('\\');
            out.push_back(c);
        }
    }
    return out;
}

// fuse_session_new() may reallocate the argument vector; free it whatever happens.
struct ArgsGuard {
    fuse_args* args;
    ~ArgsGuard() { fuse_opt_free_args(args); }
};

struct SessionDeleter {
    void operator()(fuse_session* se) const noexcept { fuse_session_destroy(se); }
};

} // namespace

int run(OverlayOptions opts, const char* argv0) {
    if (opts.action == OverlayOptions::Action::help) {
        std::printf("usage: %s [options] <mountpoint>\n\n", argv0);
        fuse_cmdline_help();
        fuse_lowlevel_help();
        return 0;
    }
    if (opts.action == OverlayOptions::Action::version) {
        std::printf("fuse-overlayfs: version %s\n", OVL_VERSION);
        std::printf("FUSE library version %s\n", fuse_pkgversion());
        std::fflush(stdout);
        fuse_lowlevel_version();
        return 0;
    }
    if (opts.debug)
        common::log::set_level(common::log::Level::debug);
    for (const std::string& line : opts.debug_banner)
        common::log::write_raw(line + "\n");
    (void)common::raise_nofile(SIZE_MAX); // as upstream does at start
    umask(0);
    std::string mountpoint = opts.mountpoint;
    std::string fuse_o = join_fuse_opts(opts.fuse_opts);
    std::unique_ptr<Overlay> ov = open_overlay(std::move(opts));

    std::string arg0 = "fuse-overlayfs", dash_o = "-o";
    char* argv[] = {arg0.data(), dash_o.data(), fuse_o.data(), nullptr};
    fuse_args args = FUSE_ARGS_INIT(3, argv);
    ArgsGuard args_guard{&args};
    fuse_lowlevel_ops ops = make_ops();
    if (ov->opts.debug)
        use_traced_ops(ops); // upstream's "ovl_lookup(parent=1, name=a)" lines
    std::unique_ptr<fuse_session, SessionDeleter> se(
        fuse_session_new(&args, &ops, sizeof ops, ov.get()));
    if (!se)
        common::throw_errno("cannot create FUSE session");
    if (fuse_set_signal_handlers(se.get()) != 0)
        common::throw_errno("cannot set signal handlers");
    std::signal(SIGUSR1, on_sigusr1);
    if (fuse_session_mount(se.get(), mountpoint.c_str()) != 0) {
        int e = errno;
        fuse_remove_signal_handlers(se.get());
        common::throw_error(e, "cannot mount");
    }
    // The launching process exits 0 only now that the mount is live (fuse_daemonize's pipe).
    if (fuse_daemonize(ov->opts.foreground ? 1 : 0) != 0) {
        fuse_session_unmount(se.get());
        fuse_remove_signal_handlers(se.get());
        throw std::runtime_error("cannot daemonize");
    }
    int ret = 0;
    if (ov->opts.threaded) {
        fuse_loop_config* cfg = fuse_loop_cfg_create();
        fuse_loop_cfg_set_clone_fd(cfg, 1);
        fuse_loop_cfg_set_idle_threads(cfg, 10);
        ret = fuse_session_loop_mt(se.get(), cfg);
        fuse_loop_cfg_destroy(cfg);
    } else {
        ret = fuse_session_loop(se.get());
    }
    fuse_session_unmount(se.get());
    fuse_remove_signal_handlers(se.get());
    return ret == 0 ? 0 : 1;
}

} // namespace ovl
