// SPDX-License-Identifier: Apache-2.0
// layer.h — one overlay layer: every access resolved beneath its root fd, never outside it
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <array>
#include <cstdint>
#include <dirent.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <utility>

namespace ovl {

using common::Errno;
using common::Result;

/// Whether xattr calls may use getxattrat/listxattrat (Linux 6.13; on by default, off by itself
/// after the first ENOSYS). Tests turn it off to run the older kernels' /proc/self/fd path.
void use_xattrat_syscalls(bool on) noexcept;
bool xattrat_syscalls_in_use() noexcept;

/// Which stat-override xattr a layer carries on its root (docs/compat/fuse-overlayfs.md §2.5), if
/// any.
enum class OverrideMode { none, privileged, containers, user };

/// The xattr name for `m` ("user.containers.override_stat", …); empty for none.
const char* override_xattr_name(OverrideMode m) noexcept;

/// One object of a layer (or of the work dir) held as an O_PATH fd that was opened without
/// following any symlink. Every metadata call goes through the fd, so the kernel never walks a
/// path again: a component swapped for a symlink after the object was opened changes nothing.
///
/// xattrs: f*xattr refuse O_PATH fds, and opening a symlink, fifo or device for reading is
/// impossible or has side effects, so xattr calls name "/proc/self/fd/<this fd>" with no further
/// component. The kernel jumps through that magic link straight to this object (it does not
/// follow the object's own target when it is a symlink), so it is exactly as safe as the fd.
/// chmod uses the same path (fchmod refuses O_PATH fds and a symlink has no mode to set).
class Obj {
public:
    Obj() = default;
    explicit Obj(common::UniqueFd fd);
    /// A regular file opened for reading or writing (not O_PATH): xattr calls and chmod go
    /// through the fd itself (f*xattr, fchmod), no /proc path walk.
    static Obj opened(common::UniqueFd fd);

    int fd() const noexcept { return fd_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(fd_); }

    Result<struct stat> stat() const noexcept;
    Result<std::string> readlink() const;
    /// With size 0 returns the value's size. ENODATA when absent.
    Result<size_t> getxattr(const char* name, void* buf, size_t size) const noexcept;
    /// The whole value (ENODATA when absent).
    Result<std::string> getxattr(const char* name) const;
    Result<void> setxattr(const char* name, std::string_view value, int flags = 0) const noexcept;
    Result<size_t> listxattr(char* buf, size_t size) const noexcept;
    Result<void> removexattr(const char* name) const noexcept;
    /// fchownat(fd, "", AT_EMPTY_PATH); -1 leaves an id unchanged.
    Result<void> chown(uid_t uid, gid_t gid) const noexcept;
    Result<void> chmod(mode_t mode) const noexcept;
    /// utimensat(fd, "", ts, AT_EMPTY_PATH); the object itself, a symlink included.
    Result<void> utimes(const struct timespec ts[2]) const noexcept;

private:
    const char* proc() const noexcept { return proc_.data(); }
    /// An opened() object: xattr calls and chmod go through the fd, not the /proc path.
    bool direct() const noexcept { return proc_[0] == '\0'; }

    common::UniqueFd fd_;
    std::array<char, 32> proc_{}; ///< "/proc/self/fd/<fd>"; empty for an opened() one
};

/// The directory holding a path's last component, and that component (never "", ".", ".." and
/// never containing '/'): *at(fd, name, …) calls on it touch exactly that entry.
struct Parent {
    common::UniqueFd owned; ///< empty when `fd` is the layer root, the work dir or held
    int fd = -1;
    const char* name = ""; ///< the end of the path parent() was given: valid while it is
};

/// A directory tree taking part in the overlay. Paths are relative to its root; "" is the root.
///
/// Confinement (issue 12): a path is untrusted (a process in the mount can rename a directory
/// and put a symlink in its place, and so can anybody writing the upper dir directly), so every
/// path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
/// beneath the root: ".." stops at the root, a symlink anywhere in the path fails with ELOOP
/// (the last one too, unless the call is about the symlink itself: O_PATH|O_NOFOLLOW, or the
/// single-component *at() calls on a Parent). The mount refuses to start without openat2.
///
/// In the upper layer, a path starting with '/' names an entry of `<workdir>/work` instead
/// ("/unlinked-7"): files deleted while open live there. Node names never contain '/', and
/// redirect/origin values are checked (checked_rel) before they become paths, so no other path
/// starts with '/'; in a lower layer, or without a work dir, such a path is refused.
class Layer {
public:
    /// Opens `path` (already resolved) as layer `index`. Throws SysError, or a runtime error
    /// when the kernel lacks openat2 (Linux < 5.6).
    Layer(std::string path, unsigned index, bool is_upper);

