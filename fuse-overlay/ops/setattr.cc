// SPDX-License-Identifier: Apache-2.0
// setattr.cc — chmod, chown, utimes and truncate: copy-up (metadata only under metacopy=on),
// then the change on the upper object, owners mapped back to disk ids (§2.6, §2.9)
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/xattr.h"

#include <array>
#include <fcntl.h>
#include <unistd.h>

namespace ovl {
namespace {

// The fd the kernel passed (ftruncate, futimens) when it is ours for writing: only write opens are
// always upper files; a read-only fd may still be the lower file and must never be changed.
int writable_fh(const fuse_file_info* fi) noexcept {
    if (fi == nullptr || (fi->fh & fh_writable) == 0)
        return -1;
    return static_cast<int>(fi->fh); // the fd: the low 32 bits (file_handle)
}

// In stat-override mode chmod/chown only rewrite the xattr (§2.5).
Result<void> set_override(Overlay& ov, Node& node, const struct stat& attr, int to_set) {
    const Layer& up = ov.layers[0];
    const char* name = override_xattr_name(up.override_mode());
    Result<struct stat> real = up.stat(node.path);
    if (!real)
        return real.error();
    StatOverride cur{real->st_uid, real->st_gid, real->st_mode & 07777, 0, 0};
    if (Result<std::string> v = up.getxattr(node.path, name); v) {
        if (std::optional<StatOverride> o = parse_stat_override(*v))
            cur = *o;
    }
    if (to_set & FUSE_SET_ATTR_MODE)
        cur.mode = (cur.mode & S_IFMT) | (attr.st_mode & 07777);
    if (to_set & FUSE_SET_ATTR_UID)
        cur.uid = ov.opts.uid_map.to_disk(attr.st_uid, ov.overflow_uid);
    if (to_set & FUSE_SET_ATTR_GID)
        cur.gid = ov.opts.gid_map.to_disk(attr.st_gid, ov.overflow_gid);
    return up.setxattr(node.path, name, format_stat_override(cur)); // keeps a device's type
}

Result<void> set_owner_mode(Overlay& ov, Node& node, const struct stat& attr, int to_set, int fd) {
    const Layer& up = ov.layers[0];
    bool override =
        up.override_mode() != OverrideMode::none && (S_ISREG(node.type) || S_ISDIR(node.type));
    if (override && (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
        return set_override(ov, node, attr, to_set);
    if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
        uid_t uid = to_set & FUSE_SET_ATTR_UID
                        ? ov.opts.uid_map.to_disk(attr.st_uid, ov.overflow_uid)
                        : static_cast<uid_t>(-1);
        gid_t gid = to_set & FUSE_SET_ATTR_GID
                        ? ov.opts.gid_map.to_disk(attr.st_gid, ov.overflow_gid)
                        : static_cast<gid_t>(-1);
        if (fd >= 0) {
            if (fchown(fd, uid, gid) < 0)
                return common::last_errno();
        } else if (Result<void> r = up.chown(node.path, uid, gid); !r) {
            return r;
        }
    }
    if (to_set & FUSE_SET_ATTR_MODE) {
        if (S_ISLNK(node.type))
            return Errno{EOPNOTSUPP};
        if (fd >= 0) {
            if (fchmod(fd, attr.st_mode & 07777) < 0)
                return common::last_errno();
        } else if (Result<void> r = up.chmod(node.path, attr.st_mode & 07777); !r) {
            return r;
        }
    }
    return {};
}

Result<void> set_times(Overlay& ov, Node& node, const struct stat& attr, int to_set, int fd) {
    if (!(to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)))
        return {};
    std::array<struct timespec, 2> ts{};
    ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
    if (to_set & FUSE_SET_ATTR_ATIME_NOW)
        ts[0].tv_nsec = UTIME_NOW;
    else if (to_set & FUSE_SET_ATTR_ATIME)
        ts[0] = attr.st_atim;
    if (to_set & FUSE_SET_ATTR_MTIME_NOW)
        ts[1].tv_nsec = UTIME_NOW;
    else if (to_set & FUSE_SET_ATTR_MTIME)
        ts[1] = attr.st_mtim;
    if (fd >= 0)
        return futimens(fd, ts.data()) < 0 ? Result<void>(common::last_errno()) : Result<void>();
    return ov.layers[0].utimes(node.path, ts.data());
}

Result<void> set_size(Overlay& ov, Node& node, off_t size, int fd) {
    if (node.is_dir())
        return Errno{EISDIR};
    if (fd >= 0)
        return ftruncate(fd, size) < 0 ? Result<void>(common::last_errno()) : Result<void>();
    Result<common::UniqueFd> f = ov.layers[0].open(node.path, O_WRONLY | O_NONBLOCK);
    if (!f)
        return f.error();
    return ftruncate(f->get(), size) < 0 ? Result<void>(common::last_errno()) : Result<void>();
}

} // namespace

Result<struct stat> do_setattr(Overlay& ov, fuse_ino_t ino, const struct stat& attr, int to_set,
                               const fuse_file_info* fi) {
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    Node& node = **n;
    constexpr int changes = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID |
                            FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME;
    if ((to_set & changes) == 0) // ctime only (writeback cache): nothing to keep on disk
        return node_stat(ov, node);
    // A lower object unlinked while open (the kernel flushes its times at close with writeback):
    // there is no name left to change, and a copy-up would bring it back. Times are dropped, as
    // for the lower file itself; the open file answers the stat.
    if (node.parent == nullptr && node.id != FUSE_ROOT_ID && node.layer != 0) {
        if ((to_set & ~(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
                        FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) != 0)
            return Errno{ENOENT};
        struct stat st {};
        if (fi == nullptr || fstat(static_cast<int>(fi->fh), &st) < 0)
            return node_stat(ov, node);
        return shown_stat(ov, node, st);
    }
    int fd = writable_fh(fi);
    // A size change needs the data; metadata alone can stay a metacopy.
    Result<void> up = (to_set & FUSE_SET_ATTR_SIZE) ? copy_up(ov, node) : copy_up_meta(ov, node);
    if (!up)
        return up.error();
    if (Result<void> r = set_owner_mode(ov, node, attr, to_set, fd); !r)
        return r.error();
    if (to_set & FUSE_SET_ATTR_SIZE) {
        if (Result<void> r = set_size(ov, node, attr.st_size, fd); !r)
            return r.error();
    }
    if (Result<void> r = set_times(ov, node, attr, to_set, fd); !r)
        return r.error();
    return node_stat(ov, node);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                fuse_file_info* fi) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<struct stat> st = do_setattr(ov, ino, *attr, to_set, fi);
        if (!st)
            return (void)fuse_reply_err(req, st.error().value);
        fuse_reply_attr(req, &*st, ov.opts.timeout);
    });
}

} // namespace ovl
