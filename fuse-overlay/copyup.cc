// SPDX-License-Identifier: Apache-2.0
// copyup.cc — bringing lower objects into the upper layer: built in <workdir>/work, then renamed
//
// Theory of operation (docs/compat/fuse-overlayfs.md §2.6): every object is built completely under
// a fresh counter name in `<workdir>/work` (same filesystem as upper), then published with one
// renameat2 into upper. A crash before the rename leaves only a stray work entry, which the next
// mount deletes; the lower object stays visible and intact. Parents are copied first, so the rename
// target's directory exists. Unlike upstream, symlinks, fifos and devices also take the work-dir
// path and keep their owner, mode and times (kernel overlayfs does the same).
#include "fuse-overlay/copyup.h"

#include "common/log.h"
#include "fuse-overlay/xattr.h"

#include <array>
#include <atomic>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ovl {

int (*copyup_fault_hook)(const char* work_name) = nullptr;

namespace {

constexpr const char* origin_xattr = "user.fuseoverlayfs.origin";

// Copies [off, end) from `in` to `out` at the same offsets: copy_file_range, then a read/write
// loop when the kernel cannot (EXDEV across filesystems on old kernels, EINVAL, ENOSYS, …).
Result<void> copy_range(int in, int out, off_t off, off_t end) {
    bool use_cfr = true;
    std::array<char, 1 << 16> buf;
    while (off < end) {
        size_t want = static_cast<size_t>(end - off);
        if (use_cfr) {
            loff_t ioff = off, ooff = off;
            ssize_t n = copy_file_range(in, &ioff, out, &ooff, want, 0);
            if (n > 0) {
                off += n;
                continue;
            }
            if (n == 0)
                break; // the file shrank under us: keep what we have
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP &&
                errno != EPERM)
                return common::last_errno();
            use_cfr = false;
        }
        ssize_t n = pread(in, buf.data(), std::min(want, buf.size()), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return common::last_errno();
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = pwrite(out, buf.data() + done, static_cast<size_t>(n - done), off + done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return common::last_errno();
            done += w;
        }
        off += n;
    }
    return {};
}

} // namespace

Result<void> copy_file_data(int in, int out, off_t size, bool maybe_sparse) {
    // A file with as many blocks as bytes has no holes: one copy, no extent walk.
    if (!maybe_sparse)
        return copy_range(in, out, 0, size);
    // Sparse-aware: size the target first (holes stay holes), then copy only data extents.
    if (ftruncate(out, size) < 0)
        return common::last_errno();
    off_t pos = 0;
    while (pos < size) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break;                             // only a hole remains
            return copy_range(in, out, pos, size); // no SEEK_DATA: copy everything
        }
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0 || hole > size)
            hole = size;
        if (Result<void> r = copy_range(in, out, data, hole); !r)
            return r;
        pos = hole;
    }
    return {};
}

namespace {

std::atomic<uint64_t> not_copied{0};

// Counts an xattr a copy-up left behind and logs it: the first 8, then at each power of two, so a
// tree of such files cannot flood the log.
void note_not_copied(const std::string& rel, const char* name, int err) noexcept {
    uint64_t n = not_copied.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n <= 8)
        common::log::warn("copy-up of %s: xattr %s not copied: %s", rel.c_str(), name,
                          std::strerror(err));
    if (n == 8 || (n > 8 && (n & (n - 1)) == 0))
        common::log::warn("%llu xattrs not copied up so far (further ones counted, not named)",
                          static_cast<unsigned long long>(n));
}

} // namespace

uint64_t xattrs_not_copied() noexcept {
    return not_copied.load(std::memory_order_relaxed);
}

