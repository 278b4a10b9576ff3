// SPDX-License-Identifier: Apache-2.0
// statfs.cc — statfs of the upper layer (or the top lower) with namemax reduced by 4 (§2.1)
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

namespace ovl {

Result<struct statvfs> do_statfs(Overlay& ov) {
    struct statvfs sv {};
    if (fstatvfs(ov.layers.front().fd(), &sv) < 0)
        return common::last_errno();
    // Room for the ".wh." prefix of a whiteout for any name we accept.
    sv.f_namemax = sv.f_namemax > 4 ? sv.f_namemax - 4 : sv.f_namemax;
    return sv;
}

void op_statfs(fuse_req_t req, fuse_ino_t) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<struct statvfs> sv = do_statfs(ov);
        if (!sv)
            return (void)fuse_reply_err(req, sv.error().value);
        fuse_reply_statfs(req, &*sv);
    });
}

} // namespace ovl
