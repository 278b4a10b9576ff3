// SPDX-License-Identifier: Apache-2.0
// data.cc — the data side of writing: open for write (copy-up first), write_buf, fallocate,
// copy_file_range, fsync/fsyncdir and file locks on the upper fd
//
// No flush op, as upstream: a local upper reports write errors at write and fsync, not at close,
// and once the kernel has its ENOSYS it stops sending FLUSH (two round trips saved per
// open-write-close; the writeback cache is still written out at close).
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace ovl {
namespace {

// O_TRUNC of a lower file: the copy needs no data, only an empty file with the metadata.
Result<void> copy_up_truncated(Overlay& ov, Node& node) {
    if (node.layer == 0 || !S_ISREG(node.type))
        return copy_up(ov, node);
    if (Result<void> r = copy_up_parent_dirs(ov, node); !r)
        return r;
    Result<struct stat> st = node_layer(ov, node).stat(node.path);
    if (!st)
        return st.error();
    CopySpec spec = plain_spec(ov, node, *st);
    spec.with_data = false;
    spec.st.st_size = 0;
    return publish_copy(ov, node, spec, false, nullptr);
}

} // namespace

Result<common::UniqueFd> open_for_write(Overlay& ov, Node& node, int flags) {
    if (!ov.has_upper)
        return Errno{EROFS};
    Result<void> up = (flags & O_TRUNC) && !is_metacopy(ov, node) ? copy_up_truncated(ov, node)
                                                                  : copy_up(ov, node);
    if (!up)
        return up.error();
    // O_CREAT/O_EXCL were the kernel's business; O_DIRECT is stripped as upstream does. With the
    // writeback cache the kernel reads around partial writes and does appends itself.
    int keep = flags & (O_ACCMODE | O_TRUNC | O_APPEND | O_NONBLOCK | O_NOATIME | O_SYNC | O_DSYNC);
    if (ov.writeback) {
        if ((keep & O_ACCMODE) == O_WRONLY)
            keep = (keep & ~O_ACCMODE) | O_RDWR;
        keep &= ~O_APPEND;
    }
    Result<common::UniqueFd> fd = ov.layers[0].open(node.path, keep);
    if (!fd && fd.error().value == EPERM && (keep & O_NOATIME))
        fd = ov.layers[0].open(node.path, keep & ~O_NOATIME);
    return fd;
}

Result<void> do_fsync(const Overlay& ov, int fd, bool datasync) noexcept {
    if (!ov.opts.fsync)
        return {};
    int r = datasync ? fdatasync(fd) : fsync(fd);
    return r < 0 ? Result<void>(common::last_errno()) : Result<void>();
}

Result<void> do_fsyncdir(Overlay& ov, fuse_ino_t ino, bool datasync) {
    if (!ov.opts.fsync)
        return {};
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    if (!ov.has_upper || (*n)->layer != 0)
        return {}; // nothing of ours to flush
    Result<common::UniqueFd> fd = ov.layers[0].open((*n)->path, O_RDONLY | O_DIRECTORY);
    if (!fd)
        return fd.error();
    return do_fsync(ov, fd->get(), datasync);
}

void op_write_buf(fuse_req_t req, fuse_ino_t, fuse_bufvec* in, off_t off,
                  fuse_file_info* fi) noexcept {
    // No lock: only the fd is touched (pwrite/splice are atomic per call in the kernel).
    guard(
        req,
        [&](Overlay&) {
            fuse_bufvec out = fd_bufvec(static_cast<int>(fi->fh), fuse_buf_size(in), off);
            ssize_t n = fuse_buf_copy(&out, in, static_cast<fuse_buf_copy_flags>(0));
            if (n < 0)
                return (void)fuse_reply_err(req, static_cast<int>(-n));
            fuse_reply_write(req, static_cast<size_t>(n));
        },
        false);
}

void op_fallocate(fuse_req_t req, fuse_ino_t, int mode, off_t off, off_t len,
                  fuse_file_info* fi) noexcept {
    guard(
        req,
        [&](Overlay&) {
            int r = fallocate(static_cast<int>(fi->fh), mode, off, len);
            fuse_reply_err(req, r < 0 ? errno : 0);
        },
        false);
}

void op_copy_file_range(fuse_req_t req, fuse_ino_t, off_t off_in, fuse_file_info* fi_in, fuse_ino_t,
                        off_t off_out, fuse_file_info* fi_out, size_t len, int flags) noexcept {
    guard(
        req,
        [&](Overlay&) {
            loff_t i = off_in, o = off_out;
            ssize_t n =
                copy_file_range(static_cast<int>(fi_in->fh), &i, static_cast<int>(fi_out->fh), &o,
                                len, static_cast<unsigned>(flags));
            if (n < 0)
                return (void)fuse_reply_err(req, errno);
            fuse_reply_write(req, static_cast<size_t>(n));
        },
        false);
}

void op_fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) noexcept {
    guard(
        req,
        [&](Overlay& ov) {
            Result<void> r = do_fsync(ov, static_cast<int>(fi->fh), datasync != 0);
            fuse_reply_err(req, r ? 0 : r.error().value);
        },
        false);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info*) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<void> r = do_fsyncdir(ov, ino, datasync != 0);
        fuse_reply_err(req, r ? 0 : r.error().value);
    });
}

} // namespace ovl
