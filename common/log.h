// SPDX-License-Identifier: Apache-2.0
// log.h — leveled logging to stderr with the program-name prefix each tool's original uses
#pragma once

namespace common::log {

enum class Level { error = 0, warn, info, debug, trace };

/// Sets the prefix ("slirp4netns: "); empty means no prefix. Not thread-safe: call once at start.
void set_prefix(const char* prefix);
/// Messages above `level` are dropped. Default: info.
void set_level(Level level);
Level level();
bool enabled(Level level);

[[gnu::format(printf, 1, 2)]] void error(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void warn(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void info(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void debug(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void trace(const char* fmt, ...);

} // namespace common::log
