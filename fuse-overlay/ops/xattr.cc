// SPDX-License-Identifier: Apache-2.0
// xattr.cc (ops) — getxattr/listxattr with the overlay's own xattrs hidden (§2.4)
#include "fuse-overlay/xattr.h"

#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <cstring>

namespace ovl {
namespace {

void reply_value(fuse_req_t req, const std::string& v, size_t size) noexcept {
    if (size == 0)
        fuse_reply_xattr(req, v.size());
    else if (v.size() > size)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, v.data(), v.size());
}

// Asks the layer once whether the object has any xattr at all (layers do not change under a
// live mount); errors count as "some", so the real call reports them.
bool has_xattrs(Overlay& ov, Node& node) {
    if (node.xattrs == Node::Xattrs::unknown) {
        Result<size_t> len = node_layer(ov, node).listxattr(node.path, nullptr, 0);
        node.xattrs = len && *len == 0 ? Node::Xattrs::none : Node::Xattrs::some;
    }
    return node.xattrs == Node::Xattrs::some;
}

} // namespace

Result<std::string> do_getxattr(Overlay& ov, fuse_ino_t ino, std::string_view name) {
    if (ov.opts.noxattrs)
        return Errno{ENOSYS};
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    Node& node = **n;
    if (is_internal_xattr(name) || !has_xattrs(ov, node))
        return Errno{ENODATA};
    return node_layer(ov, node).getxattr(node.path, std::string(name).c_str());
}

Result<std::string> do_listxattr(Overlay& ov, fuse_ino_t ino) {
    if (ov.opts.noxattrs)
        return Errno{ENOSYS};
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    if (!has_xattrs(ov, **n))
        return std::string();
    const Layer& layer = node_layer(ov, **n);
    std::string all;
    for (int attempt = 0; attempt < 4; ++attempt) {
        Result<size_t> len = layer.listxattr((*n)->path, nullptr, 0);
        if (!len)
            return len.error();
        all.assign(*len, '\0');
        Result<size_t> got = layer.listxattr((*n)->path, all.data(), all.size());
        if (got) {
            all.resize(*got);
            break;
        }
        if (got.error().value != ERANGE)
            return got.error();
    }
    std::string out;
    for (size_t pos = 0; pos < all.size();) {
        size_t len = strnlen(all.data() + pos, all.size() - pos);
        std::string_view name(all.data() + pos, len);
        if (!name.empty() && !is_internal_xattr(name)) {
            out.append(name);
            out.push_back('\0');
        }
        pos += len + 1;
    }
    return out;
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<std::string> v = do_getxattr(ov, ino, name);
        if (!v)
            return (void)fuse_reply_err(req, v.error().value);
        reply_value(req, *v, size);
    });
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<std::string> v = do_listxattr(ov, ino);
        if (!v)
            return (void)fuse_reply_err(req, v.error().value);
        reply_value(req, *v, size);
    });
}

} // namespace ovl
