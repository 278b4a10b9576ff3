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
/// bind and listen(backlog). extra_type_flags is 0 or SOCK_NONBLOCK. Throws SysError whose message
/// is "<what>: <step>" (step: socket, bind or listen), as the originals print it: slirp4netns
/// "api_socket: bind", Go "listen unix PATH: bind". A path longer than max_path is ENAMETOOLONG.
UniqueFd listen(const std::string& path, int backlog, int extra_type_flags,
                const std::string& what);

/// A blocking, O_CLOEXEC connection to `path`; connect is retried on EINTR.
Result<UniqueFd> dial(const std::string& path);

} // namespace common::unix_sock
