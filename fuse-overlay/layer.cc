// SPDX-License-Identifier: Apache-2.0
// layer.cc — layer access confined beneath the root: openat2 resolution, O_PATH objects, and
// single-component *at() changes on the directory that resolution found
#include "fuse-overlay/layer.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace ovl {
namespace {

constexpr unsigned long long resolve_flags =
    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// openat2 refuses flag bits outside this set (the kernel may pass __FMODE_EXEC and the like in a
// FUSE open's flags).
constexpr int valid_open_flags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                 O_NONBLOCK | O_SYNC | O_DSYNC | O_ASYNC | O_DIRECT | O_LARGEFILE |
                                 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH;

bool bad_name(std::string_view n) noexcept {
    return n.empty() || n == "." || n == "..";
}

Result<void> ok_or_errno(int r) noexcept {
    if (r < 0)
        return common::last_errno();
    return {};
}

// getxattrat(2) (Linux 6.13; one number on every architecture but alpha): a name of a held
// directory in one call, a symlink not followed (AT_SYMLINK_NOFOLLOW). ENOSYS on older kernels,
// remembered so that they pay the probe once.
#ifndef SYS_getxattrat
#if defined(__alpha__)
#define SYS_getxattrat -1
#else
#define SYS_getxattrat 464
#endif
#endif
struct XattrArgs {
    uint64_t value;
    uint32_t size;
    uint32_t flags;
};
std::atomic<bool> have_getxattrat{SYS_getxattrat >= 0};

// Whether the four *xattrat calls may be tried (never where SYS_getxattrat is -1).
bool xattrat_on() noexcept {
    return have_getxattrat.load(std::memory_order_relaxed);
}

// The answer of one *xattrat call that returned `n`: its count, or its errno. ENOSYS turns the
// four calls off for good (they came together), and the callers take the /proc path.
Result<size_t> xattrat_answer(long n) noexcept {
    if (n >= 0)
        return static_cast<size_t>(n);
    if (errno == ENOSYS)
        have_getxattrat.store(false, std::memory_order_relaxed);
    return common::last_errno();
}

Result<size_t> getxattr_at(int dirfd, const char* entry, const char* name, void* buf,
                           size_t size) noexcept {
    if (!xattrat_on())
        return Errno{ENOSYS};
    XattrArgs args{reinterpret_cast<uintptr_t>(buf), static_cast<uint32_t>(size), 0};
    long n = syscall(SYS_getxattrat, dirfd, entry, AT_SYMLINK_NOFOLLOW, name, &args, sizeof args);
    if (n < 0 && errno == E2BIG) { // an args layout this kernel does not know
        have_getxattrat.store(false, std::memory_order_relaxed);
        return Errno{ENOSYS};
    }
    return xattrat_answer(n);
}

#ifndef SYS_listxattrat
#if defined(__alpha__)
#define SYS_listxattrat -1
#else
#define SYS_listxattrat 465
#endif
#endif

// listxattrat(2), the same way (Linux 6.13 added both together).
Result<size_t> listxattr_at(int dirfd, const char* entry, char* buf, size_t size) noexcept {
    if (!xattrat_on())
        return Errno{ENOSYS};
    return xattrat_answer(syscall(SYS_listxattrat, dirfd, entry, AT_SYMLINK_NOFOLLOW, buf, size));
}

// fchmodat2(2) (Linux 6.6): the mode of a directory entry without following a symlink.
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
std::atomic<bool> have_fchmodat2{true};

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif

// setxattrat(2) and removexattrat(2), the same way (Linux 6.13 added all four together). Here
// E2BIG is the value's own answer (larger than the filesystem takes), never a layout one: our
// args are the kernel's first layout exactly, so a container's oversized value cannot turn the
// calls off for the whole mount.
Result<size_t> setxattr_at(int dirfd, const char* entry, const char* name, std::string_view value,
                           int flags) noexcept {
    if (!xattrat_on())
        return Errno{ENOSYS};
    XattrArgs args{reinterpret_cast<uintptr_t>(value.data()), static_cast<uint32_t>(value.size()),
                   static_cast<uint32_t>(flags)};
    return xattrat_answer(
        syscall(SYS_setxattrat, dirfd, entry, AT_SYMLINK_NOFOLLOW, name, &args, sizeof args));
}

Result<size_t> removexattr_at(int dirfd, const char* entry, const char* name) noexcept {
    if (!xattrat_on())
        return Errno{ENOSYS};
    return xattrat_answer(syscall(SYS_removexattrat, dirfd, entry, AT_SYMLINK_NOFOLLOW, name));
}

} // namespace

