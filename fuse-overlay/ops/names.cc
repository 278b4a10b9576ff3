// SPDX-License-Identifier: Apache-2.0
// names.cc — shared steps of create/remove/rename: caller ids, upper parents, removal with a
// whiteout, and node-tree bookkeeping (children maps, paths, hard-link paths)
#include "fuse-overlay/ops/names.h"

#include "common/log.h"
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/whiteout.h"

#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ovl {

Caller caller_of(fuse_req_t req) noexcept {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    return Caller{ctx->uid, ctx->gid};
}

Result<Node*> upper_dir(Overlay& ov, fuse_ino_t parent) {
    Result<Node*> dir = get_dir(ov, parent);
    if (!dir)
        return dir;
    if (!ov.has_upper)
        return Errno{EROFS};
    if (Result<void> r = copy_up(ov, **dir); !r)
        return r.error();
    return dir;
}

Result<void> check_new_name(std::string_view name) {
    if (is_reserved_name(name))
        return Errno{EINVAL};
    if (name.size() > 255)
        return Errno{ENAMETOOLONG};
    return {};
}

Result<bool> lower_holds(const Overlay& ov, const Node& dir, std::string_view name) {
    size_t start = !dir.dir_layers.empty() && dir.dir_layers.front() == 0 ? 1 : 0;
    if (start >= dir.dir_layers.size())
        return false;
    Result<std::optional<Resolved>> r = resolve(ov, dir, name, start);
    if (!r)
        return r.error();
    return r->has_value();
}

bool lower_has_entry(const Overlay& ov, const Node& dir, std::string_view name) {
    std::string path = join_path(dir.path, name);
    for (unsigned li : dir.dir_layers)
        if (li != 0 && ov.layers[li].stat(path))
            return true;
    return false;
}

bool upper_only(const Node& node) noexcept {
    if (node.layer != 0)
        return false;
    return !node.is_dir() || (node.dir_layers.size() == 1 && node.dir_layers.front() == 0);
}

mode_t backing_mode(const Overlay& ov, mode_t mode) noexcept {
    if (ov.layers[0].override_mode() != OverrideMode::none)
        return mode | 0755;
    return mode;
}

Result<void> set_new_owner(Overlay& ov, const std::string& path, const Caller& c, mode_t mode) {
    const Layer& up = ov.layers[0];
    uid_t uid = ov.opts.uid_map.to_disk(c.uid, ov.overflow_uid);
    gid_t gid = ov.opts.gid_map.to_disk(c.gid, ov.overflow_gid);
    if (OverrideMode m = up.override_mode(); m != OverrideMode::none) {
        // As upstream writes it: "uid:gid:mode", octal mode without type bits for files and
        // directories, with them otherwise.
        mode_t shown = S_ISREG(mode) || S_ISDIR(mode) ? mode & 07777 : mode;
        char v[48];
        int n = std::snprintf(v, sizeof v, "%u:%u:%o", uid, gid, shown);
        return up.setxattr(path, override_xattr_name(m),
                           std::string_view(v, static_cast<size_t>(n)));
    }
    // The daemon's own ids: the filesystem already made the object so (in a set-gid directory
    // with the directory's group, which is kept), nothing to change and no parent to stat.
    static const uid_t self_uid = geteuid(); // the daemon never changes its ids
    static const gid_t self_gid = getegid();
    if (uid == self_uid && gid == self_gid)
        return {};
    // In a set-gid directory the filesystem already gave the object the directory's group.
    std::string parent = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
    Result<struct stat> pst = up.stat(parent);
    gid_t want_gid = pst && (pst->st_mode & S_ISGID) != 0 ? static_cast<gid_t>(-1) : gid;
    if (uid == self_uid && (want_gid == static_cast<gid_t>(-1) || want_gid == self_gid))
        return {};
    if (Result<void> r = up.chown(path, uid, want_gid); !r) {
        // A daemon without CAP_CHOWN (a plain user's mount) keeps its own ids, as upstream.
        if (r.error().value != EPERM && r.error().value != EINVAL)
            return r;
        common::log::debug("cannot chown %s to %u:%u", path.c_str(), uid, gid);
    }
    return {};
}

