// SPDX-License-Identifier: Apache-2.0
// rename.cc — rename with RENAME_NOREPLACE and RENAME_EXCHANGE (§2.7): files are copied up and
// renamed in upper with a whiteout left where a lower layer holds the old name; directories move
// only when they exist in upper alone (EXDEV otherwise, as upstream and kernel overlayfs without
// redirect_dir); a directory landing over a lower name becomes opaque
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/names.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/whiteout.h"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace ovl {
namespace {

struct Side {
    Node* dir = nullptr;
    Node* node = nullptr; ///< nullptr when the name is not visible
    std::string name;
    std::string path; ///< in every layer
};

Result<Side> side(Overlay& ov, fuse_ino_t parent, std::string_view name) {
    if (is_reserved_name(name))
        return Errno{EINVAL};
    Result<DirChild> dc = get_child(ov, parent, name);
    if (!dc)
        return dc.error();
    return Side{dc->dir, dc->child, std::string(name), join_path(dc->dir->path, name)};
}

// The checks rename(2) makes before touching anything.
Result<void> check(Overlay& ov, const Side& from, const Side& to, unsigned flags) {
    if (from.node == nullptr)
        return Errno{ENOENT};
    if ((flags & RENAME_NOREPLACE) != 0 && to.node != nullptr)
        return Errno{EEXIST};
    if ((flags & RENAME_EXCHANGE) != 0 && to.node == nullptr)
        return Errno{ENOENT};
    if (!ov.has_upper)
        return Errno{EROFS};
    if (from.node->is_dir() && !upper_only(*from.node))
        return Errno{EXDEV};
    if ((flags & RENAME_EXCHANGE) != 0) {
        if (to.node->is_dir() && !upper_only(*to.node))
            return Errno{EXDEV};
        return {};
    }
    if (to.node == nullptr)
        return {};
    if (from.node->is_dir() && !to.node->is_dir())
        return Errno{ENOTDIR};
    if (!from.node->is_dir() && to.node->is_dir())
        return Errno{EISDIR};
    if (to.node->is_dir()) {
        if (Result<void> l = load_dir(ov, *to.node); !l)
            return l;
        if (!to.node->children.empty())
            return Errno{ENOTEMPTY};
    }
    return {};
}

// Copies up both parents (and the objects that move).
Result<void> bring_up(Overlay& ov, Side& from, Side& to, bool exchange) {
    if (Result<Node*> d = upper_dir(ov, from.dir->id); !d)
        return d.error();
    if (Result<Node*> d = upper_dir(ov, to.dir->id); !d)
        return d.error();
    if (Result<void> r = copy_up(ov, *from.node); !r)
        return r;
    if (exchange)
        return copy_up(ov, *to.node);
    return {};
}

Result<void> rename_in(const Layer& up, const std::string& a, const std::string& b,
                       unsigned flags) {
    return up.rename(a, b, flags);
}

// The name `from` (an entry naming `n`) is now `dir`/`name` in the node tree: `n` moves there,
// or, when `from` was another name of a hard-linked file, only that name does.
void place(Overlay& ov, Node& n, const Side& from, Node& dir, const std::string& name) {
    bool alias = is_alias_entry(n, *from.dir, from.name);
    if (alias)
        drop_alias(n, *from.dir, from.name);
    else if (n.parent != nullptr)
        if (auto it = n.parent->children.find(n.name);
            it != n.parent->children.end() && it->second == n.id)
            n.parent->children.erase(it);
    if (auto it = dir.children.find(name); it != dir.children.end()) // replaced, or stale
        dir.children.erase(it);
    if (alias) {
        if (!add_alias(n, dir, name)) // past max_aliases: a lookup of it makes its own node
            dir.loaded = false;
        return;
    }
    ov.table.attach(&dir, &n, name);
    set_subtree_path(ov, n, join_path(dir.path, name));
}

Result<void> exchange(Overlay& ov, Side& from, Side& to) {
    const Layer& up = ov.layers[0];
    // A directory moving to a name a lower layer holds must not merge with it.
    bool opq_to = from.node->is_dir() && lower_has_entry(ov, *to.dir, to.name);
    bool opq_from = to.node->is_dir() && lower_has_entry(ov, *from.dir, from.name);
    if (Result<void> r = rename_in(up, from.path, to.path, RENAME_EXCHANGE); !r)
        return r;
    if (opq_to)
        if (Result<void> r = set_opaque(up, to.path); !r)
            return r;
    if (opq_from)
        if (Result<void> r = set_opaque(up, from.path); !r)
            return r;
    Node& a = *from.node;
    Node& b = *to.node;
    place(ov, a, from, *to.dir, to.name);
    place(ov, b, to, *from.dir, from.name);
    return {};
}

Result<void> rename_over(Overlay& ov, Side& from, Side& to, bool below) {
    const Layer& up = ov.layers[0];
    bool is_dir = from.node->is_dir();
    // What is at the new name in upper: a visible object to replace, or a whiteout.
    if (to.node != nullptr && to.node->is_dir() && to.node->layer == 0)
        if (Result<void> r = clear_whiteouts(up, to.path); !r)
            return r;
    bool opaque = is_dir && lower_has_entry(ov, *to.dir, to.name);
    Result<struct stat> at = up.stat(to.path);
    if (to.node == nullptr && at && is_whiteout_stat(*at) && is_dir) // a dir cannot replace it
        if (Result<void> r = up.unlink(to.path, 0); !r)
            return r;
    bool done = false;
    if (below && !char_whiteouts_disabled()) {
        // One step: the object moves and a 0/0 whiteout takes its old place.
        Result<void> r = rename_in(up, from.path, to.path, RENAME_WHITEOUT);
        if (!r && r.error().value != EPERM && r.error().value != EINVAL &&
            r.error().value != ENOTSUP)
            return r;
        done = r.has_value();
    }
    if (!done) {
        if (Result<void> r = rename_in(up, from.path, to.path, 0); !r)
            return r;
        if (below)
            if (Result<void> r = write_whiteout(up, from.dir->path, from.name); !r)
                return r;
    }
    std::string wh = join_path(to.dir->path, std::string(whiteout_prefix) + to.name);
    if (Result<void> r = up.unlink(wh, 0); !r && r.error().value != ENOENT)
        return r;
    if (opaque)
        if (Result<void> r = set_opaque(up, to.path); !r)
            return r;
    return {};
}

// Hard links of one inode: rename(2) leaves both names, so there is nothing to do.
bool same_upper_inode(const Overlay& ov, const Side& from, const Side& to) {
    if (to.node == nullptr || from.node->layer != 0 || to.node->layer != 0)
        return false;
    Result<struct stat> a = ov.layers[0].stat(from.path);
    Result<struct stat> b = ov.layers[0].stat(to.path);
    return a && b && a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

} // namespace

Result<void> do_rename(Overlay& ov, fuse_ino_t parent, std::string_view name, fuse_ino_t newparent,
                       std::string_view newname, unsigned flags) {
    if ((flags & ~unsigned{RENAME_NOREPLACE | RENAME_EXCHANGE}) != 0 ||
        flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
        return Errno{EINVAL};
    if (name.size() > 255 || newname.size() > 255)
        return Errno{ENAMETOOLONG};
    ov.table.forget_subdirs(parent); // a directory may move: both nlinks (merged_nlink)
    ov.table.forget_subdirs(newparent);
    Result<Side> from = side(ov, parent, name);
    if (!from)
        return from.error();
    Result<Side> to = side(ov, newparent, newname);
    if (!to)
        return to.error();
    if (Result<void> r = check(ov, *from, *to, flags); !r)
        return r;
    if (from->node == to->node || same_upper_inode(ov, *from, *to))
        return {};
    Result<bool> below = lower_holds(ov, *from->dir, name);
    if (!below)
        return below.error();
    bool exch = (flags & RENAME_EXCHANGE) != 0;
    if (Result<void> r = bring_up(ov, *from, *to, exch); !r)
        return r;
    if (exch)
        return exchange(ov, *from, *to);
    // A replaced name that is another name of a hard-linked file takes nothing from its node.
    Node* replaced = to->node;
    bool whole = replaced != nullptr && !is_alias_entry(*replaced, *to->dir, to->name);
    ino_t replaced_ino = whole ? upper_ino(ov, *replaced) : 0;
    std::string kept = whole ? keep_unlinked(ov, *replaced) : std::string();
    if (Result<void> r = rename_over(ov, *from, *to, *below); !r) {
        if (!kept.empty())
            drop_kept(ov, *replaced);
        return r;
    }
    if (whole)
        name_removed(ov, *replaced, replaced_ino, kept);
    else if (replaced != nullptr)
        drop_alias(*replaced, *to->dir, to->name);
    place(ov, *from->node, *from, *to->dir, to->name);
    return {};
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
               const char* newname, unsigned int flags) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<void> r = do_rename(ov, parent, name, newparent, newname, flags);
        fuse_reply_err(req, r ? 0 : r.error().value);
    });
}

} // namespace ovl
