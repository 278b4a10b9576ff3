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

/// Where a layer in the containers stat-override mode (xattr_permissions=2, or a root carrying
/// user.containers.override_stat) keeps security.* and the overlay's own names set through the
/// mount, as upstream 1.14+: "security.capability" is stored as
/// "user.containers.override_security.capability", so a container's file capabilities and SELinux
/// labels need no privilege and never act on the host.
inline constexpr std::string_view containers_xattr_prefix = "user.containers.override_";

/// The name a client sees for `stored`, a name on a layer (`containers`: that layer is in the
/// containers mode); empty when hidden. There security.* is hidden and an encoded name decoded.
std::string_view visible_xattr_name(std::string_view stored, bool containers) noexcept;

/// The name to store the client's `name` under on a layer; empty when it may not be set there
/// (upstream: EPERM), i.e. an internal name outside the containers mode, or a name too long.
std::string stored_xattr_name(std::string_view name, bool containers);

/// A decoded `uid:gid:mode[:type]` override value.
struct StatOverride {
    uid_t uid;
    gid_t gid;
    mode_t mode; ///< permission bits (and type bits when the value carried them)
    mode_t type; ///< S_IFMT from the 4th field, or 0 to keep the backing file's type
    dev_t rdev;  ///< for block-M-m / char-M-m
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
