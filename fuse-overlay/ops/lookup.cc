// SPDX-License-Identifier: Apache-2.0
// lookup.cc — lookup and forget: names to nodes, and the kernel's references to them
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

namespace ovl {

Result<Node*> get_node(Overlay& ov, fuse_ino_t ino) noexcept {
    Node* n = ov.table.get(ino);
    if (n == nullptr)
        return Errno{ESTALE};
    return n;
}

Result<Node*> get_dir(Overlay& ov, fuse_ino_t ino) noexcept {
    Result<Node*> n = get_node(ov, ino);
    if (n && !(*n)->is_dir())
        return Errno{ENOTDIR};
    return n;
}

Result<DirChild> get_child(Overlay& ov, fuse_ino_t parent, std::string_view name) {
    Result<Node*> dir = get_dir(ov, parent);
    if (!dir)
        return dir.error();
    Result<Node*> child = find_child(ov, **dir, name);
    if (!child)
        return child.error();
    return DirChild{*dir, *child};
}

Result<fuse_entry_param> do_lookup(Overlay& ov, fuse_ino_t parent, std::string_view name) {
    Result<Node*> dir = get_dir(ov, parent);
    if (!dir)
        return dir.error();
    fuse_entry_param e{};
    e.entry_timeout = ov.opts.timeout;
    e.attr_timeout = ov.opts.timeout;
    if (name == "." || name == "..") // only sent with export support, which we do not offer
        return Errno{EINVAL};
    HeldDirs held(ov); // the stat resolve takes of a new node answers the reply's attributes
    Result<Node*> child = find_child(ov, **dir, name);
    if (!child)
        return child.error();
    if (*child == nullptr)
        return e; // negative entry, cached for `timeout` seconds like upstream
    return entry_of(ov, **child);
}

void do_forget(Overlay& ov, fuse_ino_t ino, uint64_t n) noexcept {
    ov.table.forget(ino, n);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<fuse_entry_param> e = do_lookup(ov, parent, name);
        if (!e)
            return (void)fuse_reply_err(req, e.error().value);
        fuse_reply_entry(req, &*e);
    });
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) noexcept {
    guard_noreply(req, [&](Overlay& ov) { do_forget(ov, ino, n); });
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* f) noexcept {
    guard_noreply(req, [&](Overlay& ov) {
        for (size_t i = 0; i < count; ++i)
            do_forget(ov, f[i].ino, f[i].nlookup);
    });
}

} // namespace ovl
