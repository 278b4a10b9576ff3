// SPDX-License-Identifier: Apache-2.0
// layer.cc — *at() wrappers relative to a layer's root fd, returning Result
#include "fuse-overlay/layer.h"

#include <climits>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace ovl {
namespace {

// The root itself is "." for the *at() calls.
const char* c_rel(const std::string& rel) noexcept { return rel.empty() ? "." : rel.c_str(); }

} // namespace

const char* override_xattr_name(OverrideMode m) noexcept {
    switch (m) {
    case OverrideMode::privileged:
        return "security.fuseoverlayfs.override_stat";
    case OverrideMode::containers:
        return "user.containers.override_stat";
    case OverrideMode::user:
        return "user.fuseoverlayfs.override_stat";
    case OverrideMode::none:
        break;
    }
    return "";
}

std::string join_path(std::string_view dir, std::string_view name) {
    std::string out;
    out.reserve(dir.size() + name.size() + 1);
    out.append(dir);
    if (!dir.empty())
        out.push_back('/');
    out.append(name);
    return out;
}

Layer::Layer(std::string path, unsigned index, bool is_upper)
    : path_(std::move(path)), index_(index), is_upper_(is_upper) {
    // O_PATH: fstat, fstatvfs, *at() and the /proc/self/fd/N/… xattr paths all work on it, and
    // a root directory without read permission can still be a layer.
    root_.reset(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_)
        common::throw_errno("cannot open %s", path_.c_str());
    struct stat st {};
    if (fstat(root_.get(), &st) < 0)
        common::throw_errno("cannot stat %s", path_.c_str());
    dev_ = st.st_dev;
}

Result<struct stat> Layer::stat(const std::string& rel) const noexcept {
    struct stat st {};
    int r = rel.empty() ? fstat(root_.get(), &st)
                        : fstatat(root_.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    if (r < 0)
        return common::last_errno();
    return st;
}

Result<common::UniqueFd> Layer::open(const std::string& rel, int flags) const noexcept {
    int fd = ::openat(root_.get(), c_rel(rel), flags | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return common::last_errno();
    return common::UniqueFd(fd);
}

Result<std::string> Layer::readlink(const std::string& rel) const {
    std::string buf(PATH_MAX, '\0');
    ssize_t n = readlinkat(root_.get(), c_rel(rel), buf.data(), buf.size());
    if (n < 0)
        return common::last_errno();
    buf.resize(static_cast<size_t>(n));
    return buf;
}

std::string Layer::proc_path(const std::string& rel) const {
    // xattrs on paths go through /proc/self/fd/<root>/<rel>, as upstream does; l*xattr does not
    // follow the last component, so symlinks report their own xattrs.
    std::string p = "/proc/self/fd/" + std::to_string(root_.get()) + "/";
    p += c_rel(rel);
    return p;
}

Result<size_t> Layer::getxattr(const std::string& rel, const char* name, void* buf,
                               size_t size) const {
    ssize_t n = lgetxattr(proc_path(rel).c_str(), name, buf, size);
    if (n < 0)
        return common::last_errno();
    return static_cast<size_t>(n);
}

Result<void> Layer::setxattr(const std::string& rel, const char* name,
                             std::string_view value) const {
    if (lsetxattr(proc_path(rel).c_str(), name, value.data(), value.size(), 0) < 0)
        return common::last_errno();
    return {};
}

Result<std::string> Layer::getxattr(const std::string& rel, const char* name) const {
    std::string p = proc_path(rel);
    for (int attempt = 0; attempt < 4; ++attempt) {
        ssize_t n = lgetxattr(p.c_str(), name, nullptr, 0);
        if (n < 0)
            return common::last_errno();
        std::string v(static_cast<size_t>(n), '\0');
        ssize_t m = lgetxattr(p.c_str(), name, v.data(), v.size());
        if (m >= 0) {
            v.resize(static_cast<size_t>(m));
            return v;
        }
        if (errno != ERANGE)
            return common::last_errno();
    }
    return Errno{ERANGE};
}

Result<size_t> Layer::listxattr(const std::string& rel, char* buf, size_t size) const {
    ssize_t n = llistxattr(proc_path(rel).c_str(), buf, size);
    if (n < 0)
        return common::last_errno();
    return static_cast<size_t>(n);
}

} // namespace ovl
