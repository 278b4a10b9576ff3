// SPDX-License-Identifier: Apache-2.0
// main.cc — slirpnet entry point: parse argv, run, map errors to slirp4netns' output and exit codes
#include "common/error.h"
#include "common/log.h"
#include "slirpnet/cli.h"
#include "slirpnet/run.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    const char* argv0 = argc > 0 ? argv[0] : "slirp4netns";
    try {
        return slirp::run(slirp::parse_cli(argc, argv), argv0);
    } catch (const slirp::RawUsageError& e) {
        common::log::write_raw(e.what()); // upstream's message has no newline
        return EXIT_FAILURE;
    } catch (const common::UsageError& e) {
        if (*e.what() != '\0')
            common::log::error("%s", e.what());
        if (e.show_usage()) // slirp4netns prints its usage on stdout after the message
            std::fputs(slirp::usage_text(argv0).c_str(), stdout);
        return EXIT_FAILURE;
    } catch (const std::exception& e) {
        common::log::error("%s", e.what());
        return EXIT_FAILURE;
    }
}