    unsigned index() const noexcept { return index_; }
    bool is_upper() const noexcept { return is_upper_; }
    int fd() const noexcept { return root_.get(); }
    const std::string& path() const noexcept { return path_; }
    dev_t dev() const noexcept { return dev_; }
    OverrideMode override_mode() const noexcept { return override_; }
    void set_override_mode(OverrideMode m) noexcept { override_ = m; }
    /// The work dir fd ('/'-paths), read at each use (tests replace it). Upper layer only.
    void set_work(const common::UniqueFd* work) noexcept { work_ = work; }

    /// Opens `rel` beneath the root: flags | O_CLOEXEC | O_NOFOLLOW, no symlink followed.
    Result<common::UniqueFd> open(const std::string& rel, int flags) const noexcept;
    /// The object at `rel` itself (O_PATH, a symlink included).
    Result<Obj> obj(const std::string& rel) const noexcept;
    /// Whether parent() may make `rel`'s directory a held one (take, replacing the least
    /// recently used), or only borrow it when it already is (if_same: a call resolving two
    /// parents must not close the first one's).
    enum class Hold { take, if_same };
    /// The directory holding `rel` and its last component. EINVAL for the root. While held, a
    /// held directory (no openat2, no close): Parent::owned stays empty.
    Result<Parent> parent(const std::string& rel, Hold hold = Hold::take) const noexcept;

    /// lstat of `rel`.
    Result<struct stat> stat(const std::string& rel) const noexcept;
    /// While held (hold_dirs(true) calls outnumber hold_dirs(false)), the layer keeps the last
    /// directories it resolved open (up to max_held) and stats, reads xattrs of and changes
    /// further names in them through those fds: a listing stats every entry of one directory
    /// twice (resolve, then readdirplus), one fstatat each instead of openat2 + fstatat + close.
    /// Held for one request (HeldDirs in overlay.h) or, in a live mount, for good
    /// (Overlay::hold_dirs_for_good): under the lock, opened beneath the root like any other fd.
    void hold_dirs(bool on) const noexcept;
    /// Closes the held directories (the next use opens them again).
    void drop_held() const noexcept;
    /// Closes those that are `rel` or beneath it. rename() and unlink() of a directory call it,
    /// so a mount that holds for good never keeps a directory that moved or went: the layers
    /// change only through us (docs/compat/fuse-overlayfs.md §2.12).
    void drop_held_under(std::string_view rel) const noexcept;
    Result<std::string> readlink(const std::string& rel) const;
    Result<size_t> getxattr(const std::string& rel, const char* name, void* buf, size_t size) const;
    Result<std::string> getxattr(const std::string& rel, const char* name) const;
    /// setxattr/removexattr of `rel` itself: setxattrat/removexattrat on its directory (Linux
    /// 6.13), else through the object's /proc/self/fd path.
    Result<void> setxattr(const std::string& rel, const char* name, std::string_view value,
                          int flags = 0) const;
    Result<void> removexattr(const std::string& rel, const char* name) const;
    Result<size_t> listxattr(const std::string& rel, char* buf, size_t size) const;
    // Metadata of `rel` itself (a symlink is never followed), by its name in its directory: the
    // held one in a live mount, so no open and close of the object.
    /// utimensat; ts as for utimensat(2).
    Result<void> utimes(const std::string& rel, const struct timespec ts[2]) const noexcept;
    /// fchownat; -1 leaves an id unchanged.
    Result<void> chown(const std::string& rel, uid_t uid, gid_t gid) const noexcept;
    /// fchmodat2 (Linux 6.6; before it, chmod of the object's /proc/self/fd path).
    Result<void> chmod(const std::string& rel, mode_t mode) const noexcept;

