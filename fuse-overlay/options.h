// SPDX-License-Identifier: Apache-2.0
// options.h — everything the command line decides for one fuse-overlay mount
#pragma once

#include "fuse-overlay/idmap.h"

#include <optional>
#include <string>
#include <vector>

namespace ovl {

/// The parsed `-o` options and flags; defaults are fuse-overlayfs 1.16's `main()` initialisers.
struct OverlayOptions {
    enum class Action { mount, help, version };
    Action action = Action::mount;

    std::vector<std::string> lowerdirs; ///< top first, as given (unescaped, not yet resolved)
    std::string upperdir;               ///< empty: read-only mount
    std::string workdir;
    std::string mountpoint;

    IdMap uid_map; ///< empty = identity
    IdMap gid_map;
    bool squash_to_root = false;
    std::optional<uint32_t> squash_to_uid;
    std::optional<uint32_t> squash_to_gid;

    int xattr_permissions = 0; ///< 0, 1 (security.*) or 2 (user.containers.*)
    bool static_nlink = false;
    bool noacl = false;
    bool threaded = false;
    bool fsync = true;
    bool fast_ino = false;
    bool writeback = true;
    bool noxattrs = false;
    bool metacopy = false; ///< ours: -o metacopy=on copies only metadata up on chmod/chown/utimes
    double timeout = 1e9;
    std::string context; ///< accepted and ignored, as upstream

    bool foreground = false; ///< -f, -d, -o debug
    bool debug = false;      ///< --debug, -d, -o debug: our own trace lines
    bool fuse_debug = false; ///< --debug, -d, -o debug: libfuse's request trace
    /// With debug: upstream's "uid=…", "lowerdir=…", "fsync=…" lines, printed before mounting.
    std::vector<std::string> debug_banner;

    /// Mount/session options handed to libfuse (`-o` values), injected defaults first.
    std::vector<std::string> fuse_opts;
    /// Lines to print on stderr before mounting ("unknown argument ignored: rw").
    std::vector<std::string> warnings;
};

} // namespace ovl
