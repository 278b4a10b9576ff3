// SPDX-License-Identifier: Apache-2.0
// copyup_overlay_test.cc — overlayfs copy-up helpers (docs/compat/rootlesskit.md §6.5)
#include "rootlesskit/copyup/overlay.h"

#include <catch2/catch.hpp>

using namespace rlk;

TEST_CASE("make_driver knows tmpfs+symlink and overlayfs only", "[rootlesskit][copyup]") {
    CHECK(dynamic_cast<copyup::TmpfsSymlink*>(copyup::make_driver("tmpfs+symlink", "").get()));
    CHECK(dynamic_cast<copyup::Overlay*>(copyup::make_driver("overlayfs", "").get()));
    CHECK(copyup::make_driver("overlay", "") == nullptr);
    CHECK(copyup::make_driver("", "") == nullptr);
}

TEST_CASE("escape_lowerdir escapes the overlay's separator and escape", "[rootlesskit][copyup]") {
    CHECK(copyup::escape_lowerdir("/etc") == "/etc");
    CHECK(copyup::escape_lowerdir("/srv/a:b") == "/srv/a\\:b");
    CHECK(copyup::escape_lowerdir("/srv/a\\b,c") == "/srv/a\\\\b,c");
}

TEST_CASE("outer_submounts lists the outermost mounts strictly beneath the dir",
          "[rootlesskit][copyup]") {
    const std::string mi = "22 1 254:0 / / rw - ext4 /dev/vda rw\n"
                           "30 22 0:5 / /etc rw - tmpfs none rw\n"
                           "31 30 0:6 / /etc/ssl rw - tmpfs none rw\n"
                           "32 31 0:7 / /etc/ssl/private rw - tmpfs none rw\n"
                           "33 22 0:8 /resolv.conf /etc/resolv.conf rw - ext4 /dev/vda rw\n"
                           "34 22 0:9 / /etcetera rw - tmpfs none rw\n"
                           "35 22 0:10 / /etc/my\\040dir rw - tmpfs none rw\n"
                           "36 31 0:11 / /etc/ssl rw - tmpfs none rw\n"
                           "37 22 0:12 / /run/user/1000 rw - tmpfs none rw\n";
    CHECK(copyup::outer_submounts(mi, "/etc") ==
          std::vector<std::string>{"/etc/ssl", "/etc/resolv.conf", "/etc/my dir"});
    CHECK(copyup::outer_submounts(mi, "/run") == std::vector<std::string>{"/run/user/1000"});
    CHECK(copyup::outer_submounts(mi, "/etc/ssl/private").empty());
    CHECK(copyup::outer_submounts(mi, "/var").empty());
    CHECK(copyup::outer_submounts(mi, "/") ==
          std::vector<std::string>{"/etc", "/etcetera", "/run/user/1000"});
}

TEST_CASE("refusal_reason and fallback_message", "[rootlesskit][copyup]") {
    CHECK(copyup::refusal_reason("overlay lowerdir=/x", "", "invalid argument") ==
          "overlay lowerdir=/x: invalid argument");
    CHECK(copyup::refusal_reason("overlay lowerdir=/x",
                                 "e overlay: failed to clone lowerpath\nw overlay: other\n",
                                 "operation not permitted") ==
          "overlay lowerdir=/x: overlay: failed to clone lowerpath; overlay: other: operation not "
          "permitted");
    CHECK(copyup::fallback_message("/proc/sys", "overlay lowerdir=/proc/sys: invalid argument") ==
          "copy-up of /proc/sys with overlayfs failed (overlay lowerdir=/proc/sys: invalid "
          "argument); falling back to tmpfs+symlink for /proc/sys");
}
