// SPDX-License-Identifier: Apache-2.0
// ops.h — each FUSE operation as a pure do_X (unit-tested) and its noexcept op_X shim
#pragma once

#include "fuse-overlay/ops/names.h"
#include "fuse-overlay/overlay.h"

#include <fuse_lowlevel.h>

#include <cstdint>
#include <fcntl.h>
#include <memory>
#include <string>
#include <string_view>
#include <sys/statvfs.h>
#include <vector>

struct fsxattr; // <linux/fs.h>, which clashes with <sys/mount.h>: included where used

namespace ovl {

/// One entry of an open directory's snapshot.
struct DirEntry {
    std::string name;
    ino_t ino;
    mode_t type;
};
/// What opendir hands to readdir: the merged listing, "." and ".." first, taken at the first
/// readdir (with cache_readdir the kernel often needs none, so opendir stays cheap).
struct DirHandle {
    std::vector<DirEntry> entries;
    bool filled = false;
};

/// The node for `ino`, or ESTALE for an id the kernel should not hold.
Result<Node*> get_node(Overlay& ov, fuse_ino_t ino) noexcept;
/// The directory node for `ino`; ENOTDIR when it is not one.
Result<Node*> get_dir(Overlay& ov, fuse_ino_t ino) noexcept;
/// Directory `parent` and its child `name` (child nullptr when absent or whited out).
struct DirChild {
    Node* dir;
    Node* child;
};
Result<DirChild> get_child(Overlay& ov, fuse_ino_t parent, std::string_view name);

// lookup.cc
/// Looks `name` up in directory `parent`; on success the node's nlookup grows by one. A name that
/// is absent or whited out gives an entry with ino 0 (a cached negative entry), not ENOENT.
Result<fuse_entry_param> do_lookup(Overlay& ov, fuse_ino_t parent, std::string_view name);
void do_forget(Overlay& ov, fuse_ino_t ino, uint64_t n) noexcept;
void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept;
void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) noexcept;
void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* f) noexcept;

// attr.cc
Result<struct stat> do_getattr(Overlay& ov, fuse_ino_t ino);
Result<std::string> do_readlink(Overlay& ov, fuse_ino_t ino);
void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept;
void op_readlink(fuse_req_t req, fuse_ino_t ino) noexcept;

// dir.cc
/// Checks `ino` is a directory and returns an empty handle.
Result<std::unique_ptr<DirHandle>> do_opendir(Overlay& ov, fuse_ino_t ino);
/// Takes the merged listing of `ino` into `h` (once).
Result<void> do_fill_dir(Overlay& ov, fuse_ino_t ino, DirHandle& h);
void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept;
void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                fuse_file_info* fi) noexcept;
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    fuse_file_info* fi) noexcept;
void op_releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept;

/// Set in a file handle (fi->fh: the fd in the low 32 bits) opened for writing: always an upper
/// file, which setattr may change through the fd without asking the kernel (fcntl) first.
constexpr uint64_t fh_writable = uint64_t{1} << 32;

/// The file handle for `fd` opened with `flags`.
inline uint64_t file_handle(int fd, int flags) noexcept {
    return static_cast<uint64_t>(fd) | ((flags & O_ACCMODE) != O_RDONLY ? fh_writable : 0);
}

// file.cc
/// Opens the topmost object (a metacopy's data file) for reading; with write intent (O_WRONLY,
/// O_RDWR, O_TRUNC, O_APPEND) copies it up and opens the upper file (open_for_write).
Result<common::UniqueFd> do_open(Overlay& ov, fuse_ino_t ino, int flags);
/// pread of up to `size` bytes at `off` from an open file's fd, retrying EINTR.
Result<size_t> do_read(int fd, char* buf, size_t size, off_t off) noexcept;
/// A one-buffer bufvec of `size` bytes at `off` in `fd`: the source of a spliced read reply, or
/// the target of a write.
fuse_bufvec fd_bufvec(int fd, size_t size, off_t off) noexcept;
/// Whether this thread's pipes are big enough for libfuse's splice to beat a copy.
bool splice_pays_off() noexcept;
void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept;
void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) noexcept;
void op_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept;

// statfs.cc
Result<struct statvfs> do_statfs(Overlay& ov);
void op_statfs(fuse_req_t req, fuse_ino_t ino) noexcept;

// xattr.cc (ops)
/// The value of a user-visible xattr; ENODATA for the overlay's own, ENOSYS with noxattrs=1.
Result<std::string> do_getxattr(Overlay& ov, fuse_ino_t ino, std::string_view name);
/// NUL-separated visible names.
Result<std::string> do_listxattr(Overlay& ov, fuse_ino_t ino);
void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) noexcept;
void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) noexcept;

// create.cc: new names in upper, over any whiteout; owner = the caller's ids mapped to disk.
/// What create hands back: the entry and the open backing file.
struct Created {
    fuse_entry_param entry;
    common::UniqueFd fd;
};
Result<Created> do_create(Overlay& ov, fuse_ino_t parent, std::string_view name, mode_t mode,
                          int flags, const Caller& c);
