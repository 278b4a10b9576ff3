// SPDX-License-Identifier: Apache-2.0
// main.cc — fuse-overlay entry point: parse, then mount and serve (fuse-overlayfs drop-in)
#include "common/log.h"
#include "fuse-overlay/cli.h"
#include "fuse-overlay/session.h"

#include <cstdlib>
#include <unistd.h>

int main(int argc, char** argv) try {
    common::log::set_prefix("fuse-overlayfs: "); // upstream's error() prefix; scripts grep it
    std::vector<std::string> args(argv + 1, argv + argc);
    ovl::OverlayOptions opts = ovl::parse_cli(args, geteuid() == 0);
    for (const std::string& w : opts.warnings)
        common::log::write_raw(w + "\n"); // unprefixed, as upstream
    return ovl::run(std::move(opts), argv[0]);
} catch (const ovl::CliError& e) {
    common::log::write_raw(e.preamble());
    common::log::error("%s", e.what());
    return EXIT_FAILURE;
} catch (const std::exception& e) {
    common::log::error("%s", e.what());
    return EXIT_FAILURE;
}
