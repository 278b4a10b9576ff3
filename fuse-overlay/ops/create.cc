// SPDX-License-Identifier: Apache-2.0
// create.cc — new names: create (with open), mkdir, mknod, symlink and link, made in the upper
// layer over any whiteout of the name, owned by the caller's ids mapped back to disk ids (or, in
// stat-override mode, recorded in the override xattr, with devices stored as regular files)
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/names.h"
#include "fuse-overlay/ops/ops.h"
#include "fuse-overlay/whiteout.h"
#include "fuse-overlay/xattr.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace ovl {
namespace {

// In stat-override mode a device, fifo or socket is stored as a regular file whose override
// xattr carries the real type (§2.5): an unprivileged daemon can make one, and so can a user
// building a container image.
bool stored_as_file(const Overlay& ov, mode_t mode) noexcept {
    mode_t t = mode & S_IFMT;
    return ov.layers[0].override_mode() != OverrideMode::none &&
           (t == S_IFCHR || t == S_IFBLK || t == S_IFIFO || t == S_IFSOCK);
}

// make_entry's owner step: set_new_owner, except for a node stored_as_file, whose xattr gets
// "uid:gid:perm:type" (type as parse_stat_override reads it, e.g. "char-1-3"), and a symlink
// in a user.* override mode, which cannot carry a user.* xattr: upstream ignores that EPERM.
Result<void> set_owner(Overlay& ov, const std::string& path, const Caller& c, mode_t mode,
                       dev_t rdev) {
    const Layer& up = ov.layers[0];
    OverrideMode m = up.override_mode();
    if (!stored_as_file(ov, mode)) {
        Result<void> r = set_new_owner(ov, path, c, mode);
        if (!r && r.error().value == EPERM && S_ISLNK(mode) &&
            (m == OverrideMode::containers || m == OverrideMode::user))
            return {};
        return r;
    }
    StatOverride o{ov.opts.uid_map.to_disk(c.uid, ov.overflow_uid),
                   ov.opts.gid_map.to_disk(c.gid, ov.overflow_gid), mode & 07777, mode & S_IFMT,
                   S_ISCHR(mode) || S_ISBLK(mode) ? rdev : 0};
    return up.setxattr(path, override_xattr_name(m), format_stat_override(o));
}

// Makes `name` in directory `parent` with make(upper, path), the steps every creating op shares:
// EEXIST for a visible name, the parent copied up, a whiteout of the name replaced (restored if
// making fails), the owner set, and a directory made over a whiteout marked opaque (§2.3).
template <class Make>
Result<fuse_entry_param> make_entry(Overlay& ov, fuse_ino_t parent, std::string_view name,
                                    const Caller& c, mode_t mode, dev_t rdev, Make&& make) {
    if (Result<void> r = check_new_name(name); !r)
        return r.error();
    Result<DirChild> existing = get_child(ov, parent, name);
    if (!existing)
        return existing.error();
    if (existing->child != nullptr)
        return Errno{EEXIST};
    Result<Node*> dir = upper_dir(ov, parent);
    if (!dir)
        return dir.error();
    const Layer& up = ov.layers[0];
    std::string path = join_path((*dir)->path, name);
    // Below a directory of the upper layer alone a whiteout hides nothing: the name is made at
    // once, and only EEXIST (a whiteout left at the name) asks for one (two stats fewer).
    bool had_whiteout = !upper_only(**dir) && has_whiteout(up, (*dir)->path, name);
    if (had_whiteout)
        if (Result<void> r = remove_whiteout(up, (*dir)->path, name); !r)
            return r.error();
    Result<void> r = make(up, path);
    if (!r && r.error().value == EEXIST && !had_whiteout && has_whiteout(up, (*dir)->path, name)) {
        had_whiteout = true;
        if (Result<void> rw = remove_whiteout(up, (*dir)->path, name); !rw)
            return rw.error();
        r = make(up, path);
    }
    if (!r) { // nothing made (an object already there stays as it is)
        if (had_whiteout)
            (void)write_whiteout(up, (*dir)->path, name);
        return r.error();
    }
    r = set_owner(ov, path, c, mode, rdev);
    if (r && S_ISDIR(mode) && (had_whiteout || lower_has_entry(ov, **dir, name)))
        r = set_opaque(up, path);
    if (!r) {
        if (Result<struct stat> st = up.stat(path); st) // made, but not finished: undo
            (void)up.unlink(path, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0);
        if (had_whiteout)
            (void)write_whiteout(up, (*dir)->path, name);
        return r.error();
    }
    return add_new_node(ov, **dir, name);
}

// open(2) flags for the backing file: O_DIRECT stripped as upstream; creation flags are ours.
// With the writeback cache the kernel reads around partial writes and does appends itself
// (as open_for_write does).
int create_flags(const Overlay& ov, int flags) noexcept {
    int f = flags & ~(O_DIRECT | O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW);
    if (ov.writeback) {
        if ((f & O_ACCMODE) == O_WRONLY)
            f = (f & ~O_ACCMODE) | O_RDWR;
        f &= ~O_APPEND;
    }
    return f; // Layer::create adds O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
}

Result<void> made(const Result<common::UniqueFd>& fd) noexcept {
    if (!fd)
        return fd.error();
    return {};
}

} // namespace

