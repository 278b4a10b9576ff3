// SPDX-License-Identifier: Apache-2.0
// log.cc — leveled logging to stderr, one write(2) per message so lines from processes don't
// interleave. Without a formatter a message of up to 4 KiB is built on the stack (no heap).
#include "common/log.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace common::log {

namespace {

const char* prefix_ = "";
Level level_ = Level::info;
Formatter formatter_ = nullptr;

void write_all(const char* p, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t w = ::write(STDERR_FILENO, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += static_cast<size_t>(w);
    }
}

// The message reaches the formatter, or prefix + message + "\n".
void emit(Level lvl, std::string_view msg) {
    if (formatter_ != nullptr) {
        std::string line;
        formatter_(lvl, msg, line);
        write_all(line.data(), line.size());
        return;
    }
    char buf[4096];
    size_t plen = std::strlen(prefix_);
    if (plen + msg.size() + 1 <= sizeof buf) {
        std::memcpy(buf, prefix_, plen);
        std::memcpy(buf + plen, msg.data(), msg.size());
        buf[plen + msg.size()] = '\n';
        write_all(buf, plen + msg.size() + 1);
        return;
    }
    std::string line; // a long message (an API request logged whole): rare, so the heap is fine
    line.reserve(plen + msg.size() + 1);
    line.append(prefix_, plen).append(msg).push_back('\n');
    write_all(line.data(), line.size());
}

// printf-checked through the callers' format attributes; this marks fmt as the format too.
[[gnu::format(printf, 2, 0)]] void vlog(Level lvl, const char* fmt, va_list ap) {
    if (!enabled(lvl))
        return;
    int saved = errno;
    char buf[4096];
    va_list again;
    va_copy(again, ap);
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    if (n >= 0 && static_cast<size_t>(n) < sizeof buf) {
        emit(lvl, std::string_view(buf, static_cast<size_t>(n)));
    } else if (n > 0) {
        std::string big(static_cast<size_t>(n) + 1, '\0');
        (void)std::vsnprintf(big.data(), big.size(), fmt, again);
        big.pop_back();
        emit(lvl, big);
    }
    va_end(again);
    errno = saved;
}

} // namespace

void set_prefix(const char* prefix) {
    prefix_ = prefix ? prefix : "";
}
void set_level(Level lvl) {
    level_ = lvl;
}
Level level() {
    return level_;
}
bool enabled(Level lvl) {
    return static_cast<int>(lvl) <= static_cast<int>(level_);
}
void set_formatter(Formatter fmt) {
    formatter_ = fmt;
}

#define DEFINE_LOG_FN(name)                                                                        \
    void name(const char* fmt, ...) {                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(Level::name, fmt, ap);                                                                \
        va_end(ap);                                                                                \
    }
DEFINE_LOG_FN(error)
DEFINE_LOG_FN(warn)
DEFINE_LOG_FN(info)
DEFINE_LOG_FN(debug)
DEFINE_LOG_FN(trace)
#undef DEFINE_LOG_FN

void write(Level lvl, std::string_view msg) {
    if (!enabled(lvl))
        return;
    int saved = errno;
    emit(lvl, msg);
    errno = saved;
}

void write_raw(std::string_view bytes) {
    int saved = errno;
    write_all(bytes.data(), bytes.size());
    errno = saved;
}

} // namespace common::log
