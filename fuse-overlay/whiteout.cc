// SPDX-License-Identifier: Apache-2.0
// whiteout.cc — whiteouts (char 0/0, .wh.NAME) and opaque marks (xattrs, .wh..wh..opq): detection
// in every form, and writing in the form kernel overlayfs and fuse-overlayfs both read
#include "fuse-overlay/whiteout.h"

#include <array>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

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

namespace {

std::string wh_name(std::string_view name) {
    std::string wh(whiteout_prefix);
    wh += name;
    return wh;
}

// Errors of mknod/RENAME_WHITEOUT that mean "this kernel or filesystem cannot": use .wh. files.
bool no_char_whiteout(int e) noexcept {
    return e == EPERM || e == ENOTSUP || e == EINVAL;
}

Result<void> set_xattr(const Layer& l, const std::string& rel, const char* name) {
    return l.setxattr(rel, name, "y");
}

} // namespace

bool char_whiteouts_disabled() noexcept {
    const char* v = std::getenv("FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT");
    return v != nullptr && *v != '\0';
}

bool has_whiteout(const Layer& upper, const std::string& dir, std::string_view name) {
    // Both names through Layer::stat, which follows nothing: in a live mount the directory is
    // held open (Overlay::hold_dirs_for_good), so every create asks this without resolving it.
    Result<struct stat> st = upper.stat(join_path(dir, name));
    return (st && is_whiteout_stat(*st)) || has_whiteout_file(upper, dir, name);
}

Result<void> write_whiteout(const Layer& upper, const std::string& dir, std::string_view name) {
    if (!char_whiteouts_disabled()) {
        std::string p = join_path(dir, name);
        // Mode 0 (c---------), as RENAME_WHITEOUT and the original's unlink leave it.
        Result<void> r = upper.mknod(p, S_IFCHR, makedev(0, 0));
        if (r || !no_char_whiteout(r.error().value))
            return r;
    }
    Result<common::UniqueFd> fd = upper.create(join_path(dir, wh_name(name)), O_WRONLY, 0700);
    if (!fd && fd.error().value != EEXIST)
        return fd.error();
    return {};
}

Result<void> remove_whiteout(const Layer& upper, const std::string& dir, std::string_view name) {
    std::string p = join_path(dir, name);
    Result<struct stat> st = upper.stat(p);
    if (st && is_whiteout_stat(*st))
        if (Result<void> r = upper.unlink(p, 0); !r && r.error().value != ENOENT)
            return r;
    if (Result<void> r = upper.unlink(join_path(dir, wh_name(name)), 0);
        !r && r.error().value != ENOENT)
        return r;
    return {};
}

Result<void> set_opaque(const Layer& upper, const std::string& dir) {
    Result<void> r = set_xattr(upper, dir, "trusted.overlay.opaque");
    if (r)
        return {};
    if (r.error().value == EPERM) {
        // Kernel overlayfs (userxattr), fuse-overlayfs 1.10+ and 2.0 all read this one. Not
        // user.fuseoverlayfs.opaque as well: the kernel would show it as an ordinary xattr.
        r = set_xattr(upper, dir, "user.overlay.opaque");
        if (r || (r.error().value != ENOTSUP && r.error().value != EPERM))
            return r;
    } else if (r.error().value != ENOTSUP) {
        return r;
    }
    // No xattrs here (or none we may set): the AUFS marker file, as every reader understands.
    Result<common::UniqueFd> fd = upper.create(join_path(dir, opaque_marker), O_WRONLY, 0700);
    if (!fd && fd.error().value != EEXIST)
        return fd.error();
    return {};
}

Result<void> clear_whiteouts(const Layer& upper, const std::string& dir) {
    Result<DirStream> d = DirStream::open(upper, dir);
    if (!d)
        return d.error();
    int dfd = d->fd();
    std::vector<std::string> doomed;
    bool real = false;
    while (dirent* e = d->next()) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..")
            continue;
        struct stat st {};
        if (is_reserved_name(name) ||
            (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout_stat(st)))
            doomed.emplace_back(name);
        else
            real = true;
    }
    if (real)
        return Errno{ENOTEMPTY};
    for (const std::string& n : doomed)
        if (unlinkat(dfd, n.c_str(), 0) < 0 && errno != ENOENT)
            return common::last_errno();
    return {};
}

} // namespace ovl
