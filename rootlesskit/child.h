// SPDX-License-Identifier: Apache-2.0
// child.h — the in-namespace half of rootlesskit (upstream pkg/child)
#pragma once

#include "rootlesskit/options.h"

namespace rlk {

/// Runs inside the new namespaces: waits for the parent, sets up mounts and the network, runs
/// the command and returns its exit code (255 when killed by a signal). Throws on setup errors.
int run_child(const Options& o);

} // namespace rlk
