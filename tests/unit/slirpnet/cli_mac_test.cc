// SPDX-License-Identifier: Apache-2.0
// cli_mac_test.cc — --macaddress parsed exactly as slirp4netns 1.2.0 parses it
#include "slirpnet/cli.h"

#include <catch2/catch.hpp>

using namespace slirp;

TEST_CASE("macaddress fields are read as sscanf(\"%x\") reads them", "[slirpnet][cli]") {
    // slirp4netns 1.2.0 accepts these (observed); fewer than 6 fields leave the rest zero.
    CHECK(parse_macaddress("0g:11:22:33:44:55") == common::Mac{0, 0x11, 0x22, 0x33, 0x44, 0x55});
    CHECK(parse_macaddress("00:11:22:33:44") == common::Mac{0, 0x11, 0x22, 0x33, 0x44, 0});
    CHECK(parse_macaddress("000:1:2:3:4:5x") == common::Mac{0, 1, 2, 3, 4, 5});
    CHECK(parse_macaddress(" +1:0x2:a:b:c:d") == common::Mac{1, 2, 0xa, 0xb, 0xc, 0xd});
    for (const char* bad : {"", ":::::", "-1:2:3:4:5:6", "100:1:2:3:4:5", "zz:bb"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_macaddress(bad), RawUsageError);
    }
    CHECK_THROWS_WITH(parse_macaddress("1:2:3:4:5:6:"),
                      "\"1:2:3:4:5:6:\" is an invalid MAC address.  Is it too long?\n"
                      "macaddress has to be a valid MAC address (hex string, 6 bytes, each byte "
                      "separated by a ':').");
}
