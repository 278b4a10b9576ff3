// SPDX-License-Identifier: Apache-2.0
// error.cc — formatting helpers behind SysError, UsageError and bug()
#include "common/error.h"

#include "common/log.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace common {

namespace {

// printf-checked through the callers' format attributes; this marks fmt as the format too.
[[gnu::format(printf, 1, 0)]] std::string vformat(const char* fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = std::vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0)
        return fmt;
    if (static_cast<size_t>(n) < sizeof small)
        return std::string(small, static_cast<size_t>(n));
    std::string out(static_cast<size_t>(n), '\0');
    std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
    return out;
}

} // namespace

std::string strprintf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

void throw_errno(const char* fmt, ...) {
    int err = errno;
    va_list ap;
    va_start(ap, fmt);
    std::string s = vformat(fmt, ap);
    va_end(ap);
    throw SysError(err, s);
}

void throw_error(int err, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string s = vformat(fmt, ap);
    va_end(ap);
    throw SysError(err, s);
}

void bug(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string s = vformat(fmt, ap);
    va_end(ap);
    log::error("INTERNAL ERROR: %s", s.c_str());
    std::abort();
}

} // namespace common