Result<void> copy_xattrs(const Layer& src_layer, const std::string& rel, const Obj& dst,
                         bool dst_containers) {
    bool src_containers = src_layer.override_mode() == OverrideMode::containers;
    // Through the layer: in a live mount one listxattrat on the directory it holds (no open of
    // the source, which most often has no xattr at all).
    Result<size_t> len = src_layer.listxattr(rel, nullptr, 0);
    if (!len)
        return len.error().value == ENOTSUP ? Result<void>() : Result<void>(len.error());
    if (*len == 0)
        return {};
    std::string names(*len, '\0');
    Result<size_t> got = src_layer.listxattr(rel, names.data(), names.size());
    if (!got)
        return got.error();
    names.resize(*got);
    unsigned dropped = 0; // left behind by this copy-up: one debug line names the count
    for (size_t pos = 0; pos < names.size();) {
        const char* name = names.c_str() + pos;
        size_t n = strnlen(name, names.size() - pos);
        pos += n + 1;
        // Our own and the kernel's overlay xattrs describe the source's place, not the copy's;
        // what a client sees is stored again as the upper layer keeps it (encoded or not).
        std::string_view seen = visible_xattr_name(std::string_view(name, n), src_containers);
        if (seen.empty())
            continue;
        std::string key = stored_xattr_name(seen, dst_containers);
        if (key.empty())
            continue;
        Result<std::string> v = src_layer.getxattr(rel, name);
        if (!v) {
            int e = v.error().value;
            if (e == ENODATA) // removed since the listing: nothing lost
                continue;
            // What a user namespace may not read (a capability whose root is not mapped here:
            // EOVERFLOW), or the source fs no longer serves: the copy goes on without it.
            if (e == EOVERFLOW || e == EPERM || e == EACCES || e == ENOTSUP) {
                note_not_copied(rel, name, e);
                ++dropped;
                continue;
            }
            return v.error();
        }
        if (Result<void> w = dst.setxattr(key.c_str(), *v); !w) {
            int e = w.error().value;
            // Skipped silently as upstream (EINVAL/EOPNOTSUPP: the upper fs has no such name
            // space); what a user namespace refuses (a security.* name set by the host's root)
            // upstream fails the whole copy-up with: ours goes on, and counts and logs it.
            if (e == EINVAL || e == EOPNOTSUPP)
                continue;
            if (e == EPERM || e == EACCES) {
                note_not_copied(rel, name, e);
                ++dropped;
                continue;
            }
            return Errno{e};
        }
    }
    if (dropped != 0)
        common::log::debug("copy-up of %s: %u xattr(s) not copied", rel.c_str(), dropped);
    return {};
}

