// SPDX-License-Identifier: Apache-2.0
// idmap.cc — uid/gid maps "0 <id> 1" plus packed subordinate ranges, via the setuid helpers

#include "rootlesskit/idmap.h"

#include "common/error.h"
#include "rootlesskit/logging.h"
#include "rootlesskit/process.h"

#include <cerrno>
#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace rlk {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t i = s.find(sep, start);
        out.push_back(s.substr(start, i == std::string::npos ? i : i - start));
        if (i == std::string::npos)
            return out;
        start = i + 1;
    }
}

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r");
    size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool parse_ul(const std::string& s, unsigned long& out) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        return false;
    errno = 0;
    out = std::stoul(s);
    return true;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    if (!f)
        throw std::runtime_error("open " + path + ": " + go_errno(errno));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct Ids {
    unsigned long uid, gid;
    std::string user;
};

Ids current_ids() {
    Ids ids{getuid(), getgid(), std::to_string(getuid())};
    // Upstream uses user.Current(): the passwd name and primary gid.
    if (passwd* pw = getpwuid(getuid())) {
        ids.user = pw->pw_name;
        ids.gid = pw->pw_gid;
    }
    return ids;
}

std::vector<SubIdRange> dynamic_ranges(const Ids& ids, bool group) {
    const char* env = getenv("GETSUBIDS");
    std::string bin = env && *env ? env : "getsubids";
    std::vector<SubIdRange> all;
    bool any_ok = false;
    std::string last_err;
    for (const std::string& who : {ids.user, std::to_string(group ? ids.gid : ids.uid)}) {
        std::vector<std::string> argv{bin};
        if (group)
            argv.push_back("-g");
        argv.push_back(who);
        try {
            RunResult r = run_capture(argv);
            if (r.wstatus != 0) {
                last_err = go_slice(argv) + " failed: " + trim(r.output);
                continue;
            }
            for (const SubIdRange& x : parse_getsubids(r.output))
                all.push_back(x);
            any_ok = true;
        } catch (const std::exception& e) {
            last_err = e.what();
        }
    }
    if (!any_ok)
        throw std::runtime_error(last_err);
    return dedup(all);
}

std::vector<SubIdRange> static_ranges(const Ids& ids, bool group) {
    std::string file = group ? "/etc/subgid" : "/etc/subuid";
    std::vector<SubIdRange> r = parse_subid_file(
        read_file(file), file, std::to_string(group ? ids.gid : ids.uid), ids.user);
    if (r.empty())
        throw std::runtime_error(std::string("No ") + (group ? "subgid" : "subuid") +
                                 " ranges found for user " + std::to_string(ids.uid) + " (\"" +
                                 ids.user + "\")");
    return r;
}

// True when /etc/nsswitch.conf routes subids to a service other than plain files.
bool nss_subid_service() {
    std::ifstream f("/etc/nsswitch.conf");
    std::string line;
    while (std::getline(f, line)) {
        std::string t = trim(line);
        if (t.rfind("subid:", 0) != 0)
            continue;
        std::string v = trim(t.substr(6));
        return !v.empty() && v != "files";
    }
    return false;
}

std::vector<SubIdRange> ranges_for(const std::string& source, const Ids& ids, bool group) {
    if (source == "static")
        return static_ranges(ids, group);
    if (source == "dynamic")
        return dynamic_ranges(ids, group);
    if (source == "auto") {
        // getsubids reads /etc/subuid too unless nsswitch.conf names another "subid:" service;
        // skipping its four executions then gives the same ranges, much faster.
        if (!nss_subid_service())
            return static_ranges(ids, group);
        try {
            std::vector<SubIdRange> r = dynamic_ranges(ids, group);
            if (!r.empty())
                return r;
        } catch (const std::exception& e) {
            log::debug(std::string("failed to get subids dynamically, falling back to static: ") +
                       e.what());
        }
        return static_ranges(ids, group);
    }
    throw std::runtime_error("unknown subid source " + std::string("\"") + source + "\"");
}

void run_newidmap(const char* tool, pid_t pid, unsigned long id,
                  const std::vector<SubIdRange>& ranges) {
    std::vector<std::string> args = newidmap_args(pid, id, ranges);
    std::vector<std::string> argv{tool};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> shown(args.begin() + 1, args.end());
    RunResult r{0, {}};
    try {
        r = run_capture(argv);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string(tool) + " " + std::to_string(pid) + " " +
                                 go_slice(shown) + " failed: " + e.what());
    }
    if (r.wstatus != 0)
        throw std::runtime_error(std::string(tool) + " " + std::to_string(pid) + " " +
                                 go_slice(shown) + " failed: " + r.output + ": " +
                                 describe_status(r.wstatus));
}

} // namespace

std::vector<SubIdRange> parse_subid_file(const std::string& text, const std::string& file,
                                         const std::string& uid, const std::string& user) {
    std::vector<SubIdRange> out;
    for (const std::string& raw : split(text, '\n')) {
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> f = split(line, ':');
        SubIdRange r{};
        if (f.size() != 3 || !parse_ul(f[1], r.start) || !parse_ul(f[2], r.count))
            throw std::runtime_error(
                "Cannot parse subuid/gid information: Format not correct for " + file + " file");
        if (f[0] == uid || f[0] == user)
            out.push_back(r);
    }
    return out;
}

std::vector<SubIdRange> parse_getsubids(const std::string& text) {
    std::vector<SubIdRange> out;
    for (const std::string& raw : split(text, '\n')) {
        std::string line = trim(raw);
        if (line.empty())
            continue;
        size_t colon = line.find(':');
        std::istringstream ss(colon == std::string::npos ? "" : line.substr(colon + 1));
        std::string name, start, count;
        SubIdRange r{};
        if (!(ss >> name >> start >> count) || !parse_ul(start, r.start) ||
            !parse_ul(count, r.count))
            throw std::runtime_error("unexpected getsubids output line: " + go_slice({line}));
        out.push_back(r);
    }
    return out;
}

std::vector<SubIdRange> dedup(const std::vector<SubIdRange>& in) {
    std::vector<SubIdRange> out;
    for (const SubIdRange& r : in) {
        bool seen = false;
        for (const SubIdRange& o : out)
            seen = seen || o == r;
        if (!seen)
            out.push_back(r);
    }
    return out;
}

std::vector<std::string> newidmap_args(pid_t pid, unsigned long id,
                                       const std::vector<SubIdRange>& ranges) {
    std::vector<std::string> a{std::to_string(pid), "0", std::to_string(id), "1"};
    unsigned long next = 1;
    for (const SubIdRange& r : ranges) {
        a.push_back(std::to_string(next));
        a.push_back(std::to_string(r.start));
        a.push_back(std::to_string(r.count));
        next += r.count;
    }
    return a;
}

void setup_idmap(pid_t pid, const std::string& subid_source) {
    Ids ids = current_ids();
    std::vector<SubIdRange> uids, gids;
    try {
        uids = ranges_for(subid_source, ids, false);
        gids = ranges_for(subid_source, ids, true);
    } catch (const std::exception& e) {
        throw std::runtime_error(
            std::string("failed to setup UID/GID map: failed to compute uid/gid map: ") + e.what());
    }
    try {
        run_newidmap("newuidmap", pid, ids.uid, uids);
        run_newidmap("newgidmap", pid, ids.gid, gids);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("failed to setup UID/GID map: ") + e.what());
    }
}

} // namespace rlk
