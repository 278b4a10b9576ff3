// SPDX-License-Identifier: Apache-2.0
// log.cc — leveled logging to stderr, one write(2) per line so lines from processes don't
// interleave
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

// printf-checked through the callers' format attributes; this marks fmt as the format too.
[[gnu::format(printf, 2, 0)]] void vlog(Level lvl, const char* fmt, va_list ap) {
    if (!enabled(lvl))
        return;
    int saved = errno;
    char buf[4096];
    int n = std::snprintf(buf, sizeof buf, "%s", prefix_);
    if (n < 0)
        n = 0;
    size_t len = static_cast<size_t>(n);
    int m = std::vsnprintf(buf + len, sizeof buf - len, fmt, ap);
    if (m > 0)
        len += static_cast<size_t>(m);
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    size_t off = 0;
    while (off < len) {
        ssize_t w = ::write(STDERR_FILENO, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += static_cast<size_t>(w);
    }
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

} // namespace common::log
