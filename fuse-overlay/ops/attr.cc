// SPDX-License-Identifier: Apache-2.0
// attr.cc — getattr and readlink
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

namespace ovl {

Result<struct stat> do_getattr(Overlay& ov, fuse_ino_t ino) {
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    return node_stat(ov, **n);
}

Result<std::string> do_readlink(Overlay& ov, fuse_ino_t ino) {
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    if (!S_ISLNK((*n)->type))
        return Errno{EINVAL};
    return node_layer(ov, **n).readlink((*n)->path);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<struct stat> st = do_getattr(ov, ino);
        if (!st)
            return (void)fuse_reply_err(req, st.error().value);
        fuse_reply_attr(req, &*st, ov.opts.timeout);
    });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<std::string> target = do_readlink(ov, ino);
        if (!target)
            return (void)fuse_reply_err(req, target.error().value);
        fuse_reply_readlink(req, target->c_str());
    });
}

} // namespace ovl
