// SPDX-License-Identifier: Apache-2.0
// overlay.cc — name resolution through the layers, inode numbers, and the stat users see
//
// Theory of operation: a Node records the topmost layer holding its name and, for directories,
// every layer merged into it (top first, cut after an opaque one). Resolving a child walks only
// the parent's merged layers. Layers must not change under a live mount (upstream's rule, and the
// kernel caches entries for `timeout=` seconds), so resolutions are cached in the node tree.
// st_ino follows fuse-overlayfs 1.10–1.16 (§2.8): files take the inode of the lowest object
// reachable through user.fuseoverlayfs.origin, directories that of their topmost layer (observed on
// 1.10: a merged directory shows the upper/top-lower inode); when the layers span several
// filesystems, the high bits say which one (xino.h), so numbers stay unique.
#include "fuse-overlay/overlay.h"

#include "common/log.h"
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/dir_merge.h"
#include "fuse-overlay/whiteout.h"
#include "fuse-overlay/xattr.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <sys/xattr.h>

namespace ovl {
namespace {

constexpr const char* origin_xattr = "user.fuseoverlayfs.origin";

// Follows the origin chain below layer `layer` and returns the inode number it ends at, with
// `layer` set to the layer holding it.
ino_t origin_ino(const Overlay& ov, unsigned& layer, const std::string& path, ino_t ino) {
    std::string cur = path;
    for (size_t hops = 0; hops < ov.layers.size() && layer + 1 < ov.layers.size(); ++hops) {
        Result<std::string> origin = ov.layers[layer].getxattr(cur, origin_xattr);
        if (!origin)
            break;
        std::string_view value = *origin;
        while (!value.empty() && value.back() == '\0')
            value.remove_suffix(1);
        // Stored paths are untrusted (issue 12): ".." refused, looked up only in lower layers.
        Result<std::string> checked = checked_rel(value);
        if (!checked || checked->empty())
            break;
        std::string target = std::move(*checked);
        bool found = false;
        for (unsigned l = layer + 1; l < ov.layers.size(); ++l) {
            Result<struct stat> st = ov.layers[l].stat(target);
            if (st) {
                ino = st->st_ino;
                layer = l;
                cur = std::move(target);
                found = true;
                break;
            }
        }
        if (!found) // a dangling origin keeps the number found so far
            break;
    }
    return ino;
}

constexpr size_t max_fresh_stats = 1024;

// The stat resolve took of `node` earlier in this request (HeldDirs), if any: ENOENT-like
// ESRCH otherwise. Looked for where the last one was found first.
Result<struct stat> fresh_stat(Overlay& ov, const Node& node) noexcept {
    std::vector<std::pair<fuse_ino_t, struct stat>>& f = ov.fresh_stats;
    if (ov.held_depth == 0 || f.empty())
        return Errno{ESRCH};
    for (size_t k = 0; k < f.size(); ++k) {
        size_t i = (ov.fresh_next + k) % f.size();
        if (f[i].first == node.id) {
            ov.fresh_next = i + 1;
            return f[i].second;
        }
    }
    return Errno{ESRCH};
}

} // namespace

Overlay::Overlay(OverlayOptions o, std::vector<Layer> l, bool upper)
    : opts(std::move(o)), layers(std::move(l)), has_upper(upper) {
    if (layers.size() > UINT16_MAX) // Node::layer is 16 bits
        throw std::length_error("too many layers");
    std::vector<dev_t> devs;
    devs.reserve(layers.size());
    for (const Layer& layer : layers)
        devs.push_back(layer.dev());
    xino = Xino(devs);
    if (xino.bits() != 0)
        common::log::debug("layers on %u filesystems: the top %u bits of st_ino name the one",
                           xino.filesystems(), xino.bits());
    Node* root = table.root();
    for (unsigned i = 0; i < layers.size(); ++i)
        root->dir_layers.push_back(i);
    root->layer = 0;
    if (has_upper)
        layers.front().set_work(&work_fd); // files deleted while open live in <workdir>/work
    Result<struct stat> st = layers.front().stat("");
    root->ino = st ? xino.map(0, st->st_ino) : FUSE_ROOT_ID;
}

Result<std::optional<Resolved>> resolve(const Overlay& ov, const Node& dir, std::string_view name,
                                        size_t start_pos) {
    std::string path = join_path(dir.path, name);
    std::optional<Resolved> found;
    for (size_t pos = start_pos; pos < dir.dir_layers.size(); ++pos) {
        unsigned li = dir.dir_layers[pos];
        const Layer& layer = ov.layers[li];
        Result<struct stat> st = layer.stat(path);
        if (!st) {
            int e = st.error().value;
            if (e != ENOENT && e != ENOTDIR)
                return st.error();
            if (has_whiteout_file(layer, dir.path, name))
                break;
            continue;
        }
        if (is_whiteout_stat(*st))
            break;
        if (!found) {
            found = Resolved{li, st->st_mode & S_IFMT, st->st_ino, {}, *st};
            if (!S_ISDIR(st->st_mode))
                break;
        } else if (!S_ISDIR(st->st_mode)) {
            break; // a non-directory below a directory is hidden by it
        }
        found->dir_layers.push_back(li);
        if (is_opaque_dir(layer, path))
            break;
    }
    if (!found)
        return found;
    unsigned ino_layer = found->layer;
    if (!S_ISDIR(found->type) && !ov.opts.fast_ino)
        found->ino = origin_ino(ov, ino_layer, path, found->ino);
    found->ino = ov.xino.map(ino_layer, found->ino);
    return found;
}

Result<Node*> find_child(Overlay& ov, Node& dir, std::string_view name, size_t start_pos) {
    if (is_reserved_name(name)) // hidden: 1.10 answers lookups of ".wh.*" with ENOENT
        return static_cast<Node*>(nullptr);
    if (name.size() > 255)
        return Errno{ENAMETOOLONG};
    if (auto it = dir.children.find(name); it != dir.children.end()) {
        if (Node* n = ov.table.get(it->second))
            return n;
        dir.children.erase(it);
        dir.loaded = false; // the name may be there still: resolve it again
    }
    if (dir.loaded)
        return static_cast<Node*>(nullptr);
    Result<std::optional<Resolved>> r = resolve(ov, dir, name, start_pos);
    if (!r)
        return r.error();
    if (!*r)
        return static_cast<Node*>(nullptr);
    // Another name of an upper file the kernel already knows by a node: that node, so the
    // kernel sees one inode (one page cache: a write through one name is read through the
    // other), as kernel overlayfs and 1.10 show hard links.
    bool hard_linked = (*r)->layer == 0 && !S_ISDIR((*r)->type) && (*r)->st.st_nlink > 1;
    if (hard_linked)
        if (Node* same = linked_node(ov, (*r)->st); same != nullptr && add_alias(*same, dir, name))
            return same;
    auto node = std::make_unique<Node>();
    node->name = name;
    node->path = join_path(dir.path, name);
    node->layer = static_cast<uint16_t>((*r)->layer); // fits: the Overlay checks the count
    node->type = static_cast<uint16_t>((*r)->type);
    node->ino = (*r)->ino;
    node->dir_layers = std::move((*r)->dir_layers);
    Node* made = ov.table.insert(&dir, std::move(node));
    if (hard_linked)
        ov.table.remember_linked((*r)->st.st_ino, made->id);
    // Kept for this request's readdirplus reply; bounded (a reply holds a few hundred entries).
    if (ov.held_depth > 0 && ov.fresh_stats.size() < max_fresh_stats)
        ov.fresh_stats.emplace_back(made->id, (*r)->st);
    return made;
}

Node* linked_node(Overlay& ov, const struct stat& upper) {
    std::optional<fuse_ino_t> id = ov.table.linked(upper.st_ino);
    Node* n = id ? ov.table.get(*id) : nullptr;
    if (n == nullptr || n->layer != 0 || n->is_dir())
        return nullptr;
    // Still that inode at the node's path (a name removed or replaced since moved it away).
    Result<struct stat> st = ov.layers[0].stat(n->path);
    if (!st || st->st_ino != upper.st_ino || st->st_dev != upper.st_dev)
        return nullptr;
    return n;
}

bool add_alias(Node& node, Node& dir, std::string_view name) {
    auto same = [&](const Node::Alias& a) { return a.dir == dir.id && a.name == name; };
    if (std::none_of(node.links.begin(), node.links.end(), same)) {
        if (node.links.size() >= max_aliases)
            return false;
        node.links.push_back(Node::Alias{dir.id, std::string(name)});
    }
    dir.children.emplace(name, node.id);
    return true;
}

void drop_alias(Node& node, Node& dir, std::string_view name) noexcept {
    if (auto it = dir.children.find(name); it != dir.children.end() && it->second == node.id)
        dir.children.erase(it);
    for (auto it = node.links.begin(); it != node.links.end(); ++it)
        if (it->dir == dir.id && it->name == name) {
            node.links.erase(it);
            break;
        }
}

Result<void> load_dir(Overlay& ov, Node& dir) {
    if (dir.loaded)
        return {};
    Result<std::vector<MergedName>> names =
        merged_names(ov.layers, dir.dir_layers.view(), dir.path);
    if (!names)
        return names.error();
    HeldDirs held(ov);
    for (const MergedName& m : *names) {
        Result<Node*> child = find_child(ov, dir, m.name, m.first_pos);
        if (!child && child.error().value != ENOENT && child.error().value != ENOTDIR)
            return child.error();
    }
    dir.loaded = true;
    return {};
}

Result<struct stat> node_stat(Overlay& ov, Node& node) {
    const Layer& layer = node_layer(ov, node);
    Result<struct stat> r = fresh_stat(ov, node);
    if (!r)
        r = layer.stat(node.path);
    if (!r)
        return r.error();
    struct stat st = *r;

    // A metacopy stub (an upper file without its data, §2.6 metacopy) has no data blocks: as
    // kernel overlayfs does, st_blocks and st_blksize come from the file holding the data, all
    // else from the stub. Only a stub with fewer blocks than its size can be one, which spares
    // the xattr look-ups for ordinary files.
    if (S_ISREG(st.st_mode) && node.layer == 0 && st.st_size > 0 &&
        st.st_blocks * 512 < st.st_size && is_metacopy(ov, node)) {
        Result<DataSource> src = data_source(ov, node);
        if (src) {
            if (Result<struct stat> d = ov.layers[src->layer].stat(src->path); d) {
                st.st_blocks = d->st_blocks;
                st.st_blksize = d->st_blksize;
            }
        }
    }

    OverrideMode mode = layer.override_mode();
    if (mode != OverrideMode::none && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
        Result<std::string> v = layer.getxattr(node.path, override_xattr_name(mode));
        if (v) {
            std::optional<StatOverride> o = parse_stat_override(*v);
            if (!o)
                return Errno{EINVAL};
            st.st_uid = o->uid;
            st.st_gid = o->gid;
            mode_t type = o->type != 0              ? o->type
                          : (o->mode & S_IFMT) != 0 ? o->mode & S_IFMT
                                                    : st.st_mode & S_IFMT;
            st.st_mode = type | (o->mode & 07777);
            if (o->type == S_IFCHR || o->type == S_IFBLK)
                st.st_rdev = o->rdev;
        } else if (v.error().value != ENODATA && v.error().value != ENOTSUP) {
            return v.error();
        }
    }

    return shown_stat(ov, node, st);
}

namespace {

// 2 + the merged subdirectories: from the loaded children, or else from the layers' listings
// and their d_type alone, so that a getattr need not look every entry up (the first lookup in a
// big directory); a listing without d_type loads the directory.
std::optional<nlink_t> count_nlink(Overlay& ov, Node& dir) {
    nlink_t n = 2;
    if (!dir.loaded) {
        Result<std::vector<MergedName>> names =
            merged_names(ov.layers, dir.dir_layers.view(), dir.path);
        if (!names)
            return std::nullopt;
        bool known = true;
        for (const MergedName& m : *names) {
            known = known && m.type != DT_UNKNOWN;
            n += m.type == DT_DIR ? 1 : 0;
        }
        if (known)
            return n;
        n = 2;
    }
    if (!load_dir(ov, dir))
        return std::nullopt;
    for (const auto& [name, id] : dir.children)
        if (Node* c = ov.table.get(id); c != nullptr && c->is_dir())
            ++n;
    return n;
}

// count_nlink, remembered until an op that can change it (InodeTable::subdirs): the kernel
// asks for a directory's attributes before each create in it, and a listing of every layer per
// create made n creates in a merged directory of n entries cost n * n.
std::optional<nlink_t> merged_nlink(Overlay& ov, Node& dir) {
    if (std::optional<nlink_t> known = ov.table.subdirs(dir.id))
        return *known;
    std::optional<nlink_t> n = count_nlink(ov, dir);
    if (n)
        ov.table.remember_subdirs(dir.id, *n);
    return n;
}

} // namespace

struct stat shown_stat(Overlay& ov, Node& node, struct stat st) {
    st.st_ino = node.ino;
    if (S_ISDIR(st.st_mode)) {
        if (ov.opts.static_nlink) {
            st.st_nlink = 1;
        } else if (node.dir_layers.size() == 1 && st.st_nlink >= 2) {
            // A directory of one layer merges nothing: its subdirectories are that layer's, and
            // a filesystem that counts them (ext4, xfs, tmpfs; not btrfs, which says 1) has
            // the count already. Counting the children instead made every getattr of a
            // directory (one per create in it, for the permission check) cost its size.
        } else {
            // An unreadable directory keeps its own nlink rather than failing the stat.
            if (std::optional<nlink_t> n = merged_nlink(ov, node))
                st.st_nlink = *n;
        }
    }
    st.st_uid = ov.opts.uid_map.to_shown(st.st_uid, ov.overflow_uid);
    st.st_gid = ov.opts.gid_map.to_shown(st.st_gid, ov.overflow_gid);
    if (ov.opts.squash_to_uid)
        st.st_uid = *ov.opts.squash_to_uid;
    else if (ov.opts.squash_to_root)
        st.st_uid = 0;
    if (ov.opts.squash_to_gid)
        st.st_gid = *ov.opts.squash_to_gid;
    else if (ov.opts.squash_to_root)
        st.st_gid = 0;
    return st;
}

} // namespace ovl
