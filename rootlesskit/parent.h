// SPDX-License-Identifier: Apache-2.0
// parent.h — the host-side half of rootlesskit (upstream pkg/parent)
#pragma once

#include "rootlesskit/options.h"

namespace rlk {

/// Validates, creates the state directory, starts the child in new namespaces, maps ids,
/// starts the network driver and the API, forwards signals and returns the exit code.
/// Throws (ExitError for "child exited: …") on failure.
int run_parent(const Options& o);

} // namespace rlk
