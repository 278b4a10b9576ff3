// SPDX-License-Identifier: Apache-2.0
// whiteout.cc — whiteout (char 0/0, .wh.NAME) and opaque (xattrs, .wh..wh..opq) detection
#include "fuse-overlay/whiteout.h"

#include <array>
#include <sys/sysmacros.h>

namespace ovl {

bool is_whiteout_stat(const struct stat& st) noexcept {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_reserved_name(std::string_view name) noexcept {
    return name.substr(0, whiteout_prefix.size()) == whiteout_prefix;
}

bool has_whiteout_file(const Layer& layer, const std::string& dir, std::string_view name) {
    std::string wh(whiteout_prefix);
    wh += name;
    return layer.stat(join_path(dir, wh)).has_value();
}

bool is_opaque_dir(const Layer& layer, const std::string& dir) {
    // Upstream order (§2.3); the kernel's userxattr mount writes user.overlay.opaque.
    static constexpr std::array<const char*, 3> names = {
        "trusted.overlay.opaque", "user.overlay.opaque", "user.fuseoverlayfs.opaque"};
    for (const char* name : names) {
        char v = 0;
        Result<size_t> r = layer.getxattr(dir, name, &v, 1);
        if (r)
            return *r > 0 && v == 'y';
        // ERANGE: a longer value exists; read it whole.
        if (r.error().value == ERANGE) {
            Result<std::string> s = layer.getxattr(dir, name);
            return s && !s->empty() && (*s)[0] == 'y';
        }
    }
    return layer.stat(join_path(dir, opaque_marker)).has_value();
}

} // namespace ovl
