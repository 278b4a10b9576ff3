// SPDX-License-Identifier: Apache-2.0
// overlay.h — the mounted filesystem's state: layers, options, node table, and name resolution
#pragma once

#include "fuse-overlay/inode_table.h"
#include "fuse-overlay/layer.h"
#include "fuse-overlay/options.h"
#include "fuse-overlay/xino.h"

#include <mutex>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace ovl {

/// Everything one mount needs. With `-o threaded=1`, `mu` is upstream's one big lock: every op
/// holds it for its whole duration except those touching only an open file's fd (read, write,
/// fallocate, copy_file_range, fsync, locks) (lock order: mu only; nothing nests).
struct Overlay {
    OverlayOptions opts;
    std::vector<Layer> layers; ///< upper first when present, then lowers left to right
    bool has_upper = false;
    InodeTable table;
    uint32_t overflow_uid = 65534;
    uint32_t overflow_gid = 65534;
    std::mutex mu;
    /// `<workdir>/work` (O_PATH|O_DIRECTORY), emptied at mount; invalid without an upper layer.
    /// Copy-up builds objects here and renames them into upper; names come from `work_counter`.
    common::UniqueFd work_fd;
    uint64_t work_counter = 0;
    /// Whether the kernel runs the writeback cache for this mount (negotiated in init).
    bool writeback = false;
    /// While a HeldDirs scope is open: the stats resolve took of the nodes it made, for the
    /// readdirplus reply of the same request (node_stat takes them instead of a second fstatat;
    /// nothing changes the layers in between). Emptied, capacity kept, when the scope closes.
    std::vector<std::pair<fuse_ino_t, struct stat>> fresh_stats;
    size_t fresh_next = 0; ///< where node_stat looks first: replies follow the load's order
    int held_depth = 0;
    /// No SELinux on the host (set in init): a missing `security.selinux` then answers
    /// EOPNOTSUPP instead of ENODATA (docs/compat/fuse-overlayfs.md §2.10).
    bool selinux_unsupported = false;
    /// Layer inode numbers to shown ones (§2.8); built from the layers' st_dev at construction.
    /// Its overflow count changes under `mu`.
    Xino xino;

    /// Builds an overlay over already-opened layers; sets up the root node. Throws on OOM.
    Overlay(OverlayOptions o, std::vector<Layer> l, bool upper);
    /// For a live mount (op_init): every layer keeps its last directories open across requests
    /// too, not only within a HeldDirs scope (a create, its attributes, its xattr questions and
    /// the next create in the same directory open it once). Sound because the
    /// layers change only through us, and a rename or rmdir of it or above it drops it
    /// (Layer::drop_held_under).
    void hold_dirs_for_good() const noexcept {
        for (const Layer& l : layers)
            l.hold_dirs(true);
    }
};

/// Keeps every layer's last stat directory open for one request's walk of a directory
/// (Layer::hold_dirs): load_dir and readdirplus stat each entry there.
class HeldDirs {
public:
    explicit HeldDirs(Overlay& ov) noexcept : ov_(ov) {
        ++ov_.held_depth;
        for (const Layer& l : ov_.layers)
            l.hold_dirs(true);
    }
    ~HeldDirs() {
        for (const Layer& l : ov_.layers)
            l.hold_dirs(false);
        if (--ov_.held_depth == 0) {
            ov_.fresh_stats.clear();
            ov_.fresh_next = 0;
        }
    }
    HeldDirs(const HeldDirs&) = delete;
    HeldDirs& operator=(const HeldDirs&) = delete;

private:
    Overlay& ov_;
};

/// Where a name resolved to, before it becomes a Node.
struct Resolved {
    unsigned layer = 0;
    mode_t type = 0;
    ino_t ino = 0; ///< as shown (Xino::map applied)
    std::vector<unsigned> dir_layers;
    struct stat st {}; ///< of the object in `layer`
};

/// Looks `name` up under directory node `dir` through the layers (§2.1): stops at a whiteout
/// (char 0/0 or .wh.NAME), a non-directory, or an opaque directory. nullopt when hidden/absent.
/// `start_pos` skips the first positions of `dir.dir_layers` (known from a listing not to hold
/// the name or a whiteout for it).
Result<std::optional<Resolved>> resolve(const Overlay& ov, const Node& dir, std::string_view name,
                                        size_t start_pos = 0);

/// The child node for `name`, creating it when first seen; nullptr when absent or a reserved
/// ".wh.*" name. Does not touch nlookup.
Result<Node*> find_child(Overlay& ov, Node& dir, std::string_view name, size_t start_pos = 0);

/// The node that already serves upper inode `upper` (a stat of it) under another name, still
/// naming it; nullptr when none (hard links, InodeTable::linked).
Node* linked_node(Overlay& ov, const struct stat& upper);
/// How many other names one node keeps (a container can give a file 65000 names, and each
/// alias costs a search of the list and the name's bytes); further names get nodes of their own.
constexpr size_t max_aliases = 256;
/// Makes `name` in directory `dir` another name of `node` (a hard link): an entry of `dir`
/// naming the node, and the alias in `node.links`, so the node can be served from it when its
/// own name goes (name_removed). False, making neither, when the node has max_aliases already.
/// drop_alias undoes both.
bool add_alias(Node& node, Node& dir, std::string_view name);
/// The name `name` in `dir` no longer names `node` (removed or moved): its entry and alias go.
void drop_alias(Node& node, Node& dir, std::string_view name) noexcept;

/// Makes `dir->children` the complete merged listing (§2.1, sorted by name).
Result<void> load_dir(Overlay& ov, Node& dir);

/// The stat users see for `node`: topmost object's stat with st_ino, nlink, id mapping, squash
/// and stat override applied; for a metacopy stub, st_blocks/st_blksize of its data file.
Result<struct stat> node_stat(Overlay& ov, Node& node);

/// `st` (a stat of the node's backing object) as users see it: st_ino, directory nlink, id
/// mapping and squash applied. node_stat's second half.
struct stat shown_stat(Overlay& ov, Node& node, struct stat st);

/// The layer a node's data lives in.
inline const Layer& node_layer(const Overlay& ov, const Node& n) {
    return ov.layers[n.layer];
}

} // namespace ovl
