// SPDX-License-Identifier: Apache-2.0
// cli.cc — pure parser for fuse-overlayfs' argv: -o groups, flags, positional mountpoint
//
// Theory of operation: upstream hands argv to libfuse's fuse_opt_parse() with a table of its own
// keys and a callback that (a) remembers the last non-option as the mountpoint, (b) forwards a
// fixed list of mount flags to libfuse, (c) warns "unknown argument ignored: X" for the rest.
// We reproduce that here without libfuse so every message can be unit-tested; the forwarded
// options still go to fuse_session_new(), which rejects the ones libfuse3 no longer knows
// (kernel_cache, splice_*) with libfuse's own message, as upstream does.
#include "fuse-overlay/cli.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ovl {
namespace {

// Names upstream's fuse_opt_proc returns 1 for, i.e. hands on to libfuse unchanged.
constexpr std::array<std::string_view, 18> forwarded = {"allow_root",   "default_permissions",
                                                        "allow_other",  "suid",
                                                        "dev",          "nosuid",
                                                        "nodev",        "exec",
                                                        "noexec",       "atime",
                                                        "noatime",      "diratime",
                                                        "splice_write", "splice_read",
                                                        "splice_move",  "kernel_cache",
                                                        "max_write",    "ro"};

// libfuse's "%d" template is sscanf: leading blanks, a sign, digits, anything after ignored.
bool scan_int(std::string_view v, long& out) {
    std::string s(v);
    const char* p = s.c_str();
    while (*p == ' ' || *p == '\t' || *p == '\n')
        ++p;
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(p, &end, 10);
    if (end == p || errno == ERANGE || n < INT32_MIN || n > INT32_MAX)
        return false;
    out = n;
    return true;
}

struct Parser {
    OverlayOptions o;
    std::string preamble; // raw lines printed before a fatal error
    std::string redirect_dir;
    std::string plugins;
    bool have_lowerdir = false;
    std::string uidmapping, gidmapping;
    std::string lowerdir; // as given, for the debug banner
    bool have_uidmapping = false, have_gidmapping = false;

    void warn_unknown(std::string_view arg) {
        std::string line = "unknown argument ignored: " + std::string(arg);
        o.warnings.push_back(line);
        preamble += line + "\n";
    }

    [[noreturn]] void invalid_param(std::string_view opt) {
        preamble += "fuse: invalid parameter in option `" + std::string(opt) + "'\n";
        throw CliError("error parsing options", preamble);
    }

    long int_value(std::string_view opt, std::string_view value) {
        long n = 0;
        if (!scan_int(value, n))
            invalid_param(opt);
        return n;
    }

