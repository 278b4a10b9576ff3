// SPDX-License-Identifier: Apache-2.0
// logging.h — logrus-compatible log lines ("time=… level=warning msg=…") and the final error line
#pragma once

#include <string>

namespace rlk::log {

/// "parent", "child " (padded, as upstream) or "activation_helper"; set once at start. Installs
/// the logrus formatter into common::log (every common::log line of this process then has it).
void set_id(const std::string& id);
void set_debug(bool on);
bool debug_enabled();

void debug(const std::string& msg);
void info(const std::string& msg);
void warn(const std::string& msg);

/// "[rootlesskit:<id>] error: <msg>\n" on stderr: the last line before a failing exit.
void error_line(const std::string& msg);

/// The logrus TextFormatter line for a non-terminal (exposed for tests); `time` is RFC 3339.
std::string format_plain(const std::string& time, const char* level, const std::string& msg);

} // namespace rlk::log
