// SPDX-License-Identifier: Apache-2.0
// http.h — the HTTP/1.1 subset the API needs: request parsing and Go net/http-shaped replies
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rlk::api {

/// Limits on one request; beyond them the request is answered with 400 and the connection closed.
inline constexpr size_t max_header_bytes = 64 * 1024;
inline constexpr size_t max_body_bytes = 1024 * 1024;

struct Request {
    std::string method;
    std::string target; ///< as sent, e.g. "/v1/info?x=1" or "http://rootlesskit/v1/info"
    std::string path;   ///< target without scheme/host and query
    std::string version;
    std::vector<std::pair<std::string, std::string>> headers; ///< names lower-cased
    std::string body;
    bool keep_alive = true;
};

enum class ParseStatus { incomplete, complete, bad };

/// Parses one request from the front of `buf`; on `complete`, `consumed` is its length.
ParseStatus parse_request(std::string_view buf, Request& out, size_t& consumed);

struct Response {
    int status = 200;
    std::string content_type; ///< empty: no Content-Type header
    std::string body;
    bool nosniff = false;
    bool sniffed = false; ///< Content-Type after Content-Length, as Go writes a sniffed type
    bool close = false;
};

/// The reply bytes, laid out as Go's net/http writes them; `date` is the HTTP-date.
std::string format_response(const Response& r, const std::string& date);
/// Current time as an HTTP-date ("Mon, 23 Nov 2026 15:50:00 GMT").
std::string http_date();
/// "OK", "Not Found", … for the codes we use.
const char* status_text(int status);

/// Go encoding/json compact output: key order kept, <, >, & escaped as \u003c etc.
std::string go_json(const nlohmann::ordered_json& j);

} // namespace rlk::api
