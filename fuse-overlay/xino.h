// SPDX-License-Identifier: Apache-2.0
// xino.h — st_ino unique across layers on different filesystems (kernel overlayfs' xino layout)
#pragma once

#include <cstdint>
#include <sys/types.h>
#include <vector>

namespace ovl {

/// Maps a layer's inode number to the one users see (docs/compat/fuse-overlayfs.md §2.8). Each
/// distinct filesystem among the layers gets an fsid in layer order, the top layer's being 0;
/// with one filesystem nothing changes. With N > 1 the top `bits()` = ilog2(N - 1) + 2 bits of
/// st_ino are overlay's: the fsid sits above the lowest of them, which stays 0 (the kernel
/// reserves it for inode numbers it makes up). An inode number already using those bits is
/// shown as it is (the kernel falls back the same way) and counted in `overflows()`.
class Xino {
public:
    Xino() = default;
    /// From each layer's st_dev, top layer first.
    explicit Xino(const std::vector<dev_t>& layer_devs);

    /// Overlay-owned high bits of st_ino; 0 when every layer is on one filesystem.
    unsigned bits() const noexcept { return bits_; }
    /// Distinct filesystems among the layers.
    unsigned filesystems() const noexcept { return filesystems_; }
    /// The fsid of `layer`'s filesystem (0 for the top layer's).
    unsigned fsid(unsigned layer) const noexcept { return layer < fsid_.size() ? fsid_[layer] : 0; }
    /// The st_ino shown for inode `raw` of layer `layer`.
    ino_t map(unsigned layer, ino_t raw) const noexcept;
    /// Inode numbers seen that were too big to carry the fsid (shown unchanged).
    uint64_t overflows() const noexcept { return overflows_; }

private:
    std::vector<uint16_t> fsid_;
    unsigned bits_ = 0;
    unsigned filesystems_ = 1;
    mutable uint64_t overflows_ = 0;
};

} // namespace ovl
