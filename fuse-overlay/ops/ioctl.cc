// SPDX-License-Identifier: Apache-2.0
// ioctl.cc — FS_IOC_GETFLAGS/SETFLAGS/GETVERSION/SETVERSION passed to the backing object, as
// upstream fuse-overlayfs' ovl_ioctl does (lsattr/chattr in a container), and FS_IOC_FSGETXATTR,
// which the kernel (5.13+) asks before every SETFLAGS: without it chattr fails with EOPNOTSUPP,
// as it does with upstream. Every other command is ENOSYS (the kernel reports ENOTTY), and so is
// a 32-bit compat call.
#include "fuse-overlay/copyup.h"
#include "fuse-overlay/ops/guard.h"
#include "fuse-overlay/ops/ops.h"

#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

namespace ovl {

namespace {

// The topmost object of `ino` opened for an ioctl; with `set`, copied up first.
Result<common::UniqueFd> ioctl_target(Overlay& ov, fuse_ino_t ino, bool set) {
    Result<Node*> n = get_node(ov, ino);
    if (!n)
        return n.error();
    Node& node = **n;
    // Only files and directories: opening a device or fifo of a layer could block or act on the
    // device itself (upstream opens whatever it finds).
    if (!S_ISREG(node.type) && !S_ISDIR(node.type))
        return Errno{ENOTTY};
    if (set) {
        if (!ov.has_upper)
            return Errno{EROFS};
        // A flag such as append-only would stop a later copy of the data: copy all of it now, as
        // upstream's get_node_up does.
        if (Result<void> r = copy_up(ov, node); !r)
            return r.error();
    }
    // A metacopy upper file keeps the flags itself; its data file below is never touched.
    return node_layer(ov, node).open(node.path, O_RDONLY | O_NONBLOCK);
}

} // namespace

Result<uint32_t> do_ioctl(Overlay& ov, fuse_ino_t ino, unsigned int cmd, uint32_t in) {
    bool set = cmd == FS_IOC_SETFLAGS || cmd == FS_IOC_SETVERSION;
    if (!set && cmd != FS_IOC_GETFLAGS && cmd != FS_IOC_GETVERSION)
        return Errno{ENOSYS};
    Result<common::UniqueFd> fd = ioctl_target(ov, ino, set);
    if (!fd)
        return fd.error();
    // The kernel and every filesystem read and write an int, whatever the command's size says.
    int v = static_cast<int>(in);
    if (ioctl(fd->get(), cmd, &v) < 0)
        return common::last_errno();
    return static_cast<uint32_t>(v);
}

Result<struct fsxattr> do_fsgetxattr(Overlay& ov, fuse_ino_t ino) {
    Result<common::UniqueFd> fd = ioctl_target(ov, ino, false);
    if (!fd)
        return fd.error();
    struct fsxattr x {};
    if (ioctl(fd->get(), FS_IOC_FSGETXATTR, &x) < 0)
        return common::last_errno();
    return x;
}

void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void*, fuse_file_info*,
              unsigned flags, const void* in_buf, size_t in_bufsz, size_t out_bufsz) noexcept {
    guard(req, [&](Overlay& ov) {
        if (flags & FUSE_IOCTL_COMPAT)
            return (void)fuse_reply_err(req, ENOSYS);
        // The argument arrives as 4 bytes (the kernel's fileattr path) or 8 (_IOC_SIZE of the
        // "long" in the command, holding the value in its low half): read it at the width that
        // came (upstream reads only an 8-byte one).
        if (cmd == FS_IOC_FSGETXATTR) {
            Result<struct fsxattr> x = do_fsgetxattr(ov, ino);
            if (!x)
                return (void)fuse_reply_err(req, x.error().value);
            if (out_bufsz < sizeof *x)
                return (void)fuse_reply_err(req, EINVAL);
            return (void)fuse_reply_ioctl(req, 0, &*x, sizeof *x);
        }
        uint32_t in = 0;
        if (in_bufsz >= sizeof(unsigned long)) {
            unsigned long l;
            std::memcpy(&l, in_buf, sizeof l);
            in = static_cast<uint32_t>(l);
        } else if (in_bufsz >= sizeof(uint32_t)) {
            std::memcpy(&in, in_buf, sizeof in);
        }
        Result<uint32_t> r = do_ioctl(ov, ino, cmd, in);
        if (!r)
            return (void)fuse_reply_err(req, r.error().value);
        // The value is an int for every filesystem, and the kernel copies out only the bytes
        // replied: 8 for an int the caller declared (lsattr -v) would overwrite its stack.
        uint32_t out = *r;
        fuse_reply_ioctl(req, 0, &out, out_bufsz >= sizeof out ? sizeof out : 0);
    });
}

} // namespace ovl