void use_xattrat_syscalls(bool on) noexcept {
    have_getxattrat.store(on && SYS_getxattrat >= 0, std::memory_order_relaxed);
}

bool xattrat_syscalls_in_use() noexcept {
    return xattrat_on();
}

Result<common::UniqueFd> open_beneath(int dirfd, std::string_view rel, int flags) noexcept {
    char path[PATH_MAX];
    if (rel.size() >= sizeof path)
        return Errno{ENAMETOOLONG};
    if (rel.find('\0') != std::string_view::npos)
        return Errno{EINVAL};
    rel.copy(path, rel.size());
    path[rel.size()] = '\0';
    if (rel.empty()) {
        path[0] = '.';
        path[1] = '\0';
    }
    open_how how{};
    how.flags =
        static_cast<unsigned long long>((flags & valid_open_flags) | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = resolve_flags;
    for (int attempt = 0;; ++attempt) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0)
            return common::UniqueFd(static_cast<int>(fd));
        // EAGAIN: a rename raced with the resolution ("..", RESOLVE_IN_ROOT); try again a little.
        if ((errno != EAGAIN && errno != EINTR) || attempt == 8)
            return common::last_errno();
    }
}

Result<std::string> checked_rel(std::string_view stored) {
    if (stored.find('\0') != std::string_view::npos)
        return Errno{EINVAL};
    std::string out;
    size_t pos = 0;
    while (pos <= stored.size()) {
        size_t end = stored.find('/', pos);
        if (end == std::string_view::npos)
            end = stored.size();
        std::string_view c = stored.substr(pos, end - pos);
        if (c == "..")
            return Errno{EINVAL};
        if (!c.empty() && c != ".") {
            if (!out.empty())
                out.push_back('/');
            out.append(c);
        }
        pos = end + 1;
    }
    return out;
}

// ---- Obj ---------------------------------------------------------------------------------

Obj::Obj(common::UniqueFd fd) : fd_(std::move(fd)) {
    std::snprintf(proc_.data(), proc_.size(), "/proc/self/fd/%d", fd_.get());
}

Result<struct stat> Obj::stat() const noexcept {
    struct stat st {};
    if (fstat(fd_.get(), &st) < 0)
        return common::last_errno();
    return st;
}

Result<std::string> Obj::readlink() const {
    std::string buf(PATH_MAX, '\0');
    ssize_t n = readlinkat(fd_.get(), "", buf.data(), buf.size());
    if (n < 0)
        return common::last_errno();
    buf.resize(static_cast<size_t>(n));
    return buf;
}

Obj Obj::opened(common::UniqueFd fd) {
    Obj o;
    o.fd_ = std::move(fd);
    return o;
}

Result<size_t> Obj::getxattr(const char* name, void* buf, size_t size) const noexcept {
    ssize_t n =
        direct() ? ::fgetxattr(fd_.get(), name, buf, size) : ::getxattr(proc(), name, buf, size);
    if (n < 0)
        return common::last_errno();
    return static_cast<size_t>(n);
}

Result<std::string> Obj::getxattr(const char* name) const {
    for (int attempt = 0; attempt < 4; ++attempt) {
        Result<size_t> n = getxattr(name, nullptr, 0);
        if (!n)
            return n.error();
        std::string v(*n, '\0');
        Result<size_t> m = getxattr(name, v.data(), v.size());
        if (m) {
            v.resize(*m);
            return v;
        }
        if (m.error().value != ERANGE)
            return m.error();
    }
    return Errno{ERANGE};
}

Result<void> Obj::setxattr(const char* name, std::string_view value, int flags) const noexcept {
    return ok_or_errno(direct() ? ::fsetxattr(fd_.get(), name, value.data(), value.size(), flags)
                                : ::setxattr(proc(), name, value.data(), value.size(), flags));
}

Result<size_t> Obj::listxattr(char* buf, size_t size) const noexcept {
    ssize_t n = direct() ? ::flistxattr(fd_.get(), buf, size) : ::listxattr(proc(), buf, size);
    if (n < 0)
        return common::last_errno();
    return static_cast<size_t>(n);
}

Result<void> Obj::removexattr(const char* name) const noexcept {
    return ok_or_errno(direct() ? ::fremovexattr(fd_.get(), name) : ::removexattr(proc(), name));
}

