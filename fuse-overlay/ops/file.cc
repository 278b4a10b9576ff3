// SPDX-License-Identifier: Apache-2.0
// file.cc — open/read/release of the topmost object
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace ovl {

Result<common::UniqueFd> do_open(Overlay& ov, fuse_ino_t ino, int flags) {
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    if ((*n)->is_dir())
        return Errno{EISDIR};
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND | O_CREAT)) != 0)
        return open_for_write(ov, **n, flags);
    // O_DIRECT is stripped as upstream does; O_NOFOLLOW is added by Layer::open.
    int keep = flags & (O_NONBLOCK | O_NOATIME);
    if ((*n)->layer == 0 && ov.has_upper && S_ISREG((*n)->type)) {
        Result<DataSource> src = data_source(ov, **n); // a metacopy reads from below
        if (!src)
            return src.error();
        return ov.layers[src->layer].open(src->path, O_RDONLY | keep);
    }
    return node_layer(ov, **n).open((*n)->path, O_RDONLY | keep);
}

Result<size_t> do_read(int fd, char* buf, size_t size, off_t off) noexcept {
    for (;;) {
        ssize_t n = pread(fd, buf, size, off);
        if (n >= 0)
            return static_cast<size_t>(n);
        if (errno != EINTR)
            return common::last_errno();
    }
}

bool splice_pays_off() noexcept {
    // libfuse splices a read reply through a per-thread pipe made at its first use. A user over
    // fs.pipe-user-pages-soft gets 2-slot pipes: libfuse then moves one page per splice and falls
    // back to copying, 7x slower than a pread into our own buffer (measured, bench/overlay.sh);
    // with a normal pipe, splice is ~1.5x faster than the copy. So probe once per thread, when
    // libfuse makes its pipe too, and pick the path.
    thread_local int state = -1;
    if (state < 0) {
        int p[2];
        state = 0;
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
            state = fcntl(p[0], F_GETPIPE_SZ) >= 16 * 4096 ? 1 : 0;
            close(p[0]);
            close(p[1]);
        }
    }
    return state == 1;
}

fuse_bufvec fd_bufvec(int fd, size_t size, off_t off) noexcept {
    fuse_bufvec buf{};
    buf.count = 1;
    buf.buf[0].size = size;
    buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    buf.buf[0].fd = fd;
    buf.buf[0].pos = off;
    return buf;
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<common::UniqueFd> fd = do_open(ov, ino, fi->flags);
        if (!fd)
            return (void)fuse_reply_err(req, fd.error().value);
        fi->fh = file_handle(fd->release(), fi->flags);
        fi->keep_cache = ov.opts.timeout > 0;
        if (fuse_reply_open(req, fi) != 0)
            close(static_cast<int>(fi->fh));
    });
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) noexcept {
    // No lock: only the fd is touched, as upstream's read runs outside its mutex.
    guard(
        req,
        [&](Overlay&) {
            int fd = static_cast<int>(fi->fh);
            // Under two pages libfuse would not splice anyway: it mallocs a buffer per reply and
            // copies, so a random 4 KiB read takes the copy into our own buffer instead.
            if (size >= 2 * 4096 && splice_pays_off()) {
                fuse_bufvec buf = fd_bufvec(fd, size, off);
                return (void)fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
            }
            thread_local std::vector<char> mem;
            if (mem.size() < size)
                mem.resize(std::max(size, size_t{1} << 20)); // once per thread: max_write is 1 MiB
            Result<size_t> n = do_read(fd, mem.data(), size, off);
            if (!n)
                return (void)fuse_reply_err(req, n.error().value);
            fuse_reply_buf(req, mem.data(), *n);
        },
        false);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) noexcept {
    close(static_cast<int>(fi->fh));
    fuse_reply_err(req, 0);
}

} // namespace ovl