    void option(const std::string& opt) {
        size_t eq = opt.find('=');
        std::string_view key = std::string_view(opt).substr(0, eq);
        std::string_view value =
            eq == std::string::npos ? std::string_view() : std::string_view(opt).substr(eq + 1);
        bool has_value = eq != std::string::npos;

        if (has_value) {
            if (key == "lowerdir") {
                o.lowerdirs = split_lowerdirs(value);
                lowerdir = value;
                have_lowerdir = true;
            } else if (key == "upperdir") {
                o.upperdir = value;
            } else if (key == "workdir") {
                o.workdir = value;
            } else if (key == "uidmapping") {
                uidmapping = value;
                have_uidmapping = true;
            } else if (key == "gidmapping") {
                gidmapping = value;
                have_gidmapping = true;
            } else if (key == "redirect_dir") {
                redirect_dir = value;
            } else if (key == "context") {
                o.context = value;
            } else if (key == "plugins") {
                plugins = value;
            } else if (key == "timeout") {
                // Upstream keeps the string and strtod()s it: "abc" is 0, never an error.
                std::string s(value);
                o.timeout = std::strtod(s.c_str(), nullptr);
            } else if (key == "threaded") {
                o.threaded = int_value(opt, value) != 0;
            } else if (key == "fsync") {
                o.fsync = int_value(opt, value) != 0;
            } else if (key == "fast_ino") {
                o.fast_ino = int_value(opt, value) != 0;
            } else if (key == "writeback") {
                o.writeback = int_value(opt, value) != 0;
            } else if (key == "metacopy") {
                // Ours (the original warns and ignores it): kernel overlayfs' on/off spelling.
                if (value == "on" || value == "1")
                    o.metacopy = true;
                else if (value == "off" || value == "0")
                    o.metacopy = false;
                else
                    warn_unknown(opt);
            } else if (key == "noxattrs") {
                o.noxattrs = int_value(opt, value) != 0;
            } else if (key == "xattr_permissions") {
                o.xattr_permissions = static_cast<int>(int_value(opt, value));
            } else if (key == "squash_to_uid") {
                long n = int_value(opt, value);
                o.squash_to_uid = n == -1 ? std::nullopt : std::optional(static_cast<uint32_t>(n));
            } else if (key == "squash_to_gid") {
                long n = int_value(opt, value);
                o.squash_to_gid = n == -1 ? std::nullopt : std::optional(static_cast<uint32_t>(n));
            } else {
                warn_unknown(opt);
            }
            return;
        }
        if (opt == "squash_to_root") {
            o.squash_to_root = true;
        } else if (opt == "static_nlink") {
            o.static_nlink = true;
        } else if (opt == "volatile") {
            o.fsync = false;
        } else if (opt == "noacl") {
            o.noacl = true;
        } else if (opt == "debug") {
            o.debug = o.fuse_debug = o.foreground = true;
        } else if (std::find(forwarded.begin(), forwarded.end(), key) != forwarded.end()) {
            o.fuse_opts.push_back(opt);
        } else {
            warn_unknown(opt);
        }
    }

    void group(std::string_view g) {
        for (const std::string& opt : split_option_group(g))
            if (!opt.empty())
                option(opt);
    }

    void finish() {
        if (o.action != OverlayOptions::Action::mount)
            return;
        if (!redirect_dir.empty() && redirect_dir != "off")
            throw CliError("fuse-overlayfs only supports redirect_dir=off", preamble);
        if (o.mountpoint.empty())
            throw CliError("no mountpoint specified", preamble);
        if (o.xattr_permissions < 0 || o.xattr_permissions > 2)
            throw CliError("invalid value for xattr_permissions", preamble);
        if (have_uidmapping) {
            auto m = parse_idmap(uidmapping);
            if (!m)
                throw CliError("invalid mapping specified: " + uidmapping, preamble);
            o.uid_map = std::move(*m);
        }
        if (have_gidmapping) {
            auto m = parse_idmap(gidmapping);
            if (!m)
                throw CliError("invalid mapping specified: " + gidmapping, preamble);
            o.gid_map = std::move(*m);
        }
        if (!have_lowerdir || o.lowerdirs.empty())
            throw CliError("cannot read lower dirs: " + std::string(std::strerror(ENOENT)),
                           preamble);
        if (!o.upperdir.empty() && o.workdir.empty())
            throw CliError("workdir not specified", preamble);
        if (!plugins.empty())
            throw CliError("cannot load plugin " + plugins + ": plugins are not supported",
                           preamble);
    }

    // What upstream prints on stderr before mounting when debugging (-d, -o debug, --debug):
    // the options as given, "NOT USED" for a missing upper, "unchanged" for no mapping.
    std::vector<std::string> debug_banner() const {
        auto or_else = [](const std::string& v, const char* dflt) { return v.empty() ? dflt : v; };
        return {"uid=" + (have_uidmapping ? uidmapping : std::string("unchanged")),
                "gid=" + (have_gidmapping ? gidmapping : std::string("unchanged")),
                "upperdir=" + or_else(o.upperdir, "NOT USED"),
                "workdir=" + or_else(o.workdir, "NOT USED"),
                "lowerdir=" + lowerdir,
                "mountpoint=" + o.mountpoint,
                "plugins=<none>",
                std::string("fsync=") + (o.fsync ? "enabled" : "disabled")};
    }
};

} // namespace

