// SPDX-License-Identifier: Apache-2.0
// layer.h — one overlay layer: a root directory fd and *at() access relative to it
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>

namespace ovl {

using common::Errno;
using common::Result;

/// Which stat-override xattr a layer carries on its root (docs/compat/fuse-overlayfs.md §2.5), if any.
enum class OverrideMode { none, privileged, containers, user };

/// The xattr name for `m` ("user.containers.override_stat", …); empty for none.
const char* override_xattr_name(OverrideMode m) noexcept;

/// A directory tree taking part in the overlay. Paths are relative to its root; "" is the root.
/// Layers never change under a live mount (upstream's rule), so components we walk through were
/// seen as real directories when the node was resolved.
class Layer {
public:
    /// Opens `path` (already resolved) as layer `index`. Throws SysError.
    Layer(std::string path, unsigned index, bool is_upper);

    unsigned index() const noexcept { return index_; }
    bool is_upper() const noexcept { return is_upper_; }
    int fd() const noexcept { return root_.get(); }
    const std::string& path() const noexcept { return path_; }
    dev_t dev() const noexcept { return dev_; }
    OverrideMode override_mode() const noexcept { return override_; }
    void set_override_mode(OverrideMode m) noexcept { override_ = m; }

    /// lstat of `rel`.
    Result<struct stat> stat(const std::string& rel) const noexcept;
    /// openat(root, rel, flags | O_CLOEXEC | O_NOFOLLOW).
    Result<common::UniqueFd> open(const std::string& rel, int flags) const noexcept;
    /// readlinkat of `rel`.
    Result<std::string> readlink(const std::string& rel) const;
    /// lgetxattr of `rel`; with size 0 returns the value's size. ENODATA when absent.
    Result<size_t> getxattr(const std::string& rel, const char* name, void* buf,
                            size_t size) const;
    /// The whole value of an xattr, or an error (ENODATA when absent).
    Result<std::string> getxattr(const std::string& rel, const char* name) const;
    /// lsetxattr of `rel` (flags 0).
    Result<void> setxattr(const std::string& rel, const char* name, std::string_view value) const;
    /// llistxattr of `rel`.
    Result<size_t> listxattr(const std::string& rel, char* buf, size_t size) const;

private:
    std::string proc_path(const std::string& rel) const;

    std::string path_;
    unsigned index_;
    bool is_upper_;
    common::UniqueFd root_;
    dev_t dev_ = 0;
    OverrideMode override_ = OverrideMode::none;
};

/// "a/b" + "c" = "a/b/c"; "" + "c" = "c".
std::string join_path(std::string_view dir, std::string_view name);

} // namespace ovl
