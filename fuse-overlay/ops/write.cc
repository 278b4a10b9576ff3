// SPDX-License-Identifier: Apache-2.0
// write.cc — every modifying operation answers EROFS until the write side lands (next issue)
#include "fuse-overlay/ops/ops.h"

namespace ovl {

void op_setattr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_unlink(fuse_req_t req, fuse_ino_t, const char*) noexcept { fuse_reply_err(req, EROFS); }
void op_rmdir(fuse_req_t req, fuse_ino_t, const char*) noexcept { fuse_reply_err(req, EROFS); }
void op_symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*,
               unsigned int) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_setxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) noexcept {
    fuse_reply_err(req, EROFS);
}
void op_removexattr(fuse_req_t req, fuse_ino_t, const char*) noexcept {
    fuse_reply_err(req, EROFS);
}

} // namespace ovl
