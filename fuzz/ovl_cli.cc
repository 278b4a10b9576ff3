// SPDX-License-Identifier: Apache-2.0
// ovl_cli.cc — fuse-overlay's command line: argv (with `-o` groups, lowerdir lists, id maps,
// squash and xattr options) as fuse-overlayfs parses it, as root and as a user.
//
// Entry points: ovl::parse_cli, ovl::split_option_group, ovl::split_lowerdirs.
//
// Input: first byte bit 0 = euid root; the rest is argv[1..], arguments separated by NUL bytes.
#include "fuse-overlay/cli.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::vector<std::string> args;
    std::string cur;
    for (size_t i = 1; i < size; ++i) {
        if (data[i] == 0) {
            args.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(static_cast<char>(data[i]));
        }
    }
    args.push_back(cur);
    for (const std::string& a : args) { // the splitters on their own, on every argument
        for (const std::string& o : ovl::split_option_group(a))
            (void)ovl::split_lowerdirs(o);
    }
    try {
        ovl::OverlayOptions o = ovl::parse_cli(args, (data[0] & 1) != 0);
        (void)o;
    } catch (const ovl::CliError&) {
    } catch (const std::exception&) {
    }
    return 0;
}