/// A directory made over a whiteout (or over a name a lower layer holds) is opaque.
Result<fuse_entry_param> do_mkdir(Overlay& ov, fuse_ino_t parent, std::string_view name,
                                  mode_t mode, const Caller& c);
Result<fuse_entry_param> do_mknod(Overlay& ov, fuse_ino_t parent, std::string_view name,
                                  mode_t mode, dev_t rdev, const Caller& c);
Result<fuse_entry_param> do_symlink(Overlay& ov, std::string_view target, fuse_ino_t parent,
                                    std::string_view name, const Caller& c);
/// Copies a lower source up, then links in upper; the entry is the source's node.
Result<fuse_entry_param> do_link(Overlay& ov, fuse_ino_t ino, fuse_ino_t newparent,
                                 std::string_view newname);
void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) noexcept;
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              dev_t rdev) noexcept;
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) noexcept;
void op_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) noexcept;
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) noexcept;

// remove.cc: a whiteout replaces a name a lower layer holds; ENOTEMPTY on the merged view.
Result<void> do_unlink(Overlay& ov, fuse_ino_t parent, std::string_view name);
Result<void> do_rmdir(Overlay& ov, fuse_ino_t parent, std::string_view name);
void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept;
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept;

// rename.cc: flags 0, RENAME_NOREPLACE, RENAME_EXCHANGE; EXDEV for directories with a lower part.
Result<void> do_rename(Overlay& ov, fuse_ino_t parent, std::string_view name, fuse_ino_t newparent,
                       std::string_view newname, unsigned flags);
void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
               const char* newname, unsigned int flags) noexcept;

// setattr.cc: copy-up (metadata only under metacopy=on, full for a size change), then chmod,
// chown (ids mapped back to disk ids; the override xattr in stat-override mode), utimes, truncate.
/// `fi` (may be null) is used only when it is a write-open fd, i.e. certainly the upper file.
Result<struct stat> do_setattr(Overlay& ov, fuse_ino_t ino, const struct stat& attr, int to_set,
                               const fuse_file_info* fi);
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                fuse_file_info* fi) noexcept;

// xattr_write.cc: EPERM for the overlay's own names, ENOSYS with noxattrs, EROFS without upper.
Result<void> do_setxattr(Overlay& ov, fuse_ino_t ino, std::string_view name, std::string_view value,
                         int flags);
Result<void> do_removexattr(Overlay& ov, fuse_ino_t ino, std::string_view name);
void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                 int flags) noexcept;
void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) noexcept;

// data.cc: writing through open files.
/// Copies `node` up (no data for O_TRUNC; a metacopy gets its data) and opens the upper file
/// with `flags` (O_CREAT/O_EXCL/O_DIRECT dropped; with the writeback cache O_WRONLY becomes
/// O_RDWR and O_APPEND goes). EROFS without an upper layer.
Result<common::UniqueFd> open_for_write(Overlay& ov, Node& node, int flags);
/// fsync/fdatasync of `fd`; a no-op with fsync=0 or volatile.
Result<void> do_fsync(const Overlay& ov, int fd, bool datasync) noexcept;
/// fsync of the upper directory of `ino` (nothing when it has none); no-op with fsync=0.
Result<void> do_fsyncdir(Overlay& ov, fuse_ino_t ino, bool datasync);
void op_write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t off,
                  fuse_file_info* fi) noexcept;
void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                  fuse_file_info* fi) noexcept;
void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                        fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                        int flags) noexcept;
void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) noexcept;
void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) noexcept;

// locks.cc: flock(2) and OFD locks on the open's backing fd (registered with threaded=1 only).
Result<void> do_flock(int fd, int op) noexcept;
Result<void> do_getlk(int fd, struct flock& lock) noexcept;
Result<void> do_setlk(int fd, struct flock lock, bool wait) noexcept;
void op_flock(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int op) noexcept;
void op_getlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock) noexcept;
void op_setlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock,
              int sleep) noexcept;

// ioctl.cc: inode flags and generation of the backing object (lsattr/chattr), as upstream.
/// FS_IOC_GETFLAGS/GETVERSION read the topmost object; SETFLAGS/SETVERSION copy it up (data
/// included) and set `in` on the upper one. ENOSYS for any other command, ENOTTY for an object
/// that is neither a file nor a directory, EROFS without an upper layer. Returns the value.
Result<uint32_t> do_ioctl(Overlay& ov, fuse_ino_t ino, unsigned int cmd, uint32_t in);
/// FS_IOC_FSGETXATTR of the topmost object: the kernel asks it before every SETFLAGS.
Result<struct fsxattr> do_fsgetxattr(Overlay& ov, fuse_ino_t ino);
void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void* arg, fuse_file_info* fi,
              unsigned flags, const void* in_buf, size_t in_bufsz, size_t out_bufsz) noexcept;

} // namespace ovl