    // Changes of the tree; each works on one entry of a directory opened by parent().
    /// Creates a regular file: O_CREAT | O_EXCL | O_NOFOLLOW added to `flags`.
    Result<common::UniqueFd> create(const std::string& rel, int flags, mode_t mode) const noexcept;
    Result<void> mkdir(const std::string& rel, mode_t mode) const noexcept;
    Result<void> mknod(const std::string& rel, mode_t mode, dev_t dev) const noexcept;
    Result<void> symlink(const std::string& target, const std::string& rel) const noexcept;
    /// unlinkat with `flags` (0 or AT_REMOVEDIR).
    Result<void> unlink(const std::string& rel, int flags) const noexcept;
    /// renameat2 between two paths of this layer (either may be a '/' work path).
    Result<void> rename(const std::string& from, const std::string& to,
                        unsigned flags) const noexcept;
    /// linkat between two paths of this layer (either may be a '/' work path); never follows.
    Result<void> link(const std::string& from, const std::string& to) const noexcept;

private:
    // at(dirfd, name) for `rel`'s directory (held, or opened beneath the root) and last
    // component, with the *xattrat calls (which do not follow a symlink); otherwise
    // by_obj(the object's O_PATH Obj): for the root, or on a kernel without the *xattrat calls
    // (Linux < 6.13, where `at` answers ENOSYS).
    template <class At, class ByObj>
    Result<size_t> xattr_call(const std::string& rel, At&& at, ByObj&& by_obj) const;
    // The fd a path starting at `rel` is resolved beneath, and the rest of the path.
    Result<int> base(const std::string& rel, std::string_view& rest) const noexcept;

    std::string path_;
    unsigned index_;
    bool is_upper_;
    common::UniqueFd root_;
    const common::UniqueFd* work_ = nullptr;
    dev_t dev_ = 0;
    OverrideMode override_ = OverrideMode::none;
    // The held directories, least recently used replaced: a walk alternates between a
    // directory and its parent (tar stats the directory between its files), and a rename
    // between two. Each fd is the directory at `path` (relative to the root) while held.
    struct HeldDir {
        std::string path;
        common::UniqueFd fd;
        uint64_t used = 0;
        void close() noexcept;
    };
    static constexpr size_t max_held = 4;
    // The held entry for directory `dir`, or nullptr.
    HeldDir* held_dir(std::string_view dir) const noexcept;
    // Opens `dir` beneath the root in place of the least recently used held entry.
    Result<HeldDir*> take_held(std::string_view dir) const noexcept;

    mutable int held_ = 0;
    mutable std::array<HeldDir, max_held> held_dirs_;
    mutable uint64_t held_clock_ = 0;
};

/// A directory of a layer opened for listing (beneath the root, as Layer::open): readdir through
/// one DIR stream, closed with the object.
class DirStream {
public:
    static Result<DirStream> open(const Layer& layer, const std::string& rel) noexcept;
    DirStream(DirStream&& o) noexcept : dir_(std::exchange(o.dir_, nullptr)) {}
    DirStream& operator=(DirStream&&) = delete;
    DirStream(const DirStream&) = delete;
    ~DirStream();
    /// The next entry ("." and ".." included), or nullptr at the end.
    struct dirent* next() noexcept;
    int fd() const noexcept;

private:
    explicit DirStream(DIR* d) noexcept : dir_(d) {}
    DIR* dir_;
};

/// Opens `rel` beneath directory `dirfd` with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS); `flags` get O_CLOEXEC | O_NOFOLLOW. "" or "." is `dirfd` itself.
Result<common::UniqueFd> open_beneath(int dirfd, std::string_view rel, int flags) noexcept;

/// A stored path (an overlay.redirect or fuseoverlayfs.origin value) made relative to a layer
/// root: a leading '/' dropped, "." and empty components removed. nullopt-like EINVAL for any ".."
/// component or a NUL, as kernel overlayfs refuses ".." redirects: such a value would name
/// something outside the directory it claims.
Result<std::string> checked_rel(std::string_view stored);

/// "a/b" + "c" = "a/b/c"; "" + "c" = "c".
std::string join_path(std::string_view dir, std::string_view name);

} // namespace ovl
