// SPDX-License-Identifier: Apache-2.0
// dir_merge.h — the union of a directory's names over its merged layers
#pragma once

#include "fuse-overlay/layer.h"

#include <dirent.h>
#include <string>
#include <vector>

namespace ovl {

/// A name of the merged listing and the position (in the directory's `dir_layers`) of the first
/// layer that lists it; resolution can start there, as no layer above holds it or a whiteout.
struct MergedName {
    std::string name;
    size_t first_pos;
    unsigned char type = DT_UNKNOWN; ///< d_type in the topmost layer listing it
};

/// Names present in `dir` in any of `dir_layers` (indexes into `layers`), deduplicated and sorted,
/// without ".", "..", ".wh.*" entries, char 0/0 whiteouts, and names a higher layer whited out.
Result<std::vector<MergedName>> merged_names(const std::vector<Layer>& layers,
                                             const std::vector<unsigned>& dir_layers,
                                             const std::string& dir);

} // namespace ovl
