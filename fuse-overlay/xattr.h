// SPDX-License-Identifier: Apache-2.0
// xattr.h — which xattrs the overlay keeps to itself, and the override_stat format (§2.4, §2.5)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace ovl {

/// True for names users never see: user.fuseoverlayfs.*, trusted.overlay.*, user.overlay.*,
/// and the override_stat names (all three forms).
bool is_internal_xattr(std::string_view name) noexcept;

/// A decoded `uid:gid:mode[:type]` override value.
struct StatOverride {
    uid_t uid;
    gid_t gid;
    mode_t mode;  ///< permission bits (and type bits when the value carried them)
    mode_t type;  ///< S_IFMT from the 4th field, or 0 to keep the backing file's type
    dev_t rdev;   ///< for block-M-m / char-M-m
};

/// Parses an override_stat value; nullopt for anything malformed (upstream: EINVAL).
std::optional<StatOverride> parse_stat_override(std::string_view v) noexcept;

/// The value to store for `o`. With `type` 0, or a directory or regular file, upstream's
/// "uid:gid:mode" (the octal mode as given, type bits included when it has them); otherwise
/// "uid:gid:perm:type" with the permission bits only and the 4th field as parse_stat_override
/// reads it ("char-M-m", "block-M-m", "pipe", "socket", "symlink"), so that a regular backing
/// file can stand for a device, fifo or socket (§2.5).
std::string format_stat_override(const StatOverride& o);

} // namespace ovl
