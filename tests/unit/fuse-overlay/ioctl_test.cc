// SPDX-License-Identifier: Apache-2.0
// ioctl_test.cc — do_ioctl: inode flags read from the topmost object, set on an upper copy
#include "temp_tree.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace ovl;
using namespace ovl::test;

namespace {

// The flags of a backing file, or -1 when its filesystem keeps none (tmpfs without them).
long flags_of(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int v = 0;
    long r = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &v) == 0 ? v : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

} // namespace

TEST_CASE("GETFLAGS reads the lower file; SETFLAGS copies it up and leaves the lower one",
          "[fuse-overlay][ioctl]") {
    TempTree t(2, {{1, "f", Kind::file, "data"}});
    auto ov = t.overlay(2, {}, true);
    long low = flags_of(t.path(1, "f"));
    if (low < 0) {
        WARN("skipped: the temp dir's filesystem keeps no inode flags");
        return;
    }
    fuse_ino_t f = lookup_path(*ov, "f");
    Result<uint32_t> got = do_ioctl(*ov, f, FS_IOC_GETFLAGS, 0);
    REQUIRE(got);
    CHECK(*got == static_cast<uint32_t>(low));
    Result<uint32_t> set = do_ioctl(*ov, f, FS_IOC_SETFLAGS, *got | FS_NODUMP_FL);
    if (!set && set.error().value == EOPNOTSUPP) {
        WARN("skipped: the temp dir's filesystem has no nodump flag");
        return;
    }
    REQUIRE(set);
    CHECK((flags_of(t.path(0, "f")) & FS_NODUMP_FL) != 0);
    CHECK((flags_of(t.path(1, "f")) & FS_NODUMP_FL) == 0);
    CHECK(slurp(t.path(0, "f")) == "data");
    got = do_ioctl(*ov, f, FS_IOC_GETFLAGS, 0);
    REQUIRE(got);
    CHECK((*got & FS_NODUMP_FL) != 0);
    // What the kernel asks before each SETFLAGS: the upper file's, with the flag in it.
    Result<struct fsxattr> x = do_fsgetxattr(*ov, f);
    REQUIRE(x);
    CHECK((x->fsx_xflags & FS_XFLAG_NODUMP) != 0);
}

TEST_CASE("other commands are ENOSYS; SETFLAGS without an upper layer EROFS",
          "[fuse-overlay][ioctl]") {
    TempTree t(1, {{0, "f", Kind::file, "data"}, {0, "l", Kind::symlink, "f"}});
    auto ov = t.overlay(1);
    fuse_ino_t f = lookup_path(*ov, "f");
    CHECK(do_ioctl(*ov, f, FIONREAD, 0).error().value == ENOSYS);
    CHECK(do_ioctl(*ov, f, FS_IOC_FSSETXATTR, 0).error().value == ENOSYS);
    CHECK(do_ioctl(*ov, f, FS_IOC_SETFLAGS, 0).error().value == EROFS);
    // A symlink is never opened: the kernel sends no ioctl for one, and a forged id gets ENOTTY.
    CHECK(do_ioctl(*ov, lookup_path(*ov, "l"), FS_IOC_GETFLAGS, 0).error().value == ENOTTY);
}
