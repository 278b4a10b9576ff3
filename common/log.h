// SPDX-License-Identifier: Apache-2.0
// log.h — the one logger of the three tools: leveled lines on stderr, one write(2) each; a tool
// whose original has its own line format (rootlesskit's logrus lines) installs a formatter
#pragma once

#include <string>
#include <string_view>

namespace common::log {

enum class Level { error = 0, warn, info, debug, trace };

/// Sets the prefix ("fuse-overlayfs: "); empty means no prefix. Not thread-safe: call once at
/// start. Ignored while a formatter is installed.
void set_prefix(const char* prefix);
/// Messages above `level` are dropped. Default: info.
void set_level(Level level);
Level level();
bool enabled(Level level);

/// Turns one message (no trailing newline) into the whole line(s) written to stderr, newline
/// included, by appending to `line` (empty on entry).
using Formatter = void (*)(Level level, std::string_view msg, std::string& line);
/// Installs `fmt` (nullptr: prefix + message + "\n", the default). Not thread-safe: call at start.
void set_formatter(Formatter fmt);

[[gnu::format(printf, 1, 2)]] void error(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void warn(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void info(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void debug(const char* fmt, ...);
[[gnu::format(printf, 1, 2)]] void trace(const char* fmt, ...);

/// Logs an already formatted message at `level` (no printf expansion of `msg`).
void write(Level level, std::string_view msg);

/// Writes `bytes` to stderr exactly as given (no prefix, formatter or newline), in one write(2),
/// at any level: for the few messages whose original prints them without a newline.
void write_raw(std::string_view bytes);

} // namespace common::log
