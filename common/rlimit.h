// SPDX-License-Identifier: Apache-2.0
// rlimit.h — raising the soft fd limit, as Go programs (RootlessKit) do at start
#pragma once

#include <cstddef>

namespace common {

/// Raises RLIMIT_NOFILE's soft limit to the hard one. Returns the soft limit now in force, or
/// `cap` when that is larger (an unlimited hard limit); 1024 when the limit cannot be read.
size_t raise_nofile(size_t cap) noexcept;

} // namespace common
