// SPDX-License-Identifier: Apache-2.0
// cgroup_test.cc — mountinfo and /proc/self/cgroup parsing for evacuation and propagation
#include "rootlesskit/cgroup.h"

#include <catch2/catch.hpp>

using namespace rlk;

namespace {
const char* const mountinfo =
    "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 26 0:25 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:26 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
} // namespace

TEST_CASE("the cgroup2 mount is found in mountinfo", "[rootlesskit][cgroup]") {
    CHECK(find_cgroup2_mount(mountinfo) == std::optional<std::string>("/sys/fs/cgroup/unified"));
    CHECK_FALSE(find_cgroup2_mount("26 1 254:0 / / rw - ext4 /dev/vda rw\n"));
}

TEST_CASE("the cgroup2 group is the 0:: line", "[rootlesskit][cgroup]") {
    CHECK(find_cgroup2_group("1:cpu:/\n0::/user.slice/x\n") ==
          std::optional<std::string>("/user.slice/x"));
    CHECK_FALSE(find_cgroup2_group("1:cpu:/\n"));
}

TEST_CASE("root propagation is read from the optional fields of /", "[rootlesskit][cgroup]") {
    CHECK(root_propagation(mountinfo).empty());
    CHECK(root_propagation("26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n") ==
          "shared:1");
    CHECK(root_propagation("26 1 254:0 / / rw shared:1 master:2 - ext4 /dev/vda rw\n") ==
          "shared:1 master:2");
}
