// SPDX-License-Identifier: Apache-2.0
// whiteout.h — whiteouts and opaque markers: read in every form fuse-overlayfs and the kernel
// write, written in the form both read
#pragma once

#include "fuse-overlay/layer.h"

#include "common/error.h"

#include <string>
#include <string_view>
#include <sys/stat.h>

namespace ovl {

/// The AUFS-style prefix; names starting with it are never shown and never accepted.
constexpr std::string_view whiteout_prefix = ".wh.";
/// The AUFS opaque marker file.
constexpr std::string_view opaque_marker = ".wh..wh..opq";

/// True for a char device 0/0, the kernel's whiteout.
bool is_whiteout_stat(const struct stat& st) noexcept;
/// True when `name` starts with ".wh.".
bool is_reserved_name(std::string_view name) noexcept;
/// True when `layer` holds `.wh.<name>` in directory `dir` (any file type).
bool has_whiteout_file(const Layer& layer, const std::string& dir, std::string_view name);
/// True when directory `dir` of `layer` is opaque: the first present of trusted.overlay.opaque,
/// user.overlay.opaque, user.fuseoverlayfs.opaque starts with 'y'; with none present, when
/// `dir/.wh..wh..opq` exists.
bool is_opaque_dir(const Layer& layer, const std::string& dir);

// Writing side (upper layer only). Forms as fuse-overlayfs writes them (§2.2, §2.3), chosen so
// that kernel overlayfs (`-o userxattr`) and fuse-overlayfs 1.10–1.16 read the result the same way.

/// True when FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT is set: only `.wh.NAME` files are written.
bool char_whiteouts_disabled() noexcept;
/// True when `name` in directory `dir` of `upper` is a whiteout of either form.
bool has_whiteout(const Layer& upper, const std::string& dir, std::string_view name);
/// Writes a whiteout for `name` in `dir` (which must hold no object of that name): a char 0/0
/// device (mode 0700) when the kernel allows it, else an empty `.wh.NAME` file with mode 0700.
Result<void> write_whiteout(const Layer& upper, const std::string& dir, std::string_view name);
/// Removes both whiteout forms for `name` (the 0/0 device at NAME and `.wh.NAME`), if present.
Result<void> remove_whiteout(const Layer& upper, const std::string& dir, std::string_view name);
/// Marks directory `dir` opaque: `trusted.overlay.opaque=y` when privileged, otherwise
/// `user.overlay.opaque=y` (the kernel's userxattr form, which fuse-overlayfs 1.10+ reads too;
/// the original's `user.fuseoverlayfs.opaque` would show through the kernel as a plain xattr);
/// the `.wh..wh..opq` file only when the filesystem has no xattrs at all, since the kernel would
/// show that file.
Result<void> set_opaque(const Layer& upper, const std::string& dir);
/// Deletes every whiteout entry (`.wh.*` files, 0/0 devices) in `dir`, so that a directory whose
/// merged view is empty can be removed or renamed over. ENOTEMPTY if a real entry is left.
Result<void> clear_whiteouts(const Layer& upper, const std::string& dir);

} // namespace ovl
