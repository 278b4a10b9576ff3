// SPDX-License-Identifier: Apache-2.0
// idmap.cc — parsing and applying uidmapping=/gidmapping= (fuse-overlayfs find_mapping semantics)
#include "fuse-overlay/idmap.h"

#include <charconv>

namespace ovl {

uint32_t IdMap::to_shown(uint32_t id, uint32_t overflow) const noexcept {
    if (ranges_.empty())
        return id;
    for (const IdRange& r : ranges_)
        if (id >= r.disk && id - r.disk < r.len)
            return r.shown + (id - r.disk);
    return overflow;
}

uint32_t IdMap::to_disk(uint32_t id, uint32_t overflow) const noexcept {
    if (ranges_.empty())
        return id;
    for (const IdRange& r : ranges_)
        if (id >= r.shown && id - r.shown < r.len)
            return r.disk + (id - r.shown);
    return overflow;
}

std::optional<IdMap> parse_idmap(std::string_view s) {
    // Upstream splits with strtok(":"), so empty tokens (leading, trailing, doubled ':') vanish.
    std::vector<uint32_t> nums;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t end = s.find(':', pos);
        if (end == std::string_view::npos)
            end = s.size();
        std::string_view tok = s.substr(pos, end - pos);
        pos = end + 1;
        if (tok.empty())
            continue;
        uint32_t v = 0;
        auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
        if (ec != std::errc() || p != tok.data() + tok.size())
            return std::nullopt;
        nums.push_back(v);
    }
    if (nums.size() % 3 != 0)
        return std::nullopt;
    std::vector<IdRange> ranges;
    for (size_t i = 0; i < nums.size(); i += 3)
        ranges.push_back(IdRange{nums[i], nums[i + 1], nums[i + 2]});
    return IdMap(std::move(ranges));
}

} // namespace ovl
