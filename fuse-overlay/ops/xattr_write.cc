// SPDX-License-Identifier: Apache-2.0
// xattr_write.cc — setxattr/removexattr: the overlay's own names refused, the rest copied up and
// changed on the upper object (§2.4)
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/xattr.h"

namespace ovl {
namespace {

// The node, copied up, and the name `name` is kept under on the upper layer (encoded there for
// security.* and the overlay's own names in the containers mode, as upstream 1.14+).
struct Writable {
    Node* node;
    std::string key;
};

Result<Writable> writable_node(Overlay& ov, fuse_ino_t ino, std::string_view name) {
    if (ov.opts.noxattrs)
        return Errno{ENOSYS};
    std::string key;
    if (ov.has_upper)
        key = stored_xattr_name(name, ov.layers[0].override_mode() == OverrideMode::containers);
    else if (!is_internal_xattr(name))
        key = name;
    if (key.empty())
        return Errno{EPERM};
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    if (!ov.has_upper)
        return Errno{EROFS};
    // A user xattr change is metadata: under metacopy=on it need not copy the data.
    if (Result<void> r = copy_up_meta(ov, **n); !r)
        return r.error();
    return Writable{*n, std::move(key)};
}

} // namespace

Result<void> do_setxattr(Overlay& ov, fuse_ino_t ino, std::string_view name, std::string_view value,
                         int flags) {
    Result<Writable> n = writable_node(ov, ino, name);
    if (!n)
        return n.error();
    if (Result<void> r = ov.layers[0].setxattr(n->node->path, n->key.c_str(), value, flags); !r)
        return r;
    n->node->xattrs = Node::Xattrs::some;
    return {};
}

Result<void> do_removexattr(Overlay& ov, fuse_ino_t ino, std::string_view name) {
    Result<Writable> n = writable_node(ov, ino, name);
    if (!n)
        return n.error();
    if (Result<void> r = ov.layers[0].removexattr(n->node->path, n->key.c_str()); !r)
        return r;
    n->node->xattrs = Node::Xattrs::unknown;
    return {};
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                 int flags) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<void> r = do_setxattr(ov, ino, name, std::string_view(value, size), flags);
        fuse_reply_err(req, r ? 0 : r.error().value);
    });
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<void> r = do_removexattr(ov, ino, name);
        fuse_reply_err(req, r ? 0 : r.error().value);
    });
}

} // namespace ovl