namespace {

bool owned_by_us(const struct stat& st) {
    static const uid_t uid = geteuid();
    static const gid_t gid = getegid();
    return st.st_uid == uid && st.st_gid == gid;
}

// Gives the work object `obj` the owner in `st`.
Result<void> copy_owner(const Obj& obj, const struct stat& st) {
    if (owned_by_us(st))
        return {};
    return obj.chown(st.st_uid, st.st_gid);
}

// Gives it the mode in `st`: after chown, which clears set-id bits, and after the xattrs, which
// a read-only mode would refuse to a daemon without CAP_FOWNER (a mount without user namespace).
Result<void> copy_mode(const Obj& obj, const struct stat& st, int fd) {
    if (S_ISLNK(st.st_mode))
        return {};
    if (fd >= 0)
        return fchmod(fd, st.st_mode & 07777) < 0 ? Result<void>(common::last_errno())
                                                  : Result<void>();
    return obj.chmod(st.st_mode & 07777);
}

Result<void> set_times(const Obj& obj, const struct stat& st, int fd) {
    std::array<struct timespec, 2> ts = {st.st_atim, st.st_mtim};
    if (fd >= 0)
        return futimens(fd, ts.data()) < 0 ? Result<void>(common::last_errno()) : Result<void>();
    return obj.utimes(ts.data());
}

// Stat-override upper: carries the source's override value over (or its real owner and mode)
// into the upper layer's override xattr; the backing object gets mode |0755 as upstream.
Result<void> copy_override(const Overlay& ov, const CopySpec& spec, const Obj& obj) {
    const struct stat& st = spec.st;
    std::string v;
    if (OverrideMode m = spec.meta->override_mode(); m != OverrideMode::none) {
        Result<std::string> cur = spec.meta->getxattr(spec.meta_path, override_xattr_name(m));
        if (cur)
            v = *cur;
    }
    if (v.empty()) { // a device, fifo or socket keeps its type (and numbers) in the value
        mode_t type = st.st_mode & S_IFMT;
        bool carried = S_ISREG(type) || S_ISDIR(type);
        v = format_stat_override(StatOverride{st.st_uid, st.st_gid, st.st_mode & 07777,
                                              carried ? 0 : type, carried ? 0 : st.st_rdev});
    }
    const char* name = override_xattr_name(ov.layers[0].override_mode());
    if (Result<void> r = obj.setxattr(name, v); !r)
        return r;
    return obj.chmod((st.st_mode & 07777) | 0755);
}

// Builds `spec` as work/<name>: the object type, owner, mode, xattrs and times of the metadata
// source, the data of the data source (or only the size, for a metacopy body); `extra` (when
// set) marks the object before its mode is set.
Result<void> build(Overlay& ov, const CopySpec& spec, const std::string& name,
                   const std::function<Result<void>(const Obj&)>& extra) {
    int wfd = ov.work_fd.get();
    const struct stat& st = spec.st;
    mode_t type = st.st_mode & S_IFMT;
    common::UniqueFd fd;
    // In stat-override mode a device, fifo or socket becomes a regular file that carries its type
    // in the override xattr (§2.5), as mknod makes them there: no CAP_MKNOD needed.
    bool override = ov.layers[0].override_mode() != OverrideMode::none && !S_ISLNK(type);
    if (override && !S_ISDIR(type))
        type = S_IFREG;
    // Our own writable file without set-id bits (which creation may drop) is created with its
    // final mode: no chown, so no chmod after it.
    bool mode_set = S_ISREG(type) && !override && owned_by_us(st) &&
                    (st.st_mode & (06000 | S_IWUSR)) == S_IWUSR;
    if (S_ISDIR(type)) {
        if (mkdirat(wfd, name.c_str(), 0700) < 0)
            return common::last_errno();
    } else if (S_ISLNK(type)) {
        Result<std::string> target = spec.meta->readlink(spec.meta_path);
        if (!target)
            return target.error();
        if (symlinkat(target->c_str(), wfd, name.c_str()) < 0)
            return common::last_errno();
    } else if (S_ISREG(type)) {
        mode_t mode = mode_set ? st.st_mode & 07777 : 0600;
        fd.reset(openat(wfd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode));
        if (!fd)
            return common::last_errno();
        if (spec.with_data && S_ISREG(st.st_mode)) {
            Result<common::UniqueFd> in = spec.data->open(spec.data_path, O_RDONLY | O_NOATIME);
            if (!in && in.error().value == EPERM) // O_NOATIME needs ownership
                in = spec.data->open(spec.data_path, O_RDONLY);
            if (!in)
                return in.error();
            bool dense = st.st_blocks * 512 >= st.st_size;
            if (Result<void> r = copy_file_data(in->get(), fd.get(), st.st_size, !dense); !r)
                return r;
        } else if (S_ISREG(st.st_mode) && ftruncate(fd.get(), st.st_size) < 0) {
            return common::last_errno();
        }
    } else {
        if (mknodat(wfd, name.c_str(), type | 0600, st.st_rdev) < 0)
            return common::last_errno();
    }
    // The object just made in work (our own directory, a single name): every metadata step goes
    // through the file's own fd, or else an O_PATH fd.
    Obj wobj;
    if (fd) {
        wobj = Obj::opened(std::move(fd));
    } else {
        Result<common::UniqueFd> wfd_obj = open_beneath(wfd, name, O_PATH);
        if (!wfd_obj)
            return wfd_obj.error();
        wobj = Obj(std::move(*wfd_obj));
    }
    int data_fd = S_ISREG(type) ? wobj.fd() : -1;
    if (override) { // the owner and mode live in the xattr (§2.5); the file stays ours
        if (Result<void> r = copy_override(ov, spec, wobj); !r)
            return r;
    } else if (Result<void> r = copy_owner(wobj, st); !r) {
        return r;
    }
    if (Result<void> r = copy_xattrs(*spec.meta, spec.meta_path, wobj,
                                     ov.layers[0].override_mode() == OverrideMode::containers);
        !r)
        return r;
    if (!S_ISDIR(type) && !S_ISLNK(type) && !spec.origin.empty()) {
        // As upstream: the path (NUL-terminated) the object was copied from; ENOTSUP ignored.
        Result<void> r = wobj.setxattr(
            origin_xattr, std::string_view(spec.origin.c_str(), spec.origin.size() + 1));
        if (!r && r.error().value != ENOTSUP && r.error().value != EPERM)
            return r;
    }
    if (extra)
        if (Result<void> r = extra(wobj); !r)
            return r;
    if (!override && !mode_set)
        if (Result<void> r = copy_mode(wobj, st, data_fd); !r)
            return r;
    return set_times(wobj, st, data_fd);
}

// Removes work/<name> (a file or a directory tree of our own making) after a failure.
void discard(Overlay& ov, const std::string& name) {
    if (unlinkat(ov.work_fd.get(), name.c_str(), 0) < 0 && errno == EISDIR)
        (void)unlinkat(ov.work_fd.get(), name.c_str(), AT_REMOVEDIR);
}

} // namespace

