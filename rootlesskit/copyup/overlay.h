// SPDX-License-Identifier: Apache-2.0
// overlay.h — the overlayfs copy-up driver, ours only (docs/compat/rootlesskit.md §6.5)
#pragma once

#include "rootlesskit/copyup/tmpfs_symlink.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlk::copyup {

/// Covers each dir with a kernel overlay (lowerdir=<dir>, userxattr, upper and work on a private
/// tmpfs); a dir the kernel refuses is warned about and copied up with tmpfs+symlink instead.
/// `keep`: a dir (the state dir) bind-mounted from the original over its place in an overlay
/// above it, as a unix socket in an overlay's lower cannot be connected to through the overlay.
class Overlay final : public CopyUpDriver {
public:
    explicit Overlay(std::string keep = "") : keep_(std::move(keep)) {}
    std::vector<std::string> copy_up(const std::vector<std::string>& dirs) override;

private:
    std::string keep_;
};

/// The driver for a --copy-up-mode value ("tmpfs+symlink" or "overlayfs"); nullptr otherwise.
/// state_dir is kept reachable by either.
std::unique_ptr<CopyUpDriver> make_driver(const std::string& mode, const std::string& state_dir);

/// A path as one overlay lowerdir value: '\' and ':' escaped with '\'.
std::string escape_lowerdir(const std::string& path);

/// The outermost mount points strictly beneath dir in /proc/self/mountinfo text (octal escapes
/// such as \040 decoded), in mount order; later mounts on the same point are dropped.
std::vector<std::string> outer_submounts(const std::string& mountinfo, const std::string& dir);

/// The reason for a refused overlay: the kernel's fs-context messages ("e overlay: …" lines,
/// prefix dropped, joined by "; ") when there are any, then the errno text.
std::string refusal_reason(const std::string& step, const std::string& kernel_log,
                           const std::string& errno_text);

/// The warning logged before falling back to tmpfs+symlink for dir.
std::string fallback_message(const std::string& dir, const std::string& reason);

} // namespace rlk::copyup
