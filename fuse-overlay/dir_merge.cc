// SPDX-License-Identifier: Apache-2.0
// dir_merge.cc — readdir union: deduplicate names, hide whiteouts, stop at an opaque directory
#include "fuse-overlay/dir_merge.h"

#include "fuse-overlay/whiteout.h"

#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <sys/sysmacros.h>

namespace ovl {
Result<std::vector<MergedName>> merged_names(const std::vector<Layer>& layers,
                                             const std::vector<unsigned>& dir_layers,
                                             const std::string& dir) {
    // name -> first position listing it, and its d_type there
    std::map<std::string, std::pair<size_t, unsigned char>, std::less<>> visible;
    std::set<std::string, std::less<>> hidden; // whited out by a layer already walked
    for (size_t pos = 0; pos < dir_layers.size(); ++pos) {
        const Layer& layer = layers[dir_layers[pos]];
        Result<DirStream> d = DirStream::open(layer, dir);
        if (!d)
            return d.error();
        std::vector<std::string> layer_hidden;
        while (dirent* e = d->next()) {
            std::string_view name = e->d_name;
            if (name == "." || name == "..")
                continue;
            if (is_reserved_name(name)) {
                if (name != opaque_marker)
                    layer_hidden.emplace_back(name.substr(whiteout_prefix.size()));
                continue;
            }
            if (visible.count(name) != 0 || hidden.count(name) != 0)
                continue;
            unsigned char type = e->d_type;
            if (type == DT_CHR || type == DT_UNKNOWN) {
                // One name in the directory just opened beneath the root.
                struct stat st {};
                bool have = fstatat(d->fd(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
                if (have && is_whiteout_stat(st)) {
                    layer_hidden.emplace_back(name);
                    continue;
                }
                if (have)
                    type = static_cast<unsigned char>(IFTODT(st.st_mode));
            }
            visible.emplace(name, std::make_pair(pos, type));
        }
        // A whiteout hides names in lower layers only; apply it after this layer is read.
        for (std::string& h : layer_hidden)
            if (visible.count(h) == 0)
                hidden.emplace(std::move(h));
    }
    std::vector<MergedName> out;
    out.reserve(visible.size());
    for (auto& [name, at] : visible)
        out.push_back(MergedName{name, at.first, at.second});
    return out;
}

} // namespace ovl