Result<void> publish_copy(Overlay& ov, Node& node, const CopySpec& spec, bool replace,
                          const std::function<Result<void>(const Obj&)>& extra) {
    std::string name = std::to_string(++ov.work_counter);
    Result<void> r = build(ov, spec, name, extra);
    if (r && copyup_fault_hook != nullptr) {
        if (int e = copyup_fault_hook(name.c_str()); e != 0)
            return Errno{e}; // leave the work entry behind, as a crash would
    }
    // Into upper beneath its root: a parent swapped for a symlink fails the rename (ELOOP).
    if (r)
        r = ov.layers[0].rename("/" + name, node.path, replace ? 0u : unsigned{RENAME_NOREPLACE});
    if (!r) {
        discard(ov, name);
        common::log::debug("copy-up of %s failed: %s", node.path.c_str(),
                           std::strerror(r.error().value));
        return r;
    }
    node.layer = 0;
    if (ov.layers[0].override_mode() != OverrideMode::none && !node.is_dir() && !S_ISLNK(node.type))
        node.type = S_IFREG; // the backing object now; the xattr carries the shown type
    node.xattrs = Node::Xattrs::unknown;
    node.metacopy = Node::Metacopy::unknown;
    if (node.is_dir() && (node.dir_layers.empty() || node.dir_layers.front() != 0))
        node.dir_layers.insert(node.dir_layers.begin(), 0u);
    return {};
}

CopySpec plain_spec(const Overlay& ov, const Node& node, const struct stat& st) {
    const Layer* l = &node_layer(ov, node);
    return CopySpec{l, node.path, l, node.path, st, true, node.path};
}

Result<void> copy_up_parent_dirs(Overlay& ov, Node& node) {
    if (!ov.has_upper || !ov.work_fd)
        return Errno{EROFS};
    if (node.parent == nullptr)
        return {};
    return copy_up(ov, *node.parent);
}

Result<void> copy_up(Overlay& ov, Node& node) {
    if (!ov.has_upper || !ov.work_fd)
        return Errno{EROFS};
    if (node.parent == nullptr && node.id != FUSE_ROOT_ID && node.layer != 0)
        return Errno{ENOENT}; // its name is gone: a copy would bring it back
    if (node.layer == 0) {
        if (is_metacopy(ov, node))
            return complete_metacopy(ov, node);
        return {};
    }
    if (Result<void> r = copy_up_parent_dirs(ov, node); !r)
        return r;
    Result<struct stat> st = node_layer(ov, node).stat(node.path);
    if (!st)
        return st.error();
    return publish_copy(ov, node, plain_spec(ov, node, *st), false, nullptr);
}

void prepare_workdir(const std::string& workdir) {
    // <workdir> is created 0700 when missing (its parent must exist), then <workdir>/work, which
    // is emptied: whatever an interrupted copy-up or a deleted-while-open file left there.
    if (mkdir(workdir.c_str(), 0700) < 0 && errno != EEXIST)
        common::throw_errno("cannot create workdir %s", workdir.c_str());
    std::string work = workdir + "/work";
    if (mkdir(work.c_str(), 0700) < 0 && errno != EEXIST)
        common::throw_errno("cannot create %s", work.c_str());
    common::UniqueFd dfd(open(work.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd)
        common::throw_errno("cannot open %s", work.c_str());
    empty_dir(dfd.get());
}

void empty_dir(int dirfd) {
    int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
        return;
    DIR* d = fdopendir(dup_fd);
    if (d == nullptr) {
        close(dup_fd);
        return;
    }
    while (dirent* e = readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd, e->d_name, 0) == 0 || errno != EISDIR)
            continue;
        int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
            empty_dir(sub);
            close(sub);
        }
        (void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

} // namespace ovl
