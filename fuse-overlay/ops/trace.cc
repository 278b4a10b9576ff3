// SPDX-License-Identifier: Apache-2.0
// trace.cc — fuse-overlayfs' per-op debug lines on stderr, as wrappers swapped in under debug
//
// Each wrapper prints the line upstream's handler prints when debug is on, with upstream's
// format (scripts and bug reports grep these: "ovl_lookup(parent=1, name=a)"), then calls the op.
// Upstream's quirks are kept on purpose: readdir's offset and fallocate's offset are octal (%lo),
// rename and symlink call the parent "ino", mknod/mkdir print the mode in decimal. The ops
// upstream prints nothing for (init, statfs, and the lock ops it does not have) get no wrapper.
// One fprintf per line: glibc writes a whole formatted line to unbuffered stderr in one write,
// so lines from threaded=1 workers do not interleave.
#include "fuse-overlay/ops/trace.h"

#include "fuse-overlay/ops/ops.h"

#include <cinttypes>
#include <climits>
#include <cstdio>
#include <sys/types.h>
#include <type_traits>

namespace ovl {
namespace {

// Upstream passes these to %lu/%lo/%zd/%d; convert explicitly so the output matches.
inline unsigned long ul(off_t v) noexcept {
    return static_cast<unsigned long>(v);
}
inline ssize_t zd(size_t v) noexcept {
    return static_cast<ssize_t>(v);
}

void t_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
    std::fprintf(stderr, "ovl_lookup(parent=%" PRIu64 ", name=%s)\n", uint64_t{parent}, name);
    op_lookup(req, parent, name);
}

void t_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) noexcept {
    std::fprintf(stderr, "ovl_forget(ino=%" PRIu64 ", nlookup=%lu)\n", uint64_t{ino},
                 static_cast<unsigned long>(n));
    op_forget(req, ino, n);
}

void t_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* f) noexcept {
    std::fprintf(stderr, "ovl_forget_multi(count=%zu, forgets=%p)\n", count, static_cast<void*>(f));
    op_forget_multi(req, count, f);
}

void t_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_getattr(ino=%" PRIu64 ")\n", uint64_t{ino});
    op_getattr(req, ino, fi);
}

void t_readlink(fuse_req_t req, fuse_ino_t ino) noexcept {
    std::fprintf(stderr, "ovl_readlink(ino=%" PRIu64 ")\n", uint64_t{ino});
    op_readlink(req, ino);
}

void t_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_opendir(ino=%" PRIu64 ")\n", uint64_t{ino});
    op_opendir(req, ino, fi);
}

void t_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
               fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_readdir(ino=%" PRIu64 ", size=%zu, offset=%lo)\n", uint64_t{ino},
                 size, ul(off));
    op_readdir(req, ino, size, off, fi);
}

void t_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_readdirplus(ino=%" PRIu64 ", size=%zu, offset=%lo)\n", uint64_t{ino},
                 size, ul(off));
    op_readdirplus(req, ino, size, off, fi);
}

void t_releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_releasedir(ino=%" PRIu64 ")\n", uint64_t{ino});
    op_releasedir(req, ino, fi);
}

void t_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_open(ino=%" PRIu64 ")\n", uint64_t{ino});
    op_open(req, ino, fi);
}

void t_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_read(ino=%" PRIu64 ", size=%zd, off=%lu)\n", uint64_t{ino}, zd(size),
                 ul(off));
    op_read(req, ino, size, off, fi);
}

void t_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_release(ino=%" PRIu64 ")\n", uint64_t{ino});
    op_release(req, ino, fi);
}

void t_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) noexcept {
    std::fprintf(stderr, "ovl_getxattr(ino=%" PRIu64 ", name=%s, size=%zu)\n", uint64_t{ino}, name,
                 size);
    op_getxattr(req, ino, name, size);
}

void t_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) noexcept {
    std::fprintf(stderr, "ovl_listxattr(ino=%" PRIu64 ", size=%zu)\n", uint64_t{ino}, size);
    op_listxattr(req, ino, size);
}

