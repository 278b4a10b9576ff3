// SPDX-License-Identifier: Apache-2.0
// logging.cc — logrus TextFormatter look-alike; v2 prefixes every message with [rootlesskit:<id>]

#include "rootlesskit/logging.h"

#include "rootlesskit/cli.h"

#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace rlk::log {
namespace {

std::string g_id = "parent";
bool g_debug = false;
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

void emit(const char* level, const char* tty_level, int color, const std::string& raw) {
    std::string msg = "[rootlesskit:" + g_id + "] " + raw;
    std::string line;
    if (isatty(STDERR_FILENO)) {
        char head[64];
        snprintf(head, sizeof head, "\x1b[%dm%s\x1b[0m[%04ld] ", color, tty_level,
                 static_cast<long>(time(nullptr) - g_start));
        std::string body = msg;
        if (body.size() < 44)
            body.resize(44, ' ');
        line = head + body + " \n";
    } else {
        line = format_plain(rfc3339_now(), level, msg) + "\n";
    }
    (void)!fwrite(line.data(), 1, line.size(), stderr);
    fflush(stderr);
}

} // namespace

void set_id(const std::string& id) {
    g_id = id;
}
void set_debug(bool on) {
    g_debug = on;
}
bool debug_enabled() {
    return g_debug;
}

std::string format_plain(const std::string& time, const char* level, const std::string& msg) {
    return "time=\"" + time + "\" level=" + level + " msg=" + go_quote(msg);
}

void debug(const std::string& msg) {
    if (g_debug)
        emit("debug", "DEBU", 37, msg);
}
void info(const std::string& msg) {
    emit("info", "INFO", 36, msg);
}
void warn(const std::string& msg) {
    emit("warning", "WARN", 33, msg);
}

void error_line(const std::string& msg) {
    std::string line = "[rootlesskit:" + g_id + "] error: " + msg + "\n";
    (void)!fwrite(line.data(), 1, line.size(), stderr);
    fflush(stderr);
}

} // namespace rlk::log