Result<void> Obj::chown(uid_t uid, gid_t gid) const noexcept {
    return ok_or_errno(fchownat(fd_.get(), "", uid, gid, AT_EMPTY_PATH));
}

Result<void> Obj::chmod(mode_t mode) const noexcept {
    return ok_or_errno(direct() ? ::fchmod(fd_.get(), mode) : ::chmod(proc(), mode));
}

Result<void> Obj::utimes(const struct timespec ts[2]) const noexcept {
    return ok_or_errno(utimensat(fd_.get(), "", ts, AT_EMPTY_PATH));
}

// ---- Layer -------------------------------------------------------------------------------

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
    // O_PATH: fstat, fstatvfs and openat2 beneath it work, and a root directory without read
    // permission can still be a layer.
    root_.reset(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_)
        common::throw_errno("cannot open %s", path_.c_str());
    struct stat st {};
    if (fstat(root_.get(), &st) < 0)
        common::throw_errno("cannot stat %s", path_.c_str());
    dev_ = st.st_dev;
    Result<common::UniqueFd> probe = open_beneath(root_.get(), "", O_PATH | O_DIRECTORY);
    if (!probe && (probe.error().value == ENOSYS || probe.error().value == E2BIG))
        common::throw_error(probe.error().value,
                            "this kernel has no openat2 with RESOLVE_IN_ROOT (Linux 5.6 or later "
                            "is needed to keep every access beneath the layer %s)",
                            path_.c_str());
}

Result<int> Layer::base(const std::string& rel, std::string_view& rest) const noexcept {
    rest = rel;
    if (rel.empty() || rel.front() != '/')
        return root_.get();
    if (!is_upper_ || work_ == nullptr || !*work_)
        return Errno{ENOENT};
    rest.remove_prefix(1);
    return work_->get();
}

Result<common::UniqueFd> Layer::open(const std::string& rel, int flags) const noexcept {
    std::string_view rest;
    Result<int> b = base(rel, rest);
    if (!b)
        return b.error();
    return open_beneath(*b, rest, flags);
}

Result<Obj> Layer::obj(const std::string& rel) const noexcept {
    Result<common::UniqueFd> fd = open(rel, O_PATH);
    if (!fd)
        return fd.error();
    return Obj(std::move(*fd));
}

Result<Parent> Layer::parent(const std::string& rel, Hold hold) const noexcept {
    std::string_view rest;
    Result<int> b = base(rel, rest);
    if (!b)
        return b.error();
    size_t slash = rest.rfind('/');
    Parent p;
    // The last component: a suffix of `rel`, so NUL-terminated where `rel` is.
    p.name = rest.data() + (slash == std::string_view::npos ? 0 : slash + 1);
    if (slash == std::string_view::npos) {
        p.fd = *b;
    } else if (std::string_view dir = rest.substr(0, slash); held_ > 0 && *b == root_.get()) {
        // A held directory, borrowed: no openat2, no close.
        HeldDir* h = held_dir(dir);
        if (h == nullptr && hold == Hold::take) {
            Result<HeldDir*> taken = take_held(dir);
            if (!taken)
                return taken.error();
            h = *taken;
        }
        if (h != nullptr)
            p.fd = h->fd.get();
    }
    if (p.fd < 0) {
        Result<common::UniqueFd> d = open_beneath(*b, rest.substr(0, slash), O_PATH | O_DIRECTORY);
        if (!d)
            return d.error();
        p.owned = std::move(*d);
        p.fd = p.owned.get();
    }
    if (bad_name(p.name))
        return Errno{EINVAL};
    return p;
}

void Layer::hold_dirs(bool on) const noexcept {
    held_ += on ? 1 : -1;
    if (held_ <= 0) {
        held_ = 0;
        drop_held();
    }
}

void Layer::HeldDir::close() noexcept {
    fd.reset();
    path.clear();
}

void Layer::drop_held() const noexcept {
    for (HeldDir& h : held_dirs_)
        h.close();
}

void Layer::drop_held_under(std::string_view rel) const noexcept {
    for (HeldDir& h : held_dirs_) {
        std::string_view p = h.path;
        if (h.fd && p.substr(0, rel.size()) == rel &&
            (p.size() == rel.size() || p[rel.size()] == '/'))
            h.close();
    }
}

Layer::HeldDir* Layer::held_dir(std::string_view dir) const noexcept {
    for (HeldDir& h : held_dirs_)
        if (h.fd && h.path == dir) {
            h.used = ++held_clock_;
            return &h;
        }
    return nullptr;
}

