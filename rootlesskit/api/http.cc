// SPDX-License-Identifier: Apache-2.0
// http.cc — one-shot request parsing and the Go-compatible response writer (RFC 9112)
//
// The request grammar and its limits are in request_parser.cc; this file lays replies out as
// Go's net/http writes them and encodes JSON as encoding/json does.

#include "rootlesskit/api/http.h"

#include "rootlesskit/api/request_parser.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace rlk::api {
namespace {

void escape_string(const std::string& s, std::string& out) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xa8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
            out += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

void emit(const nlohmann::ordered_json& j, std::string& out) {
    if (j.is_object()) {
        out += '{';
        bool first = true;
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (!first)
                out += ',';
            first = false;
            escape_string(it.key(), out);
            out += ':';
            emit(it.value(), out);
        }
        out += '}';
    } else if (j.is_array()) {
        out += '[';
        for (size_t i = 0; i < j.size(); ++i) {
            if (i)
                out += ',';
            emit(j[i], out);
        }
        out += ']';
    } else if (j.is_string()) {
        escape_string(j.get<std::string>(), out);
    } else {
        out += j.dump();
    }
}

} // namespace

ParseStatus parse_request(std::string_view buf, Request& out, size_t& consumed) {
    RequestParser p;
    p.append(buf);
    ParseStatus st = p.parse();
    if (st == ParseStatus::complete) {
        out = std::move(p.request());
        consumed = p.consumed();
    }
    return st;
}

const char* status_text(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 500:
        return "Internal Server Error";
    default:
        return "Unknown";
    }
}

std::string http_date() {
    time_t t = time(nullptr);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string format_response(const Response& r, const std::string& date) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status) + "\r\n";
    if (r.close)
        out += "Connection: close\r\n";
    if (!r.content_type.empty() && !r.sniffed)
        out += "Content-Type: " + r.content_type + "\r\n";
    if (r.nosniff)
        out += "X-Content-Type-Options: nosniff\r\n";
    out += "Date: " + date + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (!r.content_type.empty() && r.sniffed)
        out += "Content-Type: " + r.content_type + "\r\n";
    return out + "\r\n" + r.body;
}

std::string go_json(const nlohmann::ordered_json& j) {
    std::string out;
    emit(j, out);
    return out;
}

} // namespace rlk::api
