// SPDX-License-Identifier: Apache-2.0
// names_helpers.h — what the namespace ops leave in the upper layer, as unit tests inspect it
#pragma once

#include "temp_tree.h"

#include "fuse-overlay/whiteout.h"

#include <string>
#include <sys/stat.h>
#include <sys/xattr.h>

namespace ovl::test {

/// "absent", "whiteout" (char 0/0), "file", "dir", "symlink", "fifo" or "other" for `rel` in
/// layer `layer`.
inline std::string kind_at(const TempTree& t, unsigned layer, const std::string& rel) {
    struct stat st {};
    if (::lstat(t.path(layer, rel).c_str(), &st) < 0)
        return "absent";
    if (is_whiteout_stat(st))
        return "whiteout";
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
        return "file";
    case S_IFDIR:
        return "dir";
    case S_IFLNK:
        return "symlink";
    case S_IFIFO:
        return "fifo";
    default:
        return "other";
    }
}

/// The value of xattr `name` on `rel` in layer `layer`, or "" when absent.
inline std::string xattr_at(const TempTree& t, unsigned layer, const std::string& rel,
                            const char* name) {
    char buf[256];
    ssize_t n = ::lgetxattr(t.path(layer, rel).c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

/// Whether the upper layer (layer 0) marks `rel` opaque in a form kernel overlayfs reads:
/// trusted.overlay.opaque when we are privileged, user.overlay.opaque otherwise.
inline bool kernel_opaque(const TempTree& t, const std::string& rel) {
    return xattr_at(t, 0, rel, "trusted.overlay.opaque") == "y" ||
           xattr_at(t, 0, rel, "user.overlay.opaque") == "y";
}

/// Who creates: shown ids 0:0.
inline Caller root_caller() {
    return Caller{0, 0};
}

/// Sets FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT for the lifetime of the object.
struct NoCharWhiteouts {
    NoCharWhiteouts() { ::setenv("FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT", "1", 1); }
    ~NoCharWhiteouts() { ::unsetenv("FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT"); }
    NoCharWhiteouts(const NoCharWhiteouts&) = delete;
    NoCharWhiteouts& operator=(const NoCharWhiteouts&) = delete;
};

} // namespace ovl::test