Result<Layer::HeldDir*> Layer::take_held(std::string_view dir) const noexcept {
    HeldDir* victim = &held_dirs_[0]; // the least recently used (an empty one first)
    for (HeldDir& h : held_dirs_)
        if (!h.fd || (victim->fd && h.used < victim->used))
            victim = &h;
    victim->close();
    Result<common::UniqueFd> d = open_beneath(root_.get(), dir, O_PATH | O_DIRECTORY);
    if (!d)
        return d.error();
    try {
        victim->path.assign(dir);
    } catch (...) {
        return Errno{ENOMEM};
    }
    victim->fd = std::move(*d);
    victim->used = ++held_clock_;
    return victim;
}

Result<struct stat> Layer::stat(const std::string& rel) const noexcept {
    struct stat st {};
    if (rel.empty()) {
        if (fstat(root_.get(), &st) < 0)
            return common::last_errno();
        return st;
    }
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    if (fstatat(p->fd, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return common::last_errno();
    return st;
}

Result<std::string> Layer::readlink(const std::string& rel) const {
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    std::string buf(PATH_MAX, '\0');
    ssize_t n = readlinkat(p->fd, p->name, buf.data(), buf.size());
    if (n < 0)
        return common::last_errno();
    buf.resize(static_cast<size_t>(n));
    return buf;
}

template <class At, class ByObj>
Result<size_t> Layer::xattr_call(const std::string& rel, At&& at, ByObj&& by_obj) const {
    if (!rel.empty() && have_getxattrat.load(std::memory_order_relaxed)) {
        Result<Parent> p = parent(rel);
        if (!p)
            return p.error();
        Result<size_t> r = at(p->fd, p->name);
        if (r || r.error().value != ENOSYS)
            return r;
    }
    Result<Obj> o = obj(rel); // the root, or a kernel before 6.13
    if (!o)
        return o.error();
    return by_obj(*o);
}

namespace {

// A set or remove call's answer as xattr_call's size (0).
Result<size_t> as_size(Result<void> r) noexcept {
    return r ? Result<size_t>(size_t{0}) : Result<size_t>(r.error());
}

Result<void> as_void(Result<size_t> r) noexcept {
    return r ? Result<void>() : Result<void>(r.error());
}

} // namespace

Result<size_t> Layer::getxattr(const std::string& rel, const char* name, void* buf,
                               size_t size) const {
    return xattr_call(
        rel,
        [&](int dirfd, const char* entry) { return getxattr_at(dirfd, entry, name, buf, size); },
        [&](const Obj& o) { return o.getxattr(name, buf, size); });
}

Result<std::string> Layer::getxattr(const std::string& rel, const char* name) const {
    std::string v;
    Result<size_t> r = xattr_call(
        rel,
        [&](int dirfd, const char* entry) -> Result<size_t> {
            for (int attempt = 0; attempt < 4; ++attempt) {
                Result<size_t> n = getxattr_at(dirfd, entry, name, nullptr, 0);
                if (!n)
                    return n;
                v.assign(*n, '\0');
                Result<size_t> m = getxattr_at(dirfd, entry, name, v.data(), v.size());
                if (m || m.error().value != ERANGE)
                    return m;
            }
            return Errno{ENOSYS}; // still growing: the /proc path tries again
        },
        [&](const Obj& o) -> Result<size_t> {
            Result<std::string> got = o.getxattr(name);
            if (!got)
                return got.error();
            v = std::move(*got);
            return v.size();
        });
    if (!r)
        return r.error();
    v.resize(*r);
    return v;
}

Result<void> Layer::setxattr(const std::string& rel, const char* name, std::string_view value,
                             int flags) const {
    return as_void(xattr_call(
        rel,
        [&](int dirfd, const char* entry) { return setxattr_at(dirfd, entry, name, value, flags); },
        [&](const Obj& o) { return as_size(o.setxattr(name, value, flags)); }));
}

Result<void> Layer::removexattr(const std::string& rel, const char* name) const {
    return as_void(xattr_call(
        rel, [&](int dirfd, const char* entry) { return removexattr_at(dirfd, entry, name); },
        [&](const Obj& o) { return as_size(o.removexattr(name)); }));
}

Result<size_t> Layer::listxattr(const std::string& rel, char* buf, size_t size) const {
    return xattr_call(
        rel, [&](int dirfd, const char* entry) { return listxattr_at(dirfd, entry, buf, size); },
        [&](const Obj& o) { return o.listxattr(buf, size); });
}

Result<void> Layer::utimes(const std::string& rel, const struct timespec ts[2]) const noexcept {
    if (rel.empty())
        return ok_or_errno(utimensat(root_.get(), "", ts, AT_EMPTY_PATH));
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    return ok_or_errno(utimensat(p->fd, p->name, ts, AT_SYMLINK_NOFOLLOW));
}

Result<void> Layer::chown(const std::string& rel, uid_t uid, gid_t gid) const noexcept {
    if (rel.empty())
        return ok_or_errno(fchownat(root_.get(), "", uid, gid, AT_EMPTY_PATH));
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    return ok_or_errno(fchownat(p->fd, p->name, uid, gid, AT_SYMLINK_NOFOLLOW));
}

Result<void> Layer::chmod(const std::string& rel, mode_t mode) const noexcept {
    if (!rel.empty() && have_fchmodat2.load(std::memory_order_relaxed)) {
        Result<Parent> p = parent(rel);
        if (!p)
            return p.error();
        if (syscall(SYS_fchmodat2, p->fd, p->name, mode, AT_SYMLINK_NOFOLLOW) == 0)
            return {};
        if (errno != ENOSYS)
            return common::last_errno();
        have_fchmodat2.store(false, std::memory_order_relaxed);
    }
    Result<Obj> o = obj(rel);
    if (!o)
        return o.error();
    return o->chmod(mode);
}

Result<DirStream> DirStream::open(const Layer& layer, const std::string& rel) noexcept {
    Result<common::UniqueFd> fd = layer.open(rel, O_RDONLY | O_DIRECTORY);
    if (!fd)
        return fd.error();
    DIR* d = fdopendir(fd->get());
    if (d == nullptr)
        return common::last_errno();
    (void)fd->release(); // owned by the DIR stream now
    return DirStream(d);
}

DirStream::~DirStream() {
    if (dir_ != nullptr)
        closedir(dir_);
}

struct dirent* DirStream::next() noexcept {
    return readdir(dir_);
}

int DirStream::fd() const noexcept {
    return dirfd(dir_);
}

Result<common::UniqueFd> Layer::create(const std::string& rel, int flags,
                                       mode_t mode) const noexcept {
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    int fd = openat(p->fd, p->name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return common::last_errno();
    return common::UniqueFd(fd);
}

Result<void> Layer::mkdir(const std::string& rel, mode_t mode) const noexcept {
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    return ok_or_errno(mkdirat(p->fd, p->name, mode));
}

Result<void> Layer::mknod(const std::string& rel, mode_t mode, dev_t dev) const noexcept {
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    return ok_or_errno(mknodat(p->fd, p->name, mode, dev));
}

Result<void> Layer::symlink(const std::string& target, const std::string& rel) const noexcept {
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    return ok_or_errno(symlinkat(target.c_str(), p->fd, p->name));
}

Result<void> Layer::unlink(const std::string& rel, int flags) const noexcept {
    Result<Parent> p = parent(rel);
    if (!p)
        return p.error();
    Result<void> r = ok_or_errno(unlinkat(p->fd, p->name, flags));
    if (r && (flags & AT_REMOVEDIR))
        drop_held_under(rel); // the held directory may be this one, or beneath it
    return r;
}

Result<void> Layer::rename(const std::string& from, const std::string& to,
                           unsigned flags) const noexcept {
    // Each side borrows the held directory only when it already is its directory: a second
    // open must not close the first side's.
    Result<Parent> a = parent(from, Hold::if_same);
    if (!a)
        return a.error();
    Result<Parent> b = parent(to, Hold::if_same);
    if (!b)
        return b.error();
    Result<void> r = ok_or_errno(renameat2(a->fd, a->name, b->fd, b->name, flags));
    // A directory that moved or was replaced (exchanged): the held one may be it, or beneath it.
    // A file moving within or between held directories leaves them where they are.
    drop_held_under(from);
    drop_held_under(to);
    return r;
}

Result<void> Layer::link(const std::string& from, const std::string& to) const noexcept {
    Result<Parent> a = parent(from, Hold::if_same);
    if (!a)
        return a.error();
    Result<Parent> b = parent(to, Hold::if_same);
    if (!b)
        return b.error();
    return ok_or_errno(linkat(a->fd, a->name, b->fd, b->name, 0));
}

} // namespace ovl
