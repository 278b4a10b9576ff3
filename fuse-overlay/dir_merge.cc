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
namespace {

struct DirCloser {
    void operator()(DIR* d) const noexcept { closedir(d); }
};

} // namespace

Result<std::vector<MergedName>> merged_names(const std::vector<Layer>& layers,
                                             const std::vector<unsigned>& dir_layers,
                                             const std::string& dir) {
    std::map<std::string, size_t, std::less<>> visible; // name -> first position listing it
    std::set<std::string, std::less<>> hidden; // whited out by a layer already walked
    for (size_t pos = 0; pos < dir_layers.size(); ++pos) {
        const Layer& layer = layers[dir_layers[pos]];
        Result<common::UniqueFd> fd = layer.open(dir, O_RDONLY | O_DIRECTORY);
        if (!fd)
            return fd.error();
        std::unique_ptr<DIR, DirCloser> d(fdopendir(fd->get()));
        if (!d)
            return common::last_errno();
        (void)fd->release(); // now owned by the DIR stream
        std::vector<std::string> layer_hidden;
        while (dirent* e = readdir(d.get())) {
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
            if (e->d_type == DT_CHR || e->d_type == DT_UNKNOWN) {
                Result<struct stat> st = layer.stat(join_path(dir, name));
                if (st && is_whiteout_stat(*st)) {
                    layer_hidden.emplace_back(name);
                    continue;
                }
            }
            visible.emplace(name, pos);
        }
        // A whiteout hides names in lower layers only; apply it after this layer is read.
        for (std::string& h : layer_hidden)
            if (visible.count(h) == 0)
                hidden.emplace(std::move(h));
    }
    std::vector<MergedName> out;
    out.reserve(visible.size());
    for (auto& [name, pos] : visible)
        out.push_back(MergedName{name, pos});
    return out;
}

} // namespace ovl
