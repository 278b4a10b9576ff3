// SPDX-License-Identifier: Apache-2.0
// session.h — mounting, daemonizing and serving one overlay
#pragma once

#include "fuse-overlay/options.h"
#include "fuse-overlay/overlay.h"

#include <memory>

namespace ovl {

/// Resolves and opens the layers, prepares the workdir and reads the overflow ids. Throws
/// CliError/SysError with upstream's wording ("cannot retrieve path for …").
std::unique_ptr<Overlay> open_overlay(OverlayOptions opts);

/// Does what the options ask: prints help or version, or mounts, detaches and serves until
/// unmounted. Returns the exit code; throws on a failure before the mount is live.
int run(OverlayOptions opts, const char* argv0);

} // namespace ovl
