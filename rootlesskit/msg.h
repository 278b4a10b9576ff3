// SPDX-License-Identifier: Apache-2.0
// msg.h — parent↔child messages: uint32le length + JSON (upstream lowlevelmsgutil framing)
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace rlk::msg {

/// Upstream's limit on one message.
inline constexpr size_t max_size = 65536;

/// The framed bytes for `j` (exposed for tests).
std::string encode(const nlohmann::json& j);
/// Parses one framed message from `buf`; nullopt if incomplete. Throws on a bad length or JSON.
std::optional<nlohmann::json> decode(const std::string& buf, size_t* consumed = nullptr);

/// Writes one message to `fd`. Throws SysError.
void send(int fd, const nlohmann::json& j);
/// Reads one message; nullopt on EOF before the first byte. Throws on errors and short reads.
std::optional<nlohmann::json> recv(int fd);

} // namespace rlk::msg
