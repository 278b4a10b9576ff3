// SPDX-License-Identifier: Apache-2.0
// sandbox.h — --enable-sandbox: private mount namespace, pivot_root, no new privs, one capability
#pragma once

#include "slirpnet/cli.h"

#include <cstdint>

namespace slirp::sandbox {

/// The only capability kept (effective, permitted, inheritable and bounding set).
inline constexpr unsigned kept_capability = 10; // CAP_NET_BIND_SERVICE
inline constexpr uint64_t kept_capability_mask = uint64_t{1} << kept_capability;

/// Stage 0 (euid != 0 only): join the target user namespace (--userns-path, else
/// /proc/PID/ns/user; setns failure ignored, as slirp4netns), then setegid(0), seteuid(0).
/// Throws common::SysError with upstream's text ("setegid(0)", "seteuid(0)").
void join_target_userns(const Options& o);

/// Stages 1–4 (see sandbox.cc): new mount namespace with only /etc and /run, read-only, as the
/// root; no new privileges; capabilities dropped to CAP_NET_BIND_SERVICE. Prints upstream's
/// messages on stderr and throws on the first fatal failure. Irreversible.
void create();

} // namespace slirp::sandbox
