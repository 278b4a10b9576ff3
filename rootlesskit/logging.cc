// SPDX-License-Identifier: Apache-2.0
// logging.cc — logrus TextFormatter look-alike, as the common::log formatter of rootlesskit; v2
// prefixes every message with [rootlesskit:<id>]

#include "rootlesskit/logging.h"

#include "common/log.h"
#include "rootlesskit/cli.h"

#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace rlk::log {
namespace {

using common::log::Level;

std::string g_id = "parent";
const time_t g_start = time(nullptr);

std::string rfc3339_now() {
    time_t t = time(nullptr);
    struct tm tm {};
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string s = buf;
    long off = tm.tm_gmtoff;
    if (off == 0)
        return s + "Z";
    char z[64];
    snprintf(z, sizeof z, "%c%02ld:%02ld", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 3600,
             ((off < 0 ? -off : off) % 3600) / 60);
    return s + z;
}

// The common::log formatter: error is the final "[rootlesskit:<id>] error: <msg>" line; the
// other levels are logrus TextFormatter lines (colored, padded and timed from start on a tty).
void format_line(Level lvl, std::string_view raw, std::string& line) {
    std::string msg = "[rootlesskit:" + g_id + "] ";
    if (lvl == Level::error) {
        line = msg + "error: " + std::string(raw) + "\n";
        return;
    }
    msg += raw;
    const char* level = lvl == Level::warn ? "warning" : lvl == Level::info ? "info" : "debug";
    if (isatty(STDERR_FILENO)) {
        const char* tty_level = lvl == Level::warn ? "WARN" : lvl == Level::info ? "INFO" : "DEBU";
        int color = lvl == Level::warn ? 33 : lvl == Level::info ? 36 : 37;
        char head[64];
        snprintf(head, sizeof head, "\x1b[%dm%s\x1b[0m[%04ld] ", color, tty_level,
                 static_cast<long>(time(nullptr) - g_start));
        if (msg.size() < 44)
            msg.resize(44, ' ');
        line = head + msg + " \n";
    } else {
        line = format_plain(rfc3339_now(), level, msg) + "\n";
    }
}

} // namespace

void set_id(const std::string& id) {
    g_id = id;
    common::log::set_formatter(format_line);
}
void set_debug(bool on) {
    common::log::set_level(on ? Level::debug : Level::info);
}
bool debug_enabled() {
    return common::log::enabled(Level::debug);
}

std::string format_plain(const std::string& time, const char* level, const std::string& msg) {
    return "time=\"" + time + "\" level=" + level + " msg=" + go_quote(msg);
}

void debug(const std::string& msg) {
    common::log::write(Level::debug, msg);
}
void info(const std::string& msg) {
    common::log::write(Level::info, msg);
}
void warn(const std::string& msg) {
    common::log::write(Level::warn, msg);
}

void error_line(const std::string& msg) {
    common::log::write(Level::error, msg);
}

} // namespace rlk::log