fuse_entry_param entry_with(Overlay& ov, Node& node, const struct stat& shown) noexcept {
    fuse_entry_param e{};
    e.entry_timeout = ov.opts.timeout;
    e.attr_timeout = ov.opts.timeout;
    e.ino = node.id;
    e.attr = shown;
    ++node.nlookup;
    return e;
}

Result<fuse_entry_param> entry_of(Overlay& ov, Node& node) {
    Result<struct stat> st = node_stat(ov, node);
    if (!st)
        return st.error();
    return entry_with(ov, node, *st);
}

Result<fuse_entry_param> add_new_node(Overlay& ov, Node& dir, std::string_view name) {
    std::string path = join_path(dir.path, name);
    Result<struct stat> st = ov.layers[0].stat(path);
    if (!st)
        return st.error();
    auto node = std::make_unique<Node>();
    node->name = name;
    node->path = std::move(path);
    node->layer = 0;
    node->type = static_cast<uint16_t>(st->st_mode & S_IFMT);
    node->ino = ov.xino.map(0, st->st_ino);
    if (node->is_dir()) {
        node->dir_layers = std::vector<unsigned>{0};
        node->loaded = true; // new and empty: the (empty) children map is the whole listing
    }
    if (S_ISREG(st->st_mode))
        node->metacopy = Node::Metacopy::no; // made here, empty: its data is its own
    if (auto it = dir.children.find(name); it != dir.children.end())
        dir.children.erase(it); // a stale entry; the kernel looks the name up again
    Node* n = ov.table.insert(&dir, std::move(node));
    if (ov.layers[0].override_mode() != OverrideMode::none)
        return entry_of(ov, *n); // the shown owner and mode are in the override xattr
    return entry_with(ov, *n, shown_stat(ov, *n, *st)); // the stat just taken: no second one
}

Result<void> remove_upper(Overlay& ov, const std::string& path, bool is_dir, bool whiteout) {
    const Layer& up = ov.layers[0];
    int flag = is_dir ? AT_REMOVEDIR : 0;
    if (whiteout && !char_whiteouts_disabled() && ov.work_fd) {
        // One atomic step: the object goes to work/N and a 0/0 whiteout takes its place (§2.2).
        std::string tmp = std::to_string(++ov.work_counter);
        Result<void> r = up.rename(path, "/" + tmp, RENAME_WHITEOUT);
        if (r) {
            if (unlinkat(ov.work_fd.get(), tmp.c_str(), flag) < 0)
                common::log::debug("cannot remove work/%s: %s", tmp.c_str(), std::strerror(errno));
            return {};
        }
        int e = r.error().value;
        if (e != EPERM && e != EINVAL && e != ENOTSUP)
            return r;
    }
    if (Result<void> r = up.unlink(path, flag); !r)
        return r;
    if (!whiteout)
        return {};
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return write_whiteout(up, dir, name);
}

namespace {

// Gives `node`'s followers its current path; forgets those freed or attached since.
void update_followers(Overlay& ov, Node& node) {
    auto& fs = node.followers;
    for (auto it = fs.begin(); it != fs.end();) {
        Node* f = ov.table.get(*it);
        if (f == nullptr || f == &node || f->parent != nullptr) {
            it = fs.erase(it);
        } else {
            f->path = node.path;
            ++it;
        }
    }
}

} // namespace

void set_subtree_path(Overlay& ov, Node& node, std::string path) {
    node.path = std::move(path);
    update_followers(ov, node);
    for (const auto& [name, id] : node.children)
        if (Node* c = ov.table.get(id); c != nullptr && !is_alias_entry(*c, node, name))
            set_subtree_path(ov, *c, join_path(node.path, name));
}

ino_t upper_ino(const Overlay& ov, const Node& node) {
    if (node.layer != 0 || node.links.empty())
        return 0;
    Result<struct stat> st = ov.layers[0].stat(node.path);
    return st ? st->st_ino : 0;
}

namespace {

std::string unlinked_name(const Node& node) {
    return "unlinked-" + std::to_string(node.id);
}

void free_unlinked(void* ctx, const Node& node) noexcept {
    auto* ov = static_cast<Overlay*>(ctx);
    std::string name = unlinked_name(node);
    if (node.parent == nullptr && node.path.size() == name.size() + 1 && node.path[0] == '/' &&
        node.path.compare(1, name.size(), name) == 0)
        (void)unlinkat(ov->work_fd.get(), name.c_str(), 0);
}

} // namespace

