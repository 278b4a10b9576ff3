// SPDX-License-Identifier: Apache-2.0
// guard.h — runs an op body so that no exception crosses libfuse's C callbacks (docs/style.md B4)
#pragma once

#include "common/log.h"
#include "fuse-overlay/overlay.h"

#include <fuse_lowlevel.h>

#include <exception>
#include <mutex>
#include <new>

namespace ovl {

inline Overlay& overlay_of(fuse_req_t req) noexcept {
    return *static_cast<Overlay*>(fuse_req_userdata(req));
}

/// Runs fn(Overlay&) under the big lock when threaded; std::bad_alloc replies ENOMEM, any other
/// exception EIO plus a log line. `fn` must reply exactly once, as its last action.
template <class F> void guard(fuse_req_t req, F&& fn, bool lock = true) noexcept {
    Overlay& ov = overlay_of(req);
    try {
        std::unique_lock<std::mutex> lk(ov.mu, std::defer_lock);
        if (lock && ov.opts.threaded)
            lk.lock();
        fn(ov);
    } catch (const std::bad_alloc&) {
        fuse_reply_err(req, ENOMEM);
    } catch (const std::exception& e) {
        common::log::error("internal error: %s", e.what());
        fuse_reply_err(req, EIO);
    } catch (...) {
        fuse_reply_err(req, EIO);
    }
}

/// For forget, which must not reply.
template <class F> void guard_noreply(fuse_req_t req, F&& fn) noexcept {
    Overlay& ov = overlay_of(req);
    try {
        std::unique_lock<std::mutex> lk(ov.mu, std::defer_lock);
        if (ov.opts.threaded)
            lk.lock();
        fn(ov);
    } catch (...) {
        common::log::error("internal error in forget");
    }
    fuse_reply_none(req);
}

} // namespace ovl
