// SPDX-License-Identifier: Apache-2.0
// ovl_parsers.cc — fuse-overlay's value parsers: the override_stat xattr ("uid:gid:mode[:type]")
// with its writer, and the uidmapping=/gidmapping= id maps with both directions of mapping.
//
// Entry points: ovl::parse_stat_override, ovl::format_stat_override, ovl::parse_idmap,
// ovl::IdMap::to_shown, ovl::IdMap::to_disk, ovl::is_internal_xattr.
//
// Input: first byte even: an override_stat value; odd: an id map (the rest of the input).
#include "fuse-overlay/idmap.h"
#include "fuse-overlay/xattr.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <sys/stat.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::string_view v(reinterpret_cast<const char*>(data + 1), size - 1);
    (void)ovl::is_internal_xattr(v);
    if ((data[0] & 1) == 0) {
        std::optional<ovl::StatOverride> o = ovl::parse_stat_override(v);
        if (!o)
            return 0;
        // What the writer stores for a parsed value reads back as the same ids and bits.
        std::string w = ovl::format_stat_override(*o);
        std::optional<ovl::StatOverride> back = ovl::parse_stat_override(w);
        if (!back || back->uid != o->uid || back->gid != o->gid ||
            (back->mode & 07777) != (o->mode & 07777))
            __builtin_trap();
        return 0;
    }
    std::optional<ovl::IdMap> m = ovl::parse_idmap(v);
    if (!m)
        return 0;
    for (uint32_t id : {0u, 1u, 1000u, 65534u, 100000u, 0xfffffffeu, 0xffffffffu}) {
        (void)m->to_disk(m->to_shown(id, 65534), 65534);
        (void)m->to_shown(m->to_disk(id, 65534), 65534);
    }
    for (const ovl::IdRange& r : m->ranges()) { // each range's first id maps as the range says
        if (r.len != 0 && m->to_shown(r.disk, 65534) != r.shown) {
            // an earlier range covering the same id wins: that is allowed
            bool shadowed = false;
            for (const ovl::IdRange& e : m->ranges()) {
                if (&e == &r)
                    break;
                shadowed = shadowed || (r.disk >= e.disk && r.disk - e.disk < e.len);
            }
            if (!shadowed)
                __builtin_trap();
        }
    }
    return 0;
}
