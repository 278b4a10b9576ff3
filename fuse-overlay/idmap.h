// SPDX-License-Identifier: Apache-2.0
// idmap.h — uidmapping=/gidmapping= ranges: on-disk ids to the ids the mount shows, and back
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ovl {

/// One `A:B:LEN` triple: on-disk id A+i is shown as B+i.
struct IdRange {
    uint32_t disk;
    uint32_t shown;
    uint32_t len;
};

/// A list of ranges; an empty map is the identity, a non-empty one maps unknown ids to `overflow`.
class IdMap {
public:
    IdMap() = default;
    explicit IdMap(std::vector<IdRange> ranges) : ranges_(std::move(ranges)) {}

    bool empty() const noexcept { return ranges_.empty(); }
    const std::vector<IdRange>& ranges() const noexcept { return ranges_; }
    /// The id the mount shows for on-disk id `id` (first matching range wins).
    uint32_t to_shown(uint32_t id, uint32_t overflow) const noexcept;
    /// The on-disk id for shown id `id`.
    uint32_t to_disk(uint32_t id, uint32_t overflow) const noexcept;

private:
    std::vector<IdRange> ranges_;
};

/// Parses "A:B:LEN[:A:B:LEN...]", tolerating empty tokens (":0:1:1", as containers/storage sends);
/// nullopt when a token is not a number or the count is not a multiple of 3.
std::optional<IdMap> parse_idmap(std::string_view s);

} // namespace ovl
