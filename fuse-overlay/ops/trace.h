// SPDX-License-Identifier: Apache-2.0
// trace.h — fuse-overlayfs' per-op debug lines ("ovl_lookup(parent=1, name=a)") on stderr
#pragma once

#include <fuse_lowlevel.h>

namespace ovl {

/// Replaces each registered op that upstream traces with a wrapper that prints upstream's line
/// to stderr and then calls the op. Ops left unset stay unset; call it only when debug is on,
/// so that without debug the table holds the bare ops and tracing costs nothing.
void use_traced_ops(fuse_lowlevel_ops& ops) noexcept;

} // namespace ovl
