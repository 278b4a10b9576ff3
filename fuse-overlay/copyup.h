// SPDX-License-Identifier: Apache-2.0
// copyup.h — bringing a lower object (and its parents) into the upper layer, atomically
#pragma once

#include "fuse-overlay/overlay.h"

#include <functional>
#include <string>
#include <sys/stat.h>

namespace ovl {

/// Makes sure `node` and, first, all its parents exist in the upper layer
/// (docs/compat/fuse-overlayfs.md §2.6). No-op when already there. Each object is built in
/// `<workdir>/work` (data via copy_file_range, falling back to read/write, sparse-aware; then
/// xattrs, owner, mode, times, and the `user.fuseoverlayfs.origin` / `trusted.overlay.origin`
/// xattr), then renamed into upper, so an interrupted copy-up leaves the lower object visible and
/// nothing half-written in upper. Afterwards `node.layer` is the upper layer's index and, for a
/// directory, `node.dir_layers` starts with it. EROFS without an upper layer. Caller holds `ov.mu`
/// when threaded. With `-o metacopy=on`, a regular file is copied with data as well; use
/// copy_up_meta for the metadata-only variant.
Result<void> copy_up(Overlay& ov, Node& node);

/// Like copy_up, but for a regular file under `-o metacopy=on` only metadata is copied (the
/// kernel overlayfs format: an empty upper file sized like the lower one carrying
/// `<ns>overlay.metacopy` and `<ns>overlay.origin`); falls back to copy_up otherwise or for any
/// other file type. Used by setattr (chmod/chown/utimes) and setxattr.
Result<void> copy_up_meta(Overlay& ov, Node& node);

/// Copies up every ancestor directory of `node` (not `node` itself), parents first, so that an
/// entry can be created next to it in upper. Works for nodes that do not exist anywhere yet
/// (a name about to be created) as long as `node.parent` is set. The root is always in upper.
Result<void> copy_up_parent_dirs(Overlay& ov, Node& node);

/// Copies up the directory `dir` itself (and its parents). Same as copy_up for a directory node;
/// named for callers creating entries inside `dir`.
inline Result<void> copy_up_dir(Overlay& ov, Node& dir) {
    return copy_up(ov, dir);
}

/// Whether `node`'s upper object is a metacopy (data still in a lower layer). Always false
/// for nodes not in upper.
bool is_metacopy(const Overlay& ov, Node& node);

/// The layer and path holding `node`'s data: for a metacopy upper file, the lower layer the
/// data lives in (its `overlay.redirect` or same path); otherwise the node's own layer/path.
struct DataSource {
    unsigned layer;
    std::string path;
};
Result<DataSource> data_source(const Overlay& ov, Node& node);

/// Turns a metacopy upper file into a full copy (data copied from the lower file, metacopy
/// xattr removed). No-op for a full file. Called on the first open for write.
Result<void> complete_metacopy(Overlay& ov, Node& node);

/// Empties `<workdir>/work` (creating it when missing) so leftovers of an interrupted copy-up
/// vanish. Called once at mount. Throws common::SysError.
void prepare_workdir(const std::string& workdir);

/// Removes everything inside the directory open as `dirfd` (recursively; errors ignored).
void empty_dir(int dirfd);

// ---- building blocks shared by copyup.cc and metacopy.cc -------------------------------------

/// What one copy is made of: type/owner/mode/xattrs/times from `meta` (whose lstat is `st`), the
/// data from `data`, and the `user.fuseoverlayfs.origin` value (none when empty).
struct CopySpec {
    const Layer* meta;
    std::string meta_path;
    const Layer* data;
    std::string data_path;
    struct stat st;
    bool with_data; ///< false: a metacopy body (size only, no data blocks)
    std::string origin;
};
/// The spec copying `node` from its own layer (stat `st`) with data and origin = its path.
CopySpec plain_spec(const Overlay& ov, const Node& node, const struct stat& st);
/// Builds `spec` in the work dir, runs `extra` on it (may be empty), then renames it
/// to `node.path` in upper (`replace`: over an existing upper object; else RENAME_NOREPLACE) and
/// marks the node as upper. On failure the work entry is removed.
Result<void> publish_copy(Overlay& ov, Node& node, const CopySpec& spec, bool replace,
                          const std::function<Result<void>(const Obj&)>& extra);
/// Copies `size` bytes from `in` to `out` (same offsets), skipping holes; copy_file_range with a
/// read/write fallback.
Result<void> copy_file_data(int in, int out, off_t size, bool maybe_sparse = true);
/// Copies the user-visible xattrs of `rel` in `src` to the object `dst` (stored as the upper
/// layer keeps them, `dst_containers`). Names the target has no room for (EINVAL, EOPNOTSUPP) are
/// skipped as upstream; one that cannot be read (EPERM, EACCES, EOVERFLOW) or set (EPERM,
/// EACCES) is skipped too, counted (xattrs_not_copied) and logged (a warning naming it for the
/// first few, and one debug line per copy-up with its count). File capabilities a user namespace
/// may set are kept.
Result<void> copy_xattrs(const Layer& src, const std::string& rel, const Obj& dst,
                         bool dst_containers = false);
/// How many xattrs copy-ups of this process have left behind (see copy_xattrs).
uint64_t xattrs_not_copied() noexcept;

/// Test hook: when set, called after an object is built in the work dir and before it is
/// renamed into upper; a non-zero return aborts the copy-up with that errno, leaving the work
/// file behind (as a crash would).
extern int (*copyup_fault_hook)(const char* work_name);

} // namespace ovl
