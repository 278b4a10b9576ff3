// SPDX-License-Identifier: Apache-2.0
// rlk_idmap.cc — rootlesskit's subordinate-id sources (/etc/subuid text, getsubids output),
// the newuidmap argument builder fed by them, and /proc/PID/uid_map parsing.
//
// Entry points: rlk::parse_subid_file, rlk::parse_getsubids, rlk::dedup, rlk::newidmap_args,
// common::ns::parse_id_map, common::ns::format_id_map.
//
// Input: first byte selects the parser (0 subuid, 1 getsubids, 2 uid_map), the rest is the text.
#include "common/ns.h"
#include "rootlesskit/idmap.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 3) {
        case 0: {
            auto r = rlk::parse_subid_file(text, "/etc/subuid", "1000", "tuser");
            (void)rlk::newidmap_args(4242, 1000, rlk::dedup(r));
            break;
        }
        case 1: {
            auto r = rlk::parse_getsubids(text);
            (void)rlk::newidmap_args(4242, 1000, rlk::dedup(r));
            break;
        }
        default: {
            auto m = common::ns::parse_id_map(text);
            // What parsed formats and parses back to the same map.
            if (common::ns::parse_id_map(common::ns::format_id_map(m)) != m)
                __builtin_trap();
            break;
        }
        }
    } catch (const std::exception&) {
    }
    return 0;
}
