// SPDX-License-Identifier: Apache-2.0
// xino.cc — fsids from the layers' st_dev and the st_ino layout (compat doc §2.8)
#include "fuse-overlay/xino.h"

#include "common/log.h"

#include <algorithm>
#include <bit>

namespace ovl {

Xino::Xino(const std::vector<dev_t>& layer_devs) {
    std::vector<dev_t> seen;
    fsid_.reserve(layer_devs.size());
    for (dev_t d : layer_devs) {
        auto it = std::find(seen.begin(), seen.end(), d);
        if (it == seen.end()) {
            seen.push_back(d);
            it = seen.end() - 1;
        }
        fsid_.push_back(static_cast<uint16_t>(it - seen.begin()));
    }
    filesystems_ = seen.empty() ? 1 : static_cast<unsigned>(seen.size());
    // As the kernel's xino: ilog2(N - 1) + 1 bits of fsid, plus one bit below them kept 0.
    if (filesystems_ > 1)
        bits_ = static_cast<unsigned>(std::bit_width(filesystems_ - 1u)) + 1;
}

ino_t Xino::map(unsigned layer, ino_t raw) const noexcept {
    if (bits_ == 0)
        return raw;
    unsigned shift = 64 - bits_;
    auto value = static_cast<uint64_t>(raw);
    if ((value >> shift) != 0) {
        if (overflows_++ == 0)
            common::log::warn("inode number %llu of layer %u uses the high bits that keep st_ino "
                              "unique across filesystems; shown unchanged",
                              static_cast<unsigned long long>(value), layer);
        return raw;
    }
    return static_cast<ino_t>(value | (uint64_t{fsid(layer)} << (shift + 1)));
}

} // namespace ovl
