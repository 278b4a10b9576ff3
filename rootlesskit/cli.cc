// SPDX-License-Identifier: Apache-2.0
// cli.cc — Go `flag`-compatible parsing of rootlesskit's command line into Options
//
// urfave/cli v2 delegates to Go's flag package: `-x` and `--x` are the same, `--x=v` or `--x v`
// for values, bools take only the `=` form, parsing stops at the first non-flag argument or
// after `--`, and string-slice flags are repeatable and split on commas. Errors keep Go's text.

#include "rootlesskit/cli.h"

#include "common/error.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <functional>
#include <optional>

namespace rlk {
namespace {

enum class Kind { boolean, string, integer, slice };

struct Flag {
    const char* name;
    const char* alias; ///< nullptr if none
    Kind kind;
    std::function<void(Options&, const std::string&)> set;
};

std::optional<bool> go_parse_bool(const std::string& s) {
    if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True")
        return true;
    if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
        return false;
    return std::nullopt;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t comma = s.find(',', start);
        std::string part = s.substr(start, comma == std::string::npos ? comma : comma - start);
        // urfave/cli trims spaces around each element
        size_t b = part.find_first_not_of(" \t");
        size_t e = part.find_last_not_of(" \t");
        out.push_back(b == std::string::npos ? std::string() : part.substr(b, e - b + 1));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

// Go's strconv.ParseInt(s, 0, 64) then the flag's int range: prefixes 0x, 0o, 0b, 0 and '_'.
std::optional<long long> go_parse_int(const std::string& s, bool& out_of_range) {
    out_of_range = false;
    if (s.empty())
        return std::nullopt;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    int base = 10;
    if (s.size() > i + 1 && s[i] == '0') {
        char p = s[i + 1];
        if (p == 'x' || p == 'X')
            base = 16, i += 2;
        else if (p == 'o' || p == 'O')
            base = 8, i += 2;
        else if (p == 'b' || p == 'B')
            base = 2, i += 2;
        else
            base = 8, i += 1;
    }
    if (i >= s.size())
        return std::nullopt;
    unsigned long long v = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return std::nullopt;
        if (d >= base)
            return std::nullopt;
        if (v > (ULLONG_MAX - static_cast<unsigned>(d)) / static_cast<unsigned>(base))
            out_of_range = true;
        else
            v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    }
    if (out_of_range || v > static_cast<unsigned long long>(LLONG_MAX)) {
        out_of_range = true;
        return std::nullopt;
    }
    long long r = static_cast<long long>(v);
    return neg ? -r : r;
}

const std::vector<Flag>& flags() {
    // clang-format off
    static const std::vector<Flag> table = {
        {"debug", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.debug = v == "1"; }},
        {"help", "h", Kind::boolean, [](Options& o, const std::string& v) { o.help = v == "1"; }},
        {"version", "v", Kind::boolean, [](Options& o, const std::string& v) { o.version = v == "1"; }},
        {"print-semver", nullptr, Kind::string, [](Options& o, const std::string& v) { o.print_semver = v; }},
        {"state-dir", nullptr, Kind::string, [](Options& o, const std::string& v) { o.state_dir = v; }},
        {"net", nullptr, Kind::string, [](Options& o, const std::string& v) { o.net = v; }},
        {"pasta-binary", nullptr, Kind::string, [](Options& o, const std::string& v) { o.pasta_binary = v; }},
        {"slirp4netns-binary", nullptr, Kind::string, [](Options& o, const std::string& v) { o.slirp4netns_binary = v; o.slirp4netns_binary_set = true; }},
        {"slirp4netns-sandbox", nullptr, Kind::string, [](Options& o, const std::string& v) { o.slirp4netns_sandbox = v; }},
        {"slirp4netns-seccomp", nullptr, Kind::string, [](Options& o, const std::string& v) { o.slirp4netns_seccomp = v; }},
        {"vpnkit-binary", nullptr, Kind::string, [](Options& o, const std::string& v) { o.vpnkit_binary = v; }},
        {"lxc-user-nic-binary", nullptr, Kind::string, [](Options& o, const std::string& v) { o.lxc_user_nic_binary = v; }},
        {"lxc-user-nic-bridge", nullptr, Kind::string, [](Options& o, const std::string& v) { o.lxc_user_nic_bridge = v; }},
        {"mtu", nullptr, Kind::integer, [](Options& o, const std::string& v) { o.mtu = std::atoi(v.c_str()); }},
        {"cidr", nullptr, Kind::string, [](Options& o, const std::string& v) { o.cidr = v; }},
        {"ifname", nullptr, Kind::string, [](Options& o, const std::string& v) { o.ifname = v; }},
        {"disable-host-loopback", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.disable_host_loopback = v == "1"; }},
        {"ipv6", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.ipv6 = v == "1"; }},
        {"copy-up", nullptr, Kind::slice, [](Options& o, const std::string& v) { o.copy_up.push_back(v); }},
        {"copy-up-mode", nullptr, Kind::string, [](Options& o, const std::string& v) { o.copy_up_mode = v; }},
        {"port-driver", nullptr, Kind::string, [](Options& o, const std::string& v) { o.port_driver = v; }},
        {"publish", "p", Kind::slice, [](Options& o, const std::string& v) { o.publish.push_back(v); }},
        {"source-ip-transparent", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.source_ip_transparent = v == "1"; }},
        {"pidns", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.pidns = v == "1"; }},
        {"cgroupns", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.cgroupns = v == "1"; }},
        {"utsns", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.utsns = v == "1"; }},
        {"ipcns", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.ipcns = v == "1"; }},
        {"detach-netns", nullptr, Kind::boolean, [](Options& o, const std::string& v) { o.detach_netns = v == "1"; }},
        {"propagation", nullptr, Kind::string, [](Options& o, const std::string& v) { o.propagation = v; }},
        {"reaper", nullptr, Kind::string, [](Options& o, const std::string& v) { o.reaper = v; }},
        {"evacuate-cgroup2", nullptr, Kind::string, [](Options& o, const std::string& v) { o.evacuate_cgroup2 = v; }},
        {"subid-source", nullptr, Kind::string, [](Options& o, const std::string& v) { o.subid_source = v; }},
    };
    // clang-format on
    return table;
}

