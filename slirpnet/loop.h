// SPDX-License-Identifier: Apache-2.0
// loop.h — the single-threaded epoll loop: tap, timer, exit-fd, API and host sockets
#pragma once

#include "slirpnet/api.h"
#include "slirpnet/stack/stack.h"

#include <sys/types.h>

namespace slirp {

// clang-format off
inline constexpr int    loop_tick_ms    = 100;   ///< timerfd period: expiries and retransmits
inline constexpr size_t loop_max_events = 256;   ///< epoll_wait batch
// clang-format on

/// Runs until the exit fd fires (returns 0) or the tap goes away (returns 0 after a message).
/// `api` may be null. Throws SysError only while setting up.
/// `target_pid` > 0: also exit when that process ends (its namespace is going away).
/// `target_pidfd` >= 0: a pidfd for it opened beforehand (adopted); needed under --enable-seccomp,
/// which denies pidfd_open.
int run_loop(Stack& st, int tapfd, int exit_fd, Api* api, pid_t target_pid = 0,
             int target_pidfd = -1);

} // namespace slirp
