// SPDX-License-Identifier: Apache-2.0
// names.h — steps shared by the namespace ops (create, remove, rename): the caller's ids, upper
// parent directories, whiteout-aware removal, and keeping the node tree equal to the merged view
#pragma once

#include "fuse-overlay/overlay.h"

#include <fuse_lowlevel.h>

#include <string>
#include <string_view>
#include <sys/types.h>

namespace ovl {

/// Who asks: the ids the mount shows (mapped back to disk ids when an object is created).
struct Caller {
    uid_t uid = 0;
    gid_t gid = 0;
};
Caller caller_of(fuse_req_t req) noexcept;

/// The directory node `parent`, copied up so that entries can be made in it. ENOTDIR, EROFS.
Result<Node*> upper_dir(Overlay& ov, fuse_ino_t parent);
/// EINVAL for ".wh.*" names (§2.1), ENAMETOOLONG beyond 255 bytes.
Result<void> check_new_name(std::string_view name);
/// Whether a layer below the upper one, among `dir`'s merged layers, shows `name` (so removing
/// it from the merged view needs a whiteout). A whiteout in a lower layer ends the search.
Result<bool> lower_holds(const Overlay& ov, const Node& dir, std::string_view name);
/// Whether any layer below the upper one has an entry at `name` in `dir` at all, whited out or
/// not: a directory placed there must be opaque so nothing below shows through.
bool lower_has_entry(const Overlay& ov, const Node& dir, std::string_view name);
/// True when `node` lives only in the upper layer (a directory with no lower part).
bool upper_only(const Node& node) noexcept;

/// The mode to create a backing object with: `mode`, or with 0755 added when the upper layer
/// keeps modes in the stat-override xattr (upstream, so the daemon can always reach its files).
mode_t backing_mode(const Overlay& ov, mode_t mode) noexcept;
/// Gives a new upper object at `path` the caller's owner mapped to disk ids (§2.9), or writes
/// the stat-override xattr when the upper layer keeps owners there (§2.5). `mode` has type bits.
Result<void> set_new_owner(Overlay& ov, const std::string& path, const Caller& c, mode_t mode);
/// Adds the node for a just-made upper object `name` in `dir` and returns its entry (nlookup+1).
Result<fuse_entry_param> add_new_node(Overlay& ov, Node& dir, std::string_view name);
/// The entry reply for an existing node (nlookup+1).
Result<fuse_entry_param> entry_of(Overlay& ov, Node& node);
/// entry_of with the stat users see already known (`shown`, from node_stat or shown_stat).
fuse_entry_param entry_with(Overlay& ov, Node& node, const struct stat& shown) noexcept;

/// Removes the upper object at `path`; with `whiteout`, leaves a whiteout there, atomically
/// (RENAME_WHITEOUT into the work dir) when the kernel allows char 0/0 whiteouts.
Result<void> remove_upper(Overlay& ov, const std::string& path, bool is_dir, bool whiteout);
/// The upper inode number of `node` when it has hard-link paths to fall back to, else 0; taken
/// before its name is removed, for name_removed.
ino_t upper_ino(const Overlay& ov, const Node& node);
/// For an upper non-directory the kernel still references (it may be open), a hard link in
/// the work dir that keeps it reachable after its name goes (§2.7: "unlinked-but-open files
/// kept in work"); returns its path relative to the upper root, or "" when not kept.
std::string keep_unlinked(Overlay& ov, const Node& node);
/// Removes the work-dir link keep_unlinked made (when the removal failed).
void drop_kept(Overlay& ov, const Node& node);
/// The name `node` had is gone (unlinked, or replaced by a rename): it leaves its parent's
/// children. When it has another hard-link path still naming upper inode `disk_ino`, it is
/// served from there (the kernel keeps using the node for that name); else from `kept` (see
/// keep_unlinked); else its path becomes one no layer holds, so late setattr/getattr calls
/// cannot touch the old name. May free the node.
void name_removed(Overlay& ov, Node& node, ino_t disk_ino, const std::string& kept = {});
/// Sets `node`'s path and, recursively, its known descendants' paths.
void set_subtree_path(Overlay& ov, Node& node, std::string path);

} // namespace ovl