std::vector<std::string_view> option_keys() {
    return {"lowerdir",      "upperdir",      "workdir",        "uidmapping",   "gidmapping",
            "redirect_dir",  "context",       "plugins",        "timeout",      "threaded",
            "fsync",         "fast_ino",      "writeback",      "noxattrs",     "xattr_permissions",
            "squash_to_uid", "squash_to_gid", "squash_to_root", "static_nlink", "volatile",
            "noacl",         "debug",         "metacopy"};
}

std::vector<std::string> split_option_group(std::string_view g) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < g.size(); ++i) {
        char c = g[i];
        if (c == ',') {
            out.push_back(std::move(cur));
            cur.clear();
        } else if (c == '\\' && i + 1 < g.size()) {
            ++i;
            // libfuse: "\NNN" with N octal and the first digit 0-3 is one byte.
            if (i + 2 < g.size() && g[i] >= '0' && g[i] <= '3' && g[i + 1] >= '0' &&
                g[i + 1] <= '7' && g[i + 2] >= '0' && g[i + 2] <= '7') {
                cur.push_back(
                    static_cast<char>((g[i] - '0') * 64 + (g[i + 1] - '0') * 8 + (g[i + 2] - '0')));
                i += 2;
            } else {
                cur.push_back(g[i]);
            }
        } else {
            cur.push_back(c);
        }
    }
    out.push_back(std::move(cur));
    return out;
}

std::vector<std::string> split_lowerdirs(std::string_view v) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == ':' || v[i + 1] == '\\')) {
            cur.push_back(v[++i]);
        } else if (v[i] == ':') {
            if (!cur.empty())
                out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(v[i]);
        }
    }
    if (!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

OverlayOptions parse_cli(const std::vector<std::string>& args, bool euid_root) {
    Parser p;
    // Injected defaults come first so that the user's options override them (upstream main()).
    p.o.fuse_opts = {"fsname=fuse-overlayfs", "subtype=fuse-overlayfs", "default_permissions"};
    if (euid_root) {
        p.o.fuse_opts.push_back("allow_other");
        p.o.fuse_opts.push_back("suid");
    }
    p.o.fuse_opts.push_back("noatime");

    bool only_positional = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (only_positional || a.empty() || a[0] != '-' || a == "-") {
            p.o.mountpoint = a; // the last positional wins; a leading SOURCE is overwritten
        } else if (a == "--") {
            only_positional = true;
        } else if (a == "-o") {
            if (i + 1 >= args.size()) {
                p.preamble += "fuse: missing argument after `-o'\n";
                throw CliError("error parsing options", p.preamble);
            }
            p.group(args[++i]);
        } else if (a.rfind("-o", 0) == 0) {
            p.group(std::string_view(a).substr(2));
        } else if (a == "-f") {
            p.o.foreground = true;
        } else if (a == "-d") {
            p.o.debug = p.o.fuse_debug = p.o.foreground = true;
        } else if (a == "--debug") {
            // libfuse's session --debug: both traces, but no -f (fuse_daemonize then sends them
            // to /dev/null), exactly as with the original
            p.o.debug = p.o.fuse_debug = true;
        } else if (a == "-s") {
            // single-threaded is already the default
        } else if (a == "-h" || a == "--help") {
            p.o.action = OverlayOptions::Action::help;
        } else if (a == "-V" || a == "--version") {
            if (p.o.action != OverlayOptions::Action::help)
                p.o.action = OverlayOptions::Action::version;
        } else {
            p.warn_unknown(a);
        }
    }
    if (p.o.fuse_debug)
        p.o.fuse_opts.push_back("debug");
    p.finish();
    if (p.o.debug && p.o.action == OverlayOptions::Action::mount)
        p.o.debug_banner = p.debug_banner();
    return std::move(p.o);
}

} // namespace ovl
