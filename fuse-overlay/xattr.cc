// SPDX-License-Identifier: Apache-2.0
// xattr.cc — internal xattr names and the override_stat value parser
#include "fuse-overlay/xattr.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <linux/limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace ovl {
namespace {

bool starts_with(std::string_view s, std::string_view p) noexcept {
    return s.substr(0, p.size()) == p;
}

template <class T> bool parse_num(std::string_view s, T& out, int base) noexcept {
    if (s.empty())
        return false;
    bool neg = s[0] == '-';
    if (neg)
        s.remove_prefix(1);
    unsigned long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || p != s.data() + s.size())
        return false;
    out = static_cast<T>(neg ? -static_cast<long>(v) : static_cast<long>(v));
    return true;
}

std::string_view next_field(std::string_view& s) noexcept {
    size_t c = s.find(':');
    std::string_view f = s.substr(0, c);
    s = c == std::string_view::npos ? std::string_view() : s.substr(c + 1);
    return f;
}

bool parse_device(std::string_view spec, dev_t& rdev) noexcept {
    // "MAJ-MIN" after "char-" or "block-"
    size_t dash = spec.find('-');
    unsigned maj = 0, min = 0;
    if (dash == std::string_view::npos || !parse_num(spec.substr(0, dash), maj, 10) ||
        !parse_num(spec.substr(dash + 1), min, 10))
        return false;
    rdev = makedev(maj, min);
    return true;
}

} // namespace

bool is_internal_xattr(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 4> prefixes = {
        "user.fuseoverlayfs.", "trusted.overlay.", "user.overlay.", "user.containers.override_"};
    for (std::string_view p : prefixes)
        if (starts_with(name, p))
            return true;
    return name == "security.fuseoverlayfs.override_stat";
}

namespace {

// Upstream's can_access_xattr: what a client may name directly on a layer.
bool accessible(std::string_view name, bool containers) noexcept {
    return !is_internal_xattr(name) && !(containers && starts_with(name, "security."));
}

} // namespace

std::string_view visible_xattr_name(std::string_view stored, bool containers) noexcept {
    if (containers && starts_with(stored, containers_xattr_prefix)) {
        std::string_view inner = stored.substr(containers_xattr_prefix.size());
        if (!inner.empty() && !accessible(inner, true))
            return inner;
    }
    return accessible(stored, containers) ? stored : std::string_view();
}

std::string stored_xattr_name(std::string_view name, bool containers) {
    if (accessible(name, containers))
        return std::string(name);
    if (!containers || name.size() + containers_xattr_prefix.size() > XATTR_NAME_MAX)
        return {};
    std::string s(containers_xattr_prefix);
    s.append(name);
    return s;
}

std::optional<StatOverride> parse_stat_override(std::string_view v) noexcept {
    // containers/storage writes a trailing NUL-free "%d:%d:%04o:%s"; fuse-overlayfs "%d:%d:%o".
    while (!v.empty() && v.back() == '\0')
        v.remove_suffix(1);
    size_t colons = static_cast<size_t>(std::count(v.begin(), v.end(), ':'));
    if (colons != 2 && colons != 3)
        return std::nullopt;
    StatOverride o{};
    std::string_view rest = v;
    std::string_view fu = next_field(rest), fg = next_field(rest), fm = next_field(rest);
    if (!parse_num(fu, o.uid, 10) || !parse_num(fg, o.gid, 10) || !parse_num(fm, o.mode, 8))
        return std::nullopt;
    if (colons == 2)
        return o;
    std::string_view t = rest;
    if (t == "dir")
        o.type = S_IFDIR;
    else if (t == "file")
        o.type = S_IFREG;
    else if (t == "symlink")
        o.type = S_IFLNK;
    else if (t == "pipe")
        o.type = S_IFIFO;
    else if (t == "socket")
        o.type = S_IFSOCK;
    else if (starts_with(t, "char-") && parse_device(t.substr(5), o.rdev))
        o.type = S_IFCHR;
    else if (starts_with(t, "block-") && parse_device(t.substr(6), o.rdev))
        o.type = S_IFBLK;
    else
        return std::nullopt;
    return o;
}

std::string format_stat_override(const StatOverride& o) {
    char type[48] = "";
    switch (o.type) {
    case S_IFCHR:
    case S_IFBLK:
        std::snprintf(type, sizeof type, "%s-%u-%u", o.type == S_IFCHR ? "char" : "block",
                      major(o.rdev), minor(o.rdev));
        break;
    case S_IFIFO:
        std::snprintf(type, sizeof type, "pipe");
        break;
    case S_IFSOCK:
        std::snprintf(type, sizeof type, "socket");
        break;
    case S_IFLNK:
        std::snprintf(type, sizeof type, "symlink");
        break;
    default: // none, a file or a directory: the backing object carries the type
        break;
    }
    char v[96];
    if (type[0] == '\0')
        std::snprintf(v, sizeof v, "%u:%u:%o", o.uid, o.gid, o.mode);
    else
        std::snprintf(v, sizeof v, "%u:%u:%o:%s", o.uid, o.gid, o.mode & 07777, type);
    return v;
}

} // namespace ovl
