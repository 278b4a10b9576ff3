// SPDX-License-Identifier: Apache-2.0
// request_parser.h — incremental HTTP/1.1 request parser: bytes in as they arrive, requests out
#pragma once

#include "rootlesskit/api/http.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace rlk::api {

/// Longest chunk-size line (size, extensions and CRLF) a chunked body may carry.
inline constexpr size_t max_chunk_line_bytes = 4096;

/// Parses a stream of pipelined requests. Every byte is examined a bounded number of times,
/// however the stream is split into reads; chunked bodies are decoded once, as they arrive.
class RequestParser {
public:
    /// Appends bytes read from the peer.
    void append(std::string_view data) { buf_.append(data); }
    /// Where recv() may write `n` bytes; call commit() with what it wrote.
    char* prepare(size_t n);
    void commit(size_t n) noexcept { buf_.resize(filled_ + n); }
    /// Advances over the buffered bytes: incomplete, complete (request() is ready) or bad
    /// (the stream is unusable from here on).
    ParseStatus parse();
    /// The request after parse() said complete.
    Request& request() noexcept { return req_; }
    /// Bytes of the completed request, head and framed body.
    size_t consumed() const noexcept { return consumed_; }
    /// After a complete request: drops it and starts on the next one (pipelining).
    void next();
    /// Bytes examined so far, counted for tests of linear work.
    size_t examined() const noexcept { return examined_; }
    /// Bytes held that belong to no completed request.
    size_t buffered() const noexcept { return buf_.size() - pos_; }

private:
    enum class State { head, body, chunk_size, chunk_data, chunk_crlf, last_crlf, done, bad };
    ParseStatus fail() noexcept;
    size_t find_resumed(std::string_view term);
    ParseStatus parse_head();
    ParseStatus parse_chunk_size();
    void compact();

    std::string buf_;
    size_t filled_ = 0;    ///< size of buf_ before prepare()
    size_t pos_ = 0;       ///< first byte not yet parsed
    size_t scan_ = 0;      ///< where the search for the end of the head or a line resumes
    size_t remaining_ = 0; ///< body bytes (Content-Length) or chunk bytes still expected
    size_t consumed_ = 0;  ///< bytes of the current request parsed so far
    size_t examined_ = 0;
    State st_ = State::head;
    Request req_;
};

/// Parses one request's head (request line and headers, without the blank line). Sets
/// `content_length` (-1 when absent) and `chunked`. False when malformed.
bool parse_head(std::string_view head, Request& r, long long& content_length, bool& chunked);

} // namespace rlk::api
