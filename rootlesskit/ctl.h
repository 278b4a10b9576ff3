// SPDX-License-Identifier: Apache-2.0
// ctl.h — rootlessctl: a thin client of the REST API (info; the port commands reach the server)
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rlk::ctl {

/// The whole program; returns its exit code. Never throws.
int main(int argc, char** argv);

/// The text `rootlessctl info` prints for an /v1/info body (kept key order).
std::string format_info(const nlohmann::ordered_json& info);

/// `rootlessctl list-ports` table for a GET /v1/ports body (array or null).
std::string format_ports(const nlohmann::ordered_json& all);

/// Go json.MarshalIndent(v, "", "    ") of a JSON value, plus newline.
std::string indent_json(const nlohmann::ordered_json& j);

struct HttpReply {
    int status = 0;
    std::string status_text; ///< "Bad Request"
    std::string body;
};
/// Parses a complete HTTP/1.1 response (Content-Length or read-until-close). Throws on garbage.
HttpReply parse_reply(const std::string& raw);

/// One request on the API socket `sock` (Connection: close). Throws with Go's dial wording.
HttpReply api_call(const std::string& sock, const std::string& method, const std::string& path,
                   const std::string& body = "");

/// The client error for a non-2xx reply: the server's {"message"} or the raw body.
std::string reply_error(const HttpReply& r);

} // namespace rlk::ctl
