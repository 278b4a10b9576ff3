// SPDX-License-Identifier: Apache-2.0
// request_parser.cc — incremental HTTP/1.1 request parsing (RFC 9112 §2-§7)
//
// Theory of operation. The API is served to local clients (rootlessctl, dockerd, nerdctl) over
// a Unix socket, so we accept the shapes Go's net/http client sends: a request line, headers,
// and a body framed by Content-Length or chunked. Absolute targets and keep-alive are handled;
// anything else malformed is `bad`, which the server answers with 400 and a close.
// The parser is a state machine over a buffer the server appends to: the search for the end of
// the head resumes where the last one stopped, a Content-Length body is taken once it is all
// there, and chunked framing is decoded as it arrives and dropped from the buffer. So a client
// that sends one byte at a time costs linear work, not a re-parse of everything per read.
// Limits: the head is at most max_header_bytes, a body max_body_bytes (decoded), a chunk-size
// line max_chunk_line_bytes; trailers are not supported (a non-empty trailer is bad).

#include "rootlesskit/api/request_parser.h"

#include <cctype>

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

bool parse_request_line(std::string_view line, Request& r) {
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return false;
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    r.version = line.substr(sp2 + 1);
    if (!is_token(r.method) || r.target.empty() ||
        (r.version != "HTTP/1.1" && r.version != "HTTP/1.0"))
        return false;
    r.keep_alive = r.version == "HTTP/1.1";
    std::string path = r.target;
    if (path.rfind("http://", 0) == 0) {
        size_t slash = path.find('/', 7);
        path = slash == std::string::npos ? "/" : path.substr(slash);
    }
    if (path[0] != '/')
        return false;
    r.path = path.substr(0, path.find('?'));
    return true;
}

// One header line into `r`; false when malformed.
bool parse_header(std::string_view h, Request& r, long long& content_length, bool& chunked) {
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon)))
        return false;
    std::string name = lower(std::string(h.substr(0, colon)));
    std::string value = trim(h.substr(colon + 1));
    if (name == "content-length") {
        if (value.empty() || value.size() > 10 ||
            value.find_first_not_of("0123456789") != std::string::npos)
            return false;
        long long v = std::stoll(value);
        if ((content_length >= 0 && v != content_length) ||
            v > static_cast<long long>(max_body_bytes))
            return false;
        content_length = v;
    } else if (name == "transfer-encoding") {
        if (lower(value) != "chunked")
            return false;
        chunked = true;
    } else if (name == "connection") {
        std::string v = lower(value);
        if (v == "close")
            r.keep_alive = false;
        else if (v == "keep-alive")
            r.keep_alive = true;
    }
    r.headers.emplace_back(std::move(name), std::move(value));
    return true;
}

} // namespace

bool parse_head(std::string_view head, Request& r, long long& content_length, bool& chunked) {
    content_length = -1;
    chunked = false;
    size_t eol = head.find("\r\n");
    if (!parse_request_line(head.substr(0, eol), r))
        return false;
    size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string_view::npos)
            e = head.size();
        if (!parse_header(head.substr(pos, e - pos), r, content_length, chunked))
            return false;
        pos = e + 2;
    }
    return !(chunked && content_length >= 0);
}

char* RequestParser::prepare(size_t n) {
    filled_ = buf_.size();
    buf_.resize(filled_ + n);
    return buf_.data() + filled_;
}

ParseStatus RequestParser::fail() noexcept {
    st_ = State::bad;
    return ParseStatus::bad;
}

// Finds `term` from pos_, resuming where the last search stopped (less the length of `term`
// but one: it may straddle two reads). npos when it is not there yet.
size_t RequestParser::find_resumed(std::string_view term) {
    size_t back = term.size() - 1;
    size_t from = scan_ > pos_ + back ? scan_ - back : pos_;
    size_t end = buf_.find(term, from);
    examined_ += (end == std::string::npos ? buf_.size() : end + term.size()) - from;
    if (end == std::string::npos)
        scan_ = buf_.size();
    return end;
}