const Flag* find_flag(const std::string& name) {
    for (const Flag& f : flags())
        if (name == f.name || (f.alias && name == f.alias))
            return &f;
    return nullptr;
}

[[noreturn]] void usage_error(const std::string& msg) {
    throw common::UsageError(msg, true);
}

} // namespace

std::string go_quote(const std::string& s) {
    static const char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\x";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

Options parse_cli(const std::vector<std::string>& args) {
    Options o;
    size_t i = 0;
    // Slice flags replace their default on first use (they have none) and append afterwards.
    while (i < args.size()) {
        const std::string& a = args[i];
        if (a.size() < 2 || a[0] != '-')
            break; // first non-flag argument (a lone "-" included)
        size_t dashes = a[1] == '-' ? 2 : 1;
        if (dashes == 2 && a.size() == 2) {
            ++i; // "--" ends the flags and is consumed
            break;
        }
        std::string name = a.substr(dashes);
        if (name.empty() || name[0] == '-' || name[0] == '=')
            usage_error("bad flag syntax: " + a);
        ++i;
        std::optional<std::string> value;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        const Flag* f = find_flag(name);
        if (!f)
            usage_error("flag provided but not defined: -" + name);
        if (f->kind == Kind::boolean) {
            bool b = true;
            if (value) {
                auto parsed = go_parse_bool(*value);
                if (!parsed)
                    usage_error("invalid boolean value " + go_quote(*value) + " for -" + name +
                                ": parse error");
                b = *parsed;
            }
            f->set(o, b ? "1" : "0");
            continue;
        }
        if (!value) {
            if (i >= args.size())
                usage_error("flag needs an argument: -" + name);
            value = args[i++];
        }
        if (f->kind == Kind::integer) {
            bool range = false;
            auto n = go_parse_int(*value, range);
            if (n && (*n < INT_MIN || *n > INT_MAX)) // Go's int is 64-bit; keep ours bounded
                n.reset(), range = true;
            if (!n)
                usage_error("invalid value " + go_quote(*value) + " for flag -" + name + ": " +
                            (range ? "value out of range" : "parse error"));
            f->set(o, std::to_string(*n));
        } else if (f->kind == Kind::slice) {
            for (const std::string& part : split_commas(*value))
                f->set(o, part);
        } else {
            f->set(o, *value);
        }
    }
    o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    o.args = args;
    return o;
}

std::vector<std::string> flag_names() {
    std::vector<std::string> out;
    for (const Flag& f : flags())
        out.push_back(f.name);
    return out;
}

std::string version_text() {
    return std::string("rootlesskit version ") + version + "\n";
}

std::string print_semver(const std::string& which) {
    // version is "MAJOR.MINOR.PATCH+meta"
    std::string v = version;
    size_t d1 = v.find('.');
    size_t d2 = v.find('.', d1 + 1);
    size_t end = v.find_first_of("+-", d2 + 1);
    if (which == "major")
        return v.substr(0, d1) + "\n";
    if (which == "minor")
        return v.substr(d1 + 1, d2 - d1 - 1) + "\n";
    if (which == "patch")
        return v.substr(d2 + 1, end == std::string::npos ? end : end - d2 - 1) + "\n";
    throw common::UsageError("expected --print-semver=(major|minor|patch), got " + go_quote(which));
}

} // namespace rlk