void t_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
               fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_setattr(ino=%" PRIu64 ", to_set=%d)\n", uint64_t{ino}, to_set);
    op_setattr(req, ino, attr, to_set, fi);
}

void t_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
             dev_t rdev) noexcept {
    std::fprintf(stderr, "ovl_mknod(ino=%" PRIu64 ", name=%s, mode=%d, rdev=%lu)\n",
                 uint64_t{parent}, name, static_cast<int>(mode), static_cast<unsigned long>(rdev));
    op_mknod(req, parent, name, mode, rdev);
}

void t_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) noexcept {
    std::fprintf(stderr, "ovl_mkdir(ino=%" PRIu64 ", name=%s, mode=%d)\n", uint64_t{parent}, name,
                 static_cast<int>(mode));
    op_mkdir(req, parent, name, mode);
}

void t_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
    std::fprintf(stderr, "ovl_unlink(parent=%" PRIu64 ", name=%s)\n", uint64_t{parent}, name);
    op_unlink(req, parent, name);
}

void t_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
    std::fprintf(stderr, "ovl_rmdir(parent=%" PRIu64 ", name=%s)\n", uint64_t{parent}, name);
    op_rmdir(req, parent, name);
}

void t_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) noexcept {
    std::fprintf(stderr, "ovl_symlink(link=%s, ino=%" PRIu64 ", name=%s)\n", link, uint64_t{parent},
                 name);
    op_symlink(req, link, parent, name);
}

void t_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags) noexcept {
    // Upstream's line has the space before the comma.
    std::fprintf(stderr, "ovl_rename(ino=%" PRIu64 ", name=%s , ino=%" PRIu64 ", name=%s)\n",
                 uint64_t{parent}, name, uint64_t{newparent}, newname);
    op_rename(req, parent, name, newparent, newname, flags);
}

void t_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) noexcept {
    std::fprintf(stderr, "ovl_link(ino=%" PRIu64 ", newparent=%" PRIu64 ", newname=%s)\n",
                 uint64_t{ino}, uint64_t{newparent}, newname);
    op_link(req, ino, newparent, newname);
}

void t_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_create(parent=%" PRIu64 ", name=%s)\n", uint64_t{parent}, name);
    op_create(req, parent, name, mode, fi);
}

void t_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags) noexcept {
    // Upstream prints the value with a bare %s; the value is not NUL-terminated in the request,
    // so bound it by its size (the same text for any value without a NUL in it).
    int shown = size > INT_MAX ? INT_MAX : static_cast<int>(size);
    std::fprintf(stderr, "ovl_setxattr(ino=%" PRIu64 ", name=%s, value=%.*s, size=%zu, flags=%d)\n",
                 uint64_t{ino}, name, shown, value, size, flags);
    op_setxattr(req, ino, name, value, size, flags);
}

void t_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) noexcept {
    std::fprintf(stderr, "ovl_removexattr(ino=%" PRIu64 ", name=%s)\n", uint64_t{ino}, name);
    op_removexattr(req, ino, name);
}

void t_write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t off,
                 fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_write_buf(ino=%" PRIu64 ", size=%zd, off=%lu, fd=%d)\n",
                 uint64_t{ino}, zd(fuse_buf_size(in)), ul(off), static_cast<int>(fi->fh));
    op_write_buf(req, ino, in, off, fi);
}

void t_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                 fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_fallocate(ino=%" PRIu64 ", mode=%d, offset=%lo, length=%lu, fi=%p)\n",
                 uint64_t{ino}, mode, ul(off), ul(len), static_cast<void*>(fi));
    op_fallocate(req, ino, mode, off, len, fi);
}

void t_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                       fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                       int flags) noexcept {
    std::fprintf(stderr,
                 "ovl_copy_file_range(ino_in=%" PRIu64 ", off_in=%lo, fi_in=%p, ino_out=%" PRIu64
                 ", off_out=%lo, fi_out=%p, size=%zu, flags=%d)\n",
                 uint64_t{ino_in}, ul(off_in), static_cast<void*>(fi_in), uint64_t{ino_out},
                 ul(off_out), static_cast<void*>(fi_out), len, flags);
    op_copy_file_range(req, ino_in, off_in, fi_in, ino_out, off_out, fi_out, len, flags);
}

