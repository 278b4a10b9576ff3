// SPDX-License-Identifier: Apache-2.0
// whiteout.h — reading whiteouts and opaque markers in every form fuse-overlayfs and the kernel write
#pragma once

#include "fuse-overlay/layer.h"

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

} // namespace ovl
