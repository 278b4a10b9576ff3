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
#include <sys/xattr.h>
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
        std::string p = "/proc/self/fd/" + std::to_string(up.fd()) + "/" + path;
        if (lsetxattr(p.c_str(), override_xattr_name(m), v, static_cast<size_t>(n), 0) < 0)
            return common::last_errno();
        return {};
    }
    // In a set-gid directory the filesystem already gave the object the directory's group.
    std::string parent = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
    Result<struct stat> pst = up.stat(parent);
    gid_t want_gid = pst && (pst->st_mode & S_ISGID) != 0 ? static_cast<gid_t>(-1) : gid;
    if (uid == geteuid() && (want_gid == static_cast<gid_t>(-1) || want_gid == getegid()))
        return {};
    if (fchownat(up.fd(), path.c_str(), uid, want_gid, AT_SYMLINK_NOFOLLOW) < 0) {
        // A daemon without CAP_CHOWN (a plain user's mount) keeps its own ids, as upstream.
        if (errno != EPERM && errno != EINVAL)
            return common::last_errno();
        common::log::debug("cannot chown %s to %u:%u", path.c_str(), uid, gid);
    }
    return {};
}

Result<fuse_entry_param> entry_of(Overlay& ov, Node& node) {
    Result<struct stat> st = node_stat(ov, node);
    if (!st)
        return st.error();
    fuse_entry_param e{};
    e.entry_timeout = ov.opts.timeout;
    e.attr_timeout = ov.opts.timeout;
    e.ino = node.id;
    e.attr = *st;
    ++node.nlookup;
    return e;
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
    node->type = st->st_mode & S_IFMT;
    node->ino = st->st_ino;
    if (node->is_dir()) {
        node->dir_layers = {0};
        node->loaded = true; // new and empty: the (empty) children map is the whole listing
    }
    if (auto it = dir.children.find(name); it != dir.children.end())
        dir.children.erase(it); // a stale entry; the kernel looks the name up again
    Node* n = ov.table.insert(&dir, std::move(node));
    return entry_of(ov, *n);
}

Result<void> remove_upper(Overlay& ov, const std::string& path, bool is_dir, bool whiteout) {
    const Layer& up = ov.layers[0];
    int flag = is_dir ? AT_REMOVEDIR : 0;
    if (whiteout && !char_whiteouts_disabled() && ov.work_fd) {
        // One atomic step: the object goes to work/N and a 0/0 whiteout takes its place (§2.2).
        std::string tmp = std::to_string(++ov.work_counter);
        if (renameat2(up.fd(), path.c_str(), ov.work_fd.get(), tmp.c_str(), RENAME_WHITEOUT) == 0) {
            if (unlinkat(ov.work_fd.get(), tmp.c_str(), flag) < 0)
                common::log::debug("cannot remove work/%s: %s", tmp.c_str(), std::strerror(errno));
            return {};
        }
        if (errno != EPERM && errno != EINVAL && errno != ENOTSUP)
            return common::last_errno();
    }
    if (unlinkat(up.fd(), path.c_str(), flag) < 0)
        return common::last_errno();
    if (!whiteout)
        return {};
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return write_whiteout(up, dir, name);
}

void set_subtree_path(Overlay& ov, Node& node, std::string path) {
    node.path = std::move(path);
    for (const auto& [name, id] : node.children)
        if (Node* c = ov.table.get(id))
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

// The path of <work>/<name> relative to the upper root ("../W/work/<name>"); "" when work is
// not outside upper or cannot be named.
std::string work_rel(const Overlay& ov, const std::string& name) {
    char buf[PATH_MAX];
    std::string link = "/proc/self/fd/" + std::to_string(ov.work_fd.get());
    ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0)
        return {};
    std::string work(buf, static_cast<size_t>(n));
    const std::string& upper = ov.layers[0].path();
    size_t common = 0; // length of the shared leading components
    for (size_t i = 0; i <= upper.size() && i <= work.size(); ++i) {
        bool end_u = i == upper.size() || upper[i] == '/';
        bool end_w = i == work.size() || work[i] == '/';
        if (end_u && end_w)
            common = i;
        if (i == upper.size() || i == work.size() || upper[i] != work[i])
            break;
    }
    if (common == upper.size())
        return {}; // work inside upper: not ours to reach this way
    std::string rel;
    for (size_t i = common; i < upper.size(); ++i)
        if (upper[i] == '/')
            rel += "../";
    rel += work.substr(common + (common < work.size() ? 1 : 0));
    return join_path(rel, name);
}

void free_unlinked(void* ctx, const Node& node) noexcept {
    auto* ov = static_cast<Overlay*>(ctx);
    std::string name = unlinked_name(node);
    if (node.parent == nullptr && node.path.size() > name.size() &&
        node.path.compare(0, 3, "../") == 0 &&
        node.path.compare(node.path.size() - name.size(), name.size(), name) == 0)
        (void)unlinkat(ov->work_fd.get(), name.c_str(), 0);
}

} // namespace

std::string keep_unlinked(Overlay& ov, const Node& node) {
    if (node.layer != 0 || node.is_dir() || node.nlookup == 0 || !ov.work_fd)
        return {};
    std::string name = unlinked_name(node);
    std::string rel = work_rel(ov, name);
    if (rel.empty())
        return {};
    if (linkat(ov.layers[0].fd(), node.path.c_str(), ov.work_fd.get(), name.c_str(), 0) < 0)
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
    while (disk_ino != 0 && !node.links.empty()) {
        std::string p = std::move(node.links.back());
        node.links.pop_back();
        Result<struct stat> st = ov.layers[0].stat(p);
        if (st && st->st_ino == disk_ino) {
            if (node.nlookup == 0)
                break; // unreferenced: freed by detach below
            if (!kept.empty())
                drop_kept(ov, node);
            size_t slash = p.rfind('/');
            ov.table.detach(&node); // not freed (referenced); its new name is in no children map
            node.name = slash == std::string::npos ? p : p.substr(slash + 1);
            node.path = std::move(p);
            return;
        }
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
    ov.table.detach(&node);
}

} // namespace ovl
