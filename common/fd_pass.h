// SPDX-License-Identifier: Apache-2.0
// fd_pass.h — passing file descriptors over Unix sockets (SCM_RIGHTS)
#pragma once

#include "common/error.h"
#include "common/unique_fd.h"

#include <span>

namespace common {

/// Sends `fd` with `payload` (at least one byte is always sent). Retries EINTR.
Result<void> send_fd(int sock, int fd, std::span<const std::byte> payload = {});

/// Receives one fd (MSG_CMSG_CLOEXEC); an optional payload buffer receives the data bytes.
/// EBADMSG when the message carries no fd, ECONNRESET when the peer closed without sending.
Result<UniqueFd> recv_fd(int sock, std::span<std::byte> payload = {},
                         size_t* payload_len = nullptr);

} // namespace common
