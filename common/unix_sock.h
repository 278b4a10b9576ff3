// SPDX-License-Identifier: Apache-2.0
// unix_sock.h — Unix stream sockets by path: listen (replacing a stale socket file) and dial
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <string>

namespace common::unix_sock {

/// Longest path a sockaddr_un holds (107 bytes, one for the terminating NUL).
constexpr size_t max_path = 107;

/// Removes a stale `path`, then socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_type_flags),
/// bind and listen(backlog). extra_type_flags is 0 or SOCK_NONBLOCK. Throws SysError (ENAMETOOLONG
/// for a path longer than max_path, naming the path).
UniqueFd listen(const std::string& path, int backlog, int extra_type_flags = 0);

/// A blocking, O_CLOEXEC connection to `path`; connect is retried on EINTR.
Result<UniqueFd> dial(const std::string& path);

} // namespace common::unix_sock
