// SPDX-License-Identifier: Apache-2.0
// run.h — start-up after parsing: get the tap fd, print the banner, run the loop
#pragma once

#include "slirpnet/cli.h"

namespace slirp {

/// Runs slirpnet as slirp4netns would with these options; returns the exit code.
/// Throws SysError/UsageError on start-up failure (main prints them).
int run(const Options& opts, const char* argv0);

} // namespace slirp