void t_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_fsync(ino=%" PRIu64 ", datasync=%d, fi=%p)\n", uint64_t{ino},
                 datasync, static_cast<void*>(fi));
    op_fsync(req, ino, datasync, fi);
}

void t_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) noexcept {
    std::fprintf(stderr, "ovl_fsyncdir(ino=%" PRIu64 ", datasync=%d, fi=%p)\n", uint64_t{ino},
                 datasync, static_cast<void*>(fi));
    op_fsyncdir(req, ino, datasync, fi);
}

void t_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void* arg, fuse_file_info* fi,
             unsigned flags, const void* in_buf, size_t in_bufsz, size_t out_bufsz) noexcept {
    std::fprintf(stderr,
                 "ovl_ioctl(ino=%" PRIu64
                 ", cmd=%d, arg=%p, fi=%p, flags=%d, buf=%p, in_bufsz=%zu, "
                 "out_bufsz=%zu)\n",
                 uint64_t{ino}, static_cast<int>(cmd), arg, static_cast<void*>(fi),
                 static_cast<int>(flags), in_buf, in_bufsz, out_bufsz);
    op_ioctl(req, ino, cmd, arg, fi, flags, in_buf, in_bufsz, out_bufsz);
}

// Swaps in `traced` only where `slot` holds the op it wraps, so a slot left empty (or given
// another handler) is not changed.
template <class Fn>
void wrap(Fn& slot, std::type_identity_t<Fn> bare, std::type_identity_t<Fn> traced) noexcept {
    if (slot == bare)
        slot = traced;
}

} // namespace

void use_traced_ops(fuse_lowlevel_ops& ops) noexcept {
    wrap(ops.lookup, &op_lookup, &t_lookup);
    wrap(ops.forget, &op_forget, &t_forget);
    wrap(ops.forget_multi, &op_forget_multi, &t_forget_multi);
    wrap(ops.getattr, &op_getattr, &t_getattr);
    wrap(ops.readlink, &op_readlink, &t_readlink);
    wrap(ops.opendir, &op_opendir, &t_opendir);
    wrap(ops.readdir, &op_readdir, &t_readdir);
    wrap(ops.readdirplus, &op_readdirplus, &t_readdirplus);
    wrap(ops.releasedir, &op_releasedir, &t_releasedir);
    wrap(ops.open, &op_open, &t_open);
    wrap(ops.read, &op_read, &t_read);
    wrap(ops.release, &op_release, &t_release);
    wrap(ops.getxattr, &op_getxattr, &t_getxattr);
    wrap(ops.listxattr, &op_listxattr, &t_listxattr);
    wrap(ops.setattr, &op_setattr, &t_setattr);
    wrap(ops.mknod, &op_mknod, &t_mknod);
    wrap(ops.mkdir, &op_mkdir, &t_mkdir);
    wrap(ops.unlink, &op_unlink, &t_unlink);
    wrap(ops.rmdir, &op_rmdir, &t_rmdir);
    wrap(ops.symlink, &op_symlink, &t_symlink);
    wrap(ops.rename, &op_rename, &t_rename);
    wrap(ops.link, &op_link, &t_link);
    wrap(ops.create, &op_create, &t_create);
    wrap(ops.setxattr, &op_setxattr, &t_setxattr);
    wrap(ops.removexattr, &op_removexattr, &t_removexattr);
    wrap(ops.write_buf, &op_write_buf, &t_write_buf);
    wrap(ops.fallocate, &op_fallocate, &t_fallocate);
    wrap(ops.copy_file_range, &op_copy_file_range, &t_copy_file_range);
    wrap(ops.fsync, &op_fsync, &t_fsync);
    wrap(ops.fsyncdir, &op_fsyncdir, &t_fsyncdir);
    wrap(ops.ioctl, &op_ioctl, &t_ioctl);
}

} // namespace ovl
