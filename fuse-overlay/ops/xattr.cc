// SPDX-License-Identifier: Apache-2.0
// xattr.cc (ops) — getxattr/listxattr with the overlay's own xattrs hidden and, in the containers
// mode, security.* read from user.containers.override_security.* (§2.4)
#include "fuse-overlay/xattr.h"

#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <array>
#include <cstring>

namespace ovl {
namespace {

bool containers(const Layer& l) noexcept {
    return l.override_mode() == OverrideMode::containers;
}

void reply_value(fuse_req_t req, const std::string& v, size_t size) noexcept {
    if (size == 0)
        fuse_reply_xattr(req, v.size());
    else if (v.size() > size)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, v.data(), v.size());
}

// Asks the layer once whether the object has any xattr a client may see (layers do not change
// under a live mount): one carrying only our own or the kernel's overlay xattrs (say the origin
// of a copy-up) answers ENODATA without a syscall, as the security.capability lookup the kernel
// makes before every first write does. Errors, or a list too long to check here, count as
// "some", so the real call decides.
void learn_xattrs(Overlay& ov, Node& node) {
    std::array<char, 512> names;
    const Layer& layer = node_layer(ov, node);
    Result<size_t> len = layer.listxattr(node.path, names.data(), names.size());
    bool visible = !len;
    for (size_t pos = 0; len && pos < *len && !visible;) {
        size_t n = strnlen(names.data() + pos, *len - pos);
        visible =
            !visible_xattr_name(std::string_view(names.data() + pos, n), containers(layer)).empty();
        pos += n + 1;
    }
    node.xattrs = visible ? Node::Xattrs::some : Node::Xattrs::none;
}

// How many siblings one ask visits at most (bounds the request in a huge directory).
constexpr size_t sibling_batch = 256;

bool has_xattrs(Overlay& ov, Node& node) {
    if (node.xattrs == Node::Xattrs::unknown) {
        // `ls -l` (and the kernel's ACL fetch behind it) asks every entry of a directory in turn,
        // in the listing's order, which is the children map's: learn the siblings that follow
        // the node too, in one walk with the directory held (HeldDirs: one listxattrat each),
        // so their asks need no system call. The walk stops at the first sibling already known
        // (an earlier walk got there), so a file created in a directory of n entries costs
        // one visit, not n (the kernel asks security.capability before each first write).
        HeldDirs held(ov);
        learn_xattrs(ov, node);
        if (node.parent != nullptr) {
            auto& kids = node.parent->children;
            auto it = kids.find(node.name);
            if (it != kids.end())
                ++it;
            for (size_t seen = 0; it != kids.end() && seen < sibling_batch; ++it, ++seen) {
                Node* sib = ov.table.get(it->second);
                if (sib == nullptr)
                    continue;
                if (sib->xattrs != Node::Xattrs::unknown)
                    break;
                learn_xattrs(ov, *sib);
            }
        }
    }
    return node.xattrs == Node::Xattrs::some;
}

// What a name the object lacks answers. `ls -l` asks every entry for security.selinux (the
// kernel answers that itself where SELinux runs, so only hosts without it ask us) and stops
// asking for the rest of the filesystem only on EOPNOTSUPP: one round trip per `ls` instead of
// one per entry (docs/compat/fuse-overlayfs.md §2.10). A stored label still reads back.
Errno missing(const Overlay& ov, std::string_view name) noexcept {
    return Errno{ov.selinux_unsupported && name == "security.selinux" ? EOPNOTSUPP : ENODATA};
}

} // namespace

Result<std::string> do_getxattr(Overlay& ov, fuse_ino_t ino, std::string_view name) {
    if (ov.opts.noxattrs)
        return Errno{ENOSYS};
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    Node& node = **n;
    const Layer& layer = node_layer(ov, node);
    std::string stored = stored_xattr_name(name, containers(layer));
    if (stored.empty() || !has_xattrs(ov, node))
        return missing(ov, name);
    Result<std::string> v = layer.getxattr(node.path, stored.c_str());
    if (!v && v.error().value == ENODATA)
        return missing(ov, name);
    return v;
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
        std::string_view name =
            visible_xattr_name(std::string_view(all.data() + pos, len), containers(layer));
        if (!name.empty()) {
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
