// SPDX-License-Identifier: Apache-2.0
// locks.cc — flock and POSIX locks passed through to the backing fd (with -o threaded=1)
//
// Each FUSE open has its own backing fd, so flock(2) on it and open-file-description (OFD) locks
// on it conflict exactly between different opens. A waiting lock blocks its worker thread, which
// only the multi-threaded loop can afford; single-threaded, session.cc leaves locking to the
// kernel (upstream's behaviour: locks stay local, blocking works).
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <fcntl.h>
#include <sys/file.h>

namespace ovl {

Result<void> do_flock(int fd, int op) noexcept {
    for (;;) {
        if (flock(fd, op) == 0)
            return {};
        if (errno != EINTR)
            return common::last_errno();
    }
}

Result<void> do_getlk(int fd, struct flock& lock) noexcept {
    lock.l_pid = 0; // required for OFD locks
    if (fcntl(fd, F_OFD_GETLK, &lock) < 0)
        return common::last_errno();
    return {};
}

Result<void> do_setlk(int fd, struct flock lock, bool wait) noexcept {
    lock.l_pid = 0;
    for (;;) {
        if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock) == 0)
            return {};
        if (errno != EINTR)
            return common::last_errno();
    }
}

void op_flock(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, int op) noexcept {
    // Not under the big lock: a waiting flock must not stop the request that releases it.
    Result<void> r = do_flock(static_cast<int>(fi->fh), op);
    fuse_reply_err(req, r ? 0 : r.error().value);
}

void op_getlk(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, struct flock* lock) noexcept {
    Result<void> r = do_getlk(static_cast<int>(fi->fh), *lock);
    if (!r)
        return (void)fuse_reply_err(req, r.error().value);
    fuse_reply_lock(req, lock);
}

void op_setlk(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, struct flock* lock,
              int sleep) noexcept {
    Result<void> r = do_setlk(static_cast<int>(fi->fh), *lock, sleep != 0);
    fuse_reply_err(req, r ? 0 : r.error().value);
}

} // namespace ovl