Result<Created> do_create(Overlay& ov, fuse_ino_t parent, std::string_view name, mode_t mode,
                          int flags, const Caller& c) {
    common::UniqueFd fd;
    mode_t m = S_IFREG | (mode & 07777);
    Result<fuse_entry_param> e =
        make_entry(ov, parent, name, c, m, 0, [&](const Layer& up, const std::string& path) {
            Result<common::UniqueFd> f =
                up.create(path, create_flags(ov, flags), backing_mode(ov, m) & 07777);
            if (!f)
                return Result<void>(f.error());
            fd = std::move(*f);
            return Result<void>();
        });
    if (!e)
        return e.error();
    return Created{*e, std::move(fd)};
}

Result<fuse_entry_param> do_mkdir(Overlay& ov, fuse_ino_t parent, std::string_view name,
                                  mode_t mode, const Caller& c) {
    mode_t m = S_IFDIR | (mode & 07777);
    Result<fuse_entry_param> e =
        make_entry(ov, parent, name, c, m, 0, [&](const Layer& up, const std::string& path) {
            return up.mkdir(path, backing_mode(ov, m) & 07777);
        });
    ov.table.count_subdir(parent, e.has_value(), +1); // the parent's nlink (merged_nlink)
    return e;
}

Result<fuse_entry_param> do_mknod(Overlay& ov, fuse_ino_t parent, std::string_view name,
                                  mode_t mode, dev_t rdev, const Caller& c) {
    mode_t type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFDIR || type == S_IFLNK)
        return Errno{EINVAL};
    if (type == S_IFCHR && rdev == makedev(0, 0))
        return Errno{EPERM}; // that is a whiteout: the name would vanish from the merged view
    mode_t m = type | (mode & 07777);
    return make_entry(ov, parent, name, c, m, rdev, [&](const Layer& up, const std::string& path) {
        if (!stored_as_file(ov, m))
            return up.mknod(path, backing_mode(ov, m), rdev);
        return made(up.create(path, O_WRONLY, backing_mode(ov, S_IFREG | (m & 07777)) & 07777));
    });
}

Result<fuse_entry_param> do_symlink(Overlay& ov, std::string_view target, fuse_ino_t parent,
                                    std::string_view name, const Caller& c) {
    std::string t(target);
    return make_entry(
        ov, parent, name, c, S_IFLNK | 0777, 0,
        [&](const Layer& up, const std::string& path) { return up.symlink(t, path); });
}

Result<fuse_entry_param> do_link(Overlay& ov, fuse_ino_t ino, fuse_ino_t newparent,
                                 std::string_view newname) {
    if (Result<void> r = check_new_name(newname); !r)
        return r.error();
    Result<Node*> src = get_node(ov, ino);
    if (!src)
        return src.error();
    if ((*src)->is_dir())
        return Errno{EPERM};
    Result<DirChild> existing = get_child(ov, newparent, newname);
    if (!existing)
        return existing.error();
    if (existing->child != nullptr)
        return Errno{EEXIST};
    Result<Node*> dir = upper_dir(ov, newparent);
    if (!dir)
        return dir.error();
    if (Result<void> r = copy_up(ov, **src); !r) // a lower file: copy up, then link (§2.7)
        return r.error();
    const Layer& up = ov.layers[0];
    std::string path = join_path((*dir)->path, newname);
    if (Result<void> r = remove_whiteout(up, (*dir)->path, newname); !r)
        return r.error();
    if (Result<void> r = up.link((*src)->path, path); !r)
        return r.error();
    // The new name shares the source's node, as the kernel expects of a hard link, and so do
    // later lookups and listings of it (find_child, InodeTable::linked). The alias is kept as
    // (directory node, name), so a rename of the directory carries it along (its path is computed
    // when needed, issue 12).
    if (!add_alias(**src, **dir, newname)) // past max_aliases: a lookup of it makes its own node
        (*dir)->loaded = false;
    if (Result<struct stat> st = up.stat(path); st) // later lookups of either name find it
        ov.table.remember_linked(st->st_ino, (*src)->id);
    return entry_of(ov, **src);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<Created> c = do_create(ov, parent, name, mode, fi->flags, caller_of(req));
        if (!c)
            return (void)fuse_reply_err(req, c.error().value);
        fi->fh = file_handle(c->fd.release(), fi->flags);
        fi->keep_cache = ov.opts.timeout > 0;
        if (fuse_reply_create(req, &c->entry, fi) != 0)
            close(static_cast<int>(fi->fh));
    });
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<fuse_entry_param> e = do_mkdir(ov, parent, name, mode, caller_of(req));
        if (!e)
            return (void)fuse_reply_err(req, e.error().value);
        fuse_reply_entry(req, &*e);
    });
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              dev_t rdev) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<fuse_entry_param> e = do_mknod(ov, parent, name, mode, rdev, caller_of(req));
        if (!e)
            return (void)fuse_reply_err(req, e.error().value);
        fuse_reply_entry(req, &*e);
    });
}

void op_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<fuse_entry_param> e = do_symlink(ov, link, parent, name, caller_of(req));
        if (!e)
            return (void)fuse_reply_err(req, e.error().value);
        fuse_reply_entry(req, &*e);
    });
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) noexcept {
    guard(req, [&](Overlay& ov) {
        Result<fuse_entry_param> e = do_link(ov, ino, newparent, newname);
        if (!e)
            return (void)fuse_reply_err(req, e.error().value);
        fuse_reply_entry(req, &*e);
    });
}

} // namespace ovl
