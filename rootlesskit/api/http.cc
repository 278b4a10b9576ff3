// SPDX-License-Identifier: Apache-2.0
// http.cc — minimal HTTP/1.1 request parser and Go-compatible response writer (RFC 9112)
//
// Theory of operation. The API is served to local clients (rootlessctl, dockerd, nerdctl) over
// a Unix socket, so we accept the shapes Go's net/http client sends: a request line, headers,
// and a body framed by Content-Length. Chunked bodies, absolute targets and keep-alive are
// handled; anything else malformed is `bad`, which the server answers with 400 and a close.

#include "rootlesskit/api/http.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace rlk::api {
namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t");
    return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

bool is_token(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c <= ' ' || c >= 0x7f ||
            std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos)
            return false;
    return true;
}

// Decodes a chunked body at the front of `s`; returns consumed length, 0 if incomplete, npos if
// bad.
size_t parse_chunked(std::string_view s, std::string& body) {
    size_t pos = 0;
    for (;;) {
        size_t eol = s.find("\r\n", pos);
        if (eol == std::string_view::npos)
            return 0;
        std::string_view line = s.substr(pos, eol - pos);
        line = line.substr(0, line.find(';'));
        if (line.empty() || line.size() > 8)
            return std::string_view::npos;
        size_t n = 0;
        for (char c : line) {
            if (!std::isxdigit(static_cast<unsigned char>(c)))
                return std::string_view::npos;
            n = n * 16 + static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                                 ? c - '0'
                                                 : (std::tolower(c) - 'a' + 10));
        }
        pos = eol + 2;
        if (n == 0) {
            size_t end = s.find("\r\n", pos); // no trailers supported beyond an empty line
            if (end == std::string_view::npos)
                return 0;
            return end == pos ? pos + 2 : std::string_view::npos;
        }
        if (body.size() + n > max_body_bytes)
            return std::string_view::npos;
        if (s.size() < pos + n + 2)
            return 0;
        body.append(s.substr(pos, n));
        if (s.substr(pos + n, 2) != "\r\n")
            return std::string_view::npos;
        pos += n + 2;
    }
}

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
    size_t hdr_end = buf.find("\r\n\r\n");
    if (hdr_end == std::string_view::npos)
        return buf.size() > max_header_bytes ? ParseStatus::bad : ParseStatus::incomplete;
    if (hdr_end > max_header_bytes)
        return ParseStatus::bad;
    Request r;
    std::string_view head = buf.substr(0, hdr_end);
    size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return ParseStatus::bad;
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    r.version = line.substr(sp2 + 1);
    if (!is_token(r.method) || r.target.empty() ||
        (r.version != "HTTP/1.1" && r.version != "HTTP/1.0"))
        return ParseStatus::bad;
    r.keep_alive = r.version == "HTTP/1.1";
    std::string path = r.target;
    if (path.rfind("http://", 0) == 0) {
        size_t slash = path.find('/', 7);
        path = slash == std::string::npos ? "/" : path.substr(slash);
    }
    if (path[0] != '/')
        return ParseStatus::bad;
    r.path = path.substr(0, path.find('?'));
    size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    long long content_length = -1;
    bool chunked = false;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string_view::npos)
            e = head.size();
        std::string_view h = head.substr(pos, e - pos);
        pos = e + 2;
        size_t colon = h.find(':');
        if (colon == std::string_view::npos || !is_token(h.substr(0, colon)))
            return ParseStatus::bad;
        std::string name = lower(std::string(h.substr(0, colon)));
        std::string value = trim(h.substr(colon + 1));
        if (name == "content-length") {
            if (value.empty() || value.size() > 10 ||
                value.find_first_not_of("0123456789") != std::string::npos)
                return ParseStatus::bad;
            long long v = std::stoll(value);
            if ((content_length >= 0 && v != content_length) ||
                v > static_cast<long long>(max_body_bytes))
                return ParseStatus::bad;
            content_length = v;
        } else if (name == "transfer-encoding") {
            if (lower(value) != "chunked")
                return ParseStatus::bad;
            chunked = true;
        } else if (name == "connection") {
            std::string v = lower(value);
            if (v == "close")
                r.keep_alive = false;
            else if (v == "keep-alive")
                r.keep_alive = true;
        }
        r.headers.emplace_back(name, value);
    }
    size_t body_start = hdr_end + 4;
    if (chunked) {
        if (content_length >= 0)
            return ParseStatus::bad;
        size_t n = parse_chunked(buf.substr(body_start), r.body);
        if (n == std::string_view::npos)
            return ParseStatus::bad;
        if (n == 0)
            return ParseStatus::incomplete;
        consumed = body_start + n;
    } else {
        size_t len = content_length < 0 ? 0 : static_cast<size_t>(content_length);
        if (buf.size() < body_start + len)
            return ParseStatus::incomplete;
        r.body = buf.substr(body_start, len);
        consumed = body_start + len;
    }
    out = std::move(r);
    return ParseStatus::complete;
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