ParseStatus RequestParser::parse_head() {
    size_t end = find_resumed("\r\n\r\n");
    if (end == std::string::npos)
        return buffered() > max_header_bytes ? fail() : ParseStatus::incomplete;
    if (end - pos_ > max_header_bytes)
        return fail();
    long long content_length = -1;
    bool chunked = false;
    req_ = Request{};
    if (!api::parse_head(std::string_view(buf_).substr(pos_, end - pos_), req_, content_length,
                         chunked))
        return fail();
    examined_ += end - pos_;
    consumed_ += end + 4 - pos_;
    pos_ = end + 4;
    scan_ = pos_;
    if (chunked) {
        st_ = State::chunk_size;
    } else {
        remaining_ = content_length < 0 ? 0 : static_cast<size_t>(content_length);
        st_ = State::body;
    }
    return ParseStatus::incomplete;
}

ParseStatus RequestParser::parse_chunk_size() {
    size_t eol = find_resumed("\r\n");
    if (eol == std::string::npos)
        return buffered() > max_chunk_line_bytes ? fail() : ParseStatus::incomplete;
    if (eol + 2 - pos_ > max_chunk_line_bytes)
        return fail();
    std::string_view line = std::string_view(buf_).substr(pos_, eol - pos_);
    line = line.substr(0, line.find(';'));
    if (line.empty() || line.size() > 8)
        return fail();
    size_t n = 0;
    for (char c : line) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return fail();
        n = n * 16 + static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                             ? c - '0'
                                             : (std::tolower(c) - 'a' + 10));
    }
    consumed_ += eol + 2 - pos_;
    pos_ = eol + 2;
    scan_ = pos_;
    if (n == 0) {
        st_ = State::last_crlf;
        return ParseStatus::incomplete;
    }
    if (req_.body.size() + n > max_body_bytes)
        return fail();
    remaining_ = n;
    st_ = State::chunk_data;
    return ParseStatus::incomplete;
}

ParseStatus RequestParser::parse() {
    for (;;) {
        size_t avail = buf_.size() - pos_;
        switch (st_) {
        case State::bad:
            return ParseStatus::bad;
        case State::done:
            return ParseStatus::complete;
        case State::head:
            if (parse_head() == ParseStatus::bad)
                return ParseStatus::bad;
            if (st_ == State::head)
                return ParseStatus::incomplete;
            break;
        case State::body:
            if (avail < remaining_)
                return ParseStatus::incomplete;
            req_.body.assign(buf_, pos_, remaining_);
            examined_ += remaining_;
            consumed_ += remaining_;
            pos_ += remaining_;
            st_ = State::done;
            break;
        case State::chunk_size:
            if (parse_chunk_size() == ParseStatus::bad)
                return ParseStatus::bad;
            if (st_ == State::chunk_size)
                return ParseStatus::incomplete;
            break;
        case State::chunk_data: {
            size_t take = std::min(avail, remaining_);
            req_.body.append(buf_, pos_, take);
            examined_ += take;
            consumed_ += take;
            pos_ += take;
            remaining_ -= take;
            if (remaining_ > 0) {
                compact();
                return ParseStatus::incomplete;
            }
            st_ = State::chunk_crlf;
            break;
        }
        case State::chunk_crlf:
        case State::last_crlf:
            if (avail < 2)
                return avail == 1 && buf_[pos_] != '\r' ? fail() : ParseStatus::incomplete;
            examined_ += 2;
            if (buf_.compare(pos_, 2, "\r\n") != 0)
                return fail(); // chunk data longer than its size, or a trailer
            consumed_ += 2;
            pos_ += 2;
            scan_ = pos_;
            st_ = st_ == State::chunk_crlf ? State::chunk_size : State::done;
            break;
        }
    }
}

// Drops the bytes already decoded (the head is parsed into req_ by now).
void RequestParser::compact() {
    if (pos_ < 65536)
        return;
    buf_.erase(0, pos_);
    scan_ = scan_ > pos_ ? scan_ - pos_ : 0;
    pos_ = 0;
}

void RequestParser::next() {
    buf_.erase(0, pos_);
    pos_ = 0;
    scan_ = 0;
    consumed_ = 0;
    remaining_ = 0;
    req_ = Request{};
    st_ = State::head;
}

} // namespace rlk::api