std::string keep_unlinked(Overlay& ov, const Node& node) {
    if (node.layer != 0 || node.is_dir() || node.nlookup == 0 || !ov.work_fd)
        return {};
    // "/name": an entry of the work dir, as the upper Layer resolves it (layer.h).
    // Appended, not "/" + name: g++ 12 at -O3 reports a -Wrestrict false positive (GCC PR105651)
    // on operator+(const char*, string&&).
    std::string rel = "/";
    rel += unlinked_name(node);
    if (!ov.layers[0].link(node.path, rel))
        return {};
    ov.table.set_on_free(free_unlinked, &ov);
    return rel;
}

void drop_kept(Overlay& ov, const Node& node) {
    (void)unlinkat(ov.work_fd.get(), unlinked_name(node).c_str(), 0);
}

void name_removed(Overlay& ov, Node& node, ino_t disk_ino, const std::string& kept) {
    // A hard link made through the mount shares this node: keep serving it from a path that
    // still names the same inode.
    // The alias is re-validated, never trusted: its directory must still be a live node of the
    // tree (a removed directory's node is detached, a forgotten one gone), and the name there,
    // found beneath the upper root without following a symlink, must be the same upper inode
    // (st_dev and st_ino). A stale alias is dropped (issue 12).
    const Layer& up = ov.layers[0];
    while (disk_ino != 0 && !node.links.empty()) {
        Node::Alias a = std::move(node.links.back());
        node.links.pop_back();
        Node* dir = ov.table.get(a.dir);
        if (dir == nullptr || !dir->is_dir() || dir == &node ||
            (dir->parent == nullptr && dir != ov.table.root()))
            continue;
        std::string p = join_path(dir->path, a.name);
        Result<struct stat> st = up.stat(p);
        if (!st || st->st_ino != disk_ino || st->st_dev != up.dev() || S_ISDIR(st->st_mode))
            continue;
        if (node.nlookup == 0)
            break; // unreferenced: freed by detach below
        if (!kept.empty())
            drop_kept(ov, node);
        ov.table.detach(&node); // not freed (referenced)
        auto held = dir->children.find(a.name);
        Node* other = held == dir->children.end() ? nullptr : ov.table.get(held->second);
        if (other == &node) // the entry of that name already names this node: it becomes its own
            other = nullptr;
        if (other == nullptr) {
            // Back in the tree under its other name: renames of `dir` now carry it along.
            if (held != dir->children.end())
                dir->children.erase(held);
            ov.table.attach(dir, &node, a.name);
        } else {
            // A fresh lookup already made a node for that name: this one follows its path.
            node.name = a.name;
            other->followers.push_back(node.id);
            other->followers.append(node.followers.begin(), node.followers.end());
            node.followers.clear();
        }
        node.path = std::move(p);
        update_followers(ov, node);
        if (other != nullptr)
            update_followers(ov, *other); // those that followed `node` now follow `other`
        return;
    }
    // Nothing may reach the old name through this node any more: the kernel may still send
    // setattr (a writeback ctime/mtime flush) or getattr for it, and a copy-up or chmod at the
    // old path would bring the name back (over a .wh. whiteout) or touch its whiteout. An upper
    // file still referenced is served from its link in the work dir (removed when the node is
    // freed); anything else gets a path under a ".wh." name, which no layer holds, so those
    // calls fail with ENOENT (reads through open files are unaffected); a lower file keeps its
    // path (see below).
    if (!kept.empty() && node.nlookup != 0) {
        node.path = kept;
    } else {
        if (!kept.empty())
            drop_kept(ov, node);
        // A lower file keeps its path: the lower object is unchanged, so an open file's
        // getattr and the writeback time flush at close still find it, and copy_up refuses a
        // detached node, so nothing can bring the name back.
        if (node.nlookup != 0 && (node.layer == 0 || node.is_dir()))
            set_subtree_path(ov, node,
                             std::string(whiteout_prefix) + "unlinked/" + std::to_string(node.id));
    }
    update_followers(ov, node);
    ov.table.detach(&node);
}

} // namespace ovl
