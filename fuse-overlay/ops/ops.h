// SPDX-License-Identifier: Apache-2.0
// ops.h — each FUSE operation as a pure do_X (unit-tested) and its noexcept op_X shim
#pragma once

#include "fuse-overlay/overlay.h"

#include <fuse_lowlevel.h>

#include <memory>
#include <string>
#include <string_view>
#include <sys/statvfs.h>
#include <vector>

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
void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) noexcept;
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    fuse_file_info* fi) noexcept;
void op_releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) noexcept;

// file.cc
/// Opens the topmost object for reading; EROFS for any write intent (no write side yet).
Result<common::UniqueFd> do_open(Overlay& ov, fuse_ino_t ino, int flags);
/// pread of up to `size` bytes at `off` from an open file's fd, retrying EINTR.
Result<size_t> do_read(int fd, char* buf, size_t size, off_t off) noexcept;
/// A one-buffer bufvec for libfuse to splice `size` bytes at `off` from `fd`.
fuse_bufvec read_bufvec(int fd, size_t size, off_t off) noexcept;
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

// write.cc: the write side is not implemented yet; every write answers EROFS.
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                fuse_file_info* fi) noexcept;
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) noexcept;
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) noexcept;
void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept;
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept;
void op_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) noexcept;
void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
               const char* newname, unsigned int flags) noexcept;
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) noexcept;
void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) noexcept;
void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                 int flags) noexcept;
void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) noexcept;

} // namespace ovl
