// SPDX-License-Identifier: Apache-2.0
// tmpfs_symlink.h — the tmpfs+symlink copy-up driver (upstream pkg/copyup/tmpfssymlink)
#pragma once

#include <string>
#include <vector>

namespace rlk::copyup {

class CopyUpDriver {
public:
    virtual ~CopyUpDriver() = default;
    /// Makes each dir writable; returns the dirs copied up. Throws on failure.
    virtual std::vector<std::string> copy_up(const std::vector<std::string>& dirs) = 0;
};

class TmpfsSymlink final : public CopyUpDriver {
public:
    std::vector<std::string> copy_up(const std::vector<std::string>& dirs) override;
};

/// filepath.Clean of each dir; throws "/tmp cannot be copied up" (checked before any mount).
std::vector<std::string> clean_dirs(const std::vector<std::string>& dirs);

/// The symlink target for one top-level entry: a symlink's own target, verbatim, or
/// "<ro_base>/<name>" pointing into the hidden original.
std::string link_target(const std::string& name, bool is_symlink, const std::string& readlink,
                        const std::string& ro_base);

} // namespace rlk::copyup
