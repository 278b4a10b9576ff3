// SPDX-License-Identifier: Apache-2.0
// unix_io.h — blocking stream I/O on Unix sockets and pipes: dial, write all, read to EOF
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <string>
#include <string_view>

namespace rlk {

/// Writes all of `data`, retrying EINTR; on a socket without raising SIGPIPE.
common::Result<void> write_all(int fd, std::string_view data);

/// Reads until end of file or an error (EINTR retried) and returns what arrived.
std::string read_to_eof(int fd);

} // namespace rlk
