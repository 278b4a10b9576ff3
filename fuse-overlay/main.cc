// SPDX-License-Identifier: Apache-2.0
// main.cc — fuse-overlay entry point: parse, then mount and serve (fuse-overlayfs drop-in)
#include "common/log.h"
#include "fuse-overlay/cli.h"
#include "fuse-overlay/session.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

int main(int argc, char** argv) try {
    common::log::set_prefix("fuse-overlayfs: "); // upstream's error() prefix; scripts grep it
    std::vector<std::string> args(argv + 1, argv + argc);
    ovl::OverlayOptions opts = ovl::parse_cli(args, geteuid() == 0);
    for (const std::string& w : opts.warnings)
        std::fprintf(stderr, "%s\n", w.c_str());
    return ovl::run(std::move(opts), argv[0]);
} catch (const ovl::CliError& e) {
    std::fputs(e.preamble().c_str(), stderr);
    common::log::error("%s", e.what());
    return EXIT_FAILURE;
} catch (const std::exception& e) {
    common::log::error("%s", e.what());
    return EXIT_FAILURE;
}
