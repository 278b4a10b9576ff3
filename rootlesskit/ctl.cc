// SPDX-License-Identifier: Apache-2.0
// ctl.cc — rootlessctl: global flags, subcommands and the HTTP client on the API socket

#include "rootlesskit/ctl.h"

#include "common/error.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "common/unix_sock.h"
#include "rootlesskit/checks.h"
#include "rootlesskit/cli.h"
#include "rootlesskit/options.h"
#include "rootlesskit/port/spec.h"
#include "rootlesskit/process.h"
#include "rootlesskit/unix_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace rlk::ctl {
namespace {

// clang-format off
const char* const main_help =
    "NAME:\n"
    "   rootlessctl - RootlessKit API client\n"
    "\n"
    "USAGE:\n"
    "   rootlessctl [global options] command [command options] [arguments...]\n"
    "\n"
    "VERSION:\n"
    "   %s\n"
    "\n"
    "COMMANDS:\n"
    "   list-ports    List ports\n"
    "   add-ports     Add ports\n"
    "   remove-ports  Remove ports\n"
    "   info          Show info\n"
    "   help, h       Shows a list of commands or help for one command\n"
    "\n"
    "GLOBAL OPTIONS:\n"
    "   --debug         debug mode (default: false)\n"
    "   --socket value  Path to api.sock (under the \"rootlesskit --state-dir\" directory), defaults to $ROOTLESSKIT_STATE_DIR/api.sock\n"
    "   --help, -h      show help (default: false)\n"
    "   --version, -v   print the version (default: false)\n";
// clang-format on

struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void out(const std::string& s) {
    (void)!fwrite(s.data(), 1, s.size(), stdout);
    fflush(stdout);
}

std::string main_help_text() {
    return common::strprintf(main_help, version);
}

std::string sub_help(const std::string& name, const std::string& usage, bool json) {
    std::string s = "NAME:\n   rootlessctl " + name + " - " + usage +
                    "\n\nUSAGE:\n   rootlessctl " + name +
                    " [command options] [flags]\n\nOPTIONS:\n";
    if (json)
        s += "   --json      Prints as JSON (default: false)\n   --help, -h  show help (default: "
             "false)\n   \n";
    else
        s += "   --help, -h  show help (default: false)\n   \n";
    return s;
}

struct Global {
    bool debug = false, help = false, version = false;
    std::string socket;
};

// Go flag parsing of one level; `strings` names the flags that take a value.
std::vector<std::string> parse_flags(const std::vector<std::string>& args, size_t& i,
                                     const std::vector<std::string>& bools,
                                     const std::vector<std::string>& strings,
                                     std::vector<std::pair<std::string, std::string>>& set) {
    while (i < args.size()) {
        const std::string& a = args[i];
        if (a.size() < 2 || a[0] != '-')
            break;
        if (a == "--") {
            ++i;
            break;
        }
        std::string name = a.substr(a[1] == '-' ? 2 : 1);
        if (name.empty() || name[0] == '-' || name[0] == '=')
            throw Usage("bad flag syntax: " + a);
        ++i;
        std::optional<std::string> v;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            v = name.substr(eq + 1);
            name.resize(eq);
        }
        bool is_bool = false, is_str = false;
        for (const std::string& b : bools)
            is_bool = is_bool || b == name;
        for (const std::string& s : strings)
            is_str = is_str || s == name;
        if (!is_bool && !is_str)
            throw Usage("flag provided but not defined: -" + name);
        if (is_bool) {
            std::string val = v.value_or("true");
            if (val == "1" || val == "t" || val == "T" || val == "true" || val == "TRUE" ||
                val == "True")
                set.emplace_back(name, "true");
            else if (val == "0" || val == "f" || val == "F" || val == "false" || val == "FALSE" ||
                     val == "False")
                set.emplace_back(name, "false");
            else
                throw Usage("invalid boolean value " + go_quote(val) + " for -" + name +
                            ": parse error");
            continue;
        }
        if (!v) {
            if (i >= args.size())
                throw Usage("flag needs an argument: -" + name);
            v = args[i++];
        }
        set.emplace_back(name, *v);
    }
    return {args.begin() + static_cast<std::ptrdiff_t>(i), args.end()};
}

std::string socket_path(const Global& g) {
    std::string p = g.socket;
    if (p.empty()) {
        const char* sd = getenv("ROOTLESSKIT_STATE_DIR");
        if (!sd || !*sd)
            throw std::runtime_error("please specify --socket or set $ROOTLESSKIT_STATE_DIR");
        p = std::string(sd) + "/api.sock";
    }
    struct stat st {};
    if (stat(p.c_str(), &st) != 0)
        throw std::runtime_error("stat " + p + ": " + go_errno(errno));
    return p;
}

HttpReply call(const std::string& sock, const std::string& method, const std::string& path,
               const std::string& body = "") {
    common::Result<common::UniqueFd> fd = common::unix_sock::dial(sock);
    if (!fd && fd.error().value == ENAMETOOLONG)
        throw std::runtime_error("dial unix " + sock + ": " + go_errno(ENAMETOOLONG));
    if (!fd)
        throw std::runtime_error("Get \"http://rootlesskit" + path + "\": dial unix " + sock +
                                 ": connect: " + go_errno(fd.error().value));
    std::string req = method + " " + path +
                      " HTTP/1.1\r\nHost: rootlesskit\r\nUser-Agent: rootlessctl\r\n"
                      "Connection: close\r\n";
    if (!body.empty())
        req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n";
    req += "\r\n" + body;
    if (common::Result<void> w = write_all(fd->get(), req); !w)
        throw std::runtime_error("write to " + sock + ": " + go_errno(w.error().value));
    return parse_reply(read_to_eof(fd->get()));
}

int cmd_info(const Global& g, const std::vector<std::string>& args) {
    size_t i = 0;
    std::vector<std::pair<std::string, std::string>> set;
    try {
        parse_flags(args, i, {"json", "help", "h"}, {}, set);
    } catch (const Usage& e) {
        out(std::string("Incorrect Usage: ") + e.what() + "\n\n" +
            sub_help("info", "Show info", true));
        throw;
    }
    bool json = false;
    for (auto& [k, v] : set) {
        if (k == "help" || k == "h") {
            out(sub_help("info", "Show info", true));
            return 0;
        }
        json = v == "true";
    }
    HttpReply r = call(socket_path(g), "GET", "/v1/info");
    if (r.status / 100 != 2)
        throw std::runtime_error(reply_error(r));
    nlohmann::ordered_json info = nlohmann::ordered_json::parse(r.body);
    out(json ? indent_json(info) : format_info(info));
    return 0;
}

int cmd_ports(const Global& g, const std::string& name, const std::vector<std::string>& args) {
    size_t i = 0;
    std::vector<std::pair<std::string, std::string>> set;
    bool has_json = name != "remove-ports";
    const char* u = name == "list-ports"  ? "List ports"
                    : name == "add-ports" ? "Add ports"
                                          : "Remove ports";
    std::vector<std::string> rest;
    try {
        rest = parse_flags(args, i,
                           has_json ? std::vector<std::string>{"json", "help", "h"}
                                    : std::vector<std::string>{"help", "h"},
                           {}, set);
    } catch (const Usage& e) {
        out(std::string("Incorrect Usage: ") + e.what() + "\n\n" + sub_help(name, u, has_json));
        throw;
    }
    for (auto& [k, v] : set)
        if (k == "help" || k == "h") {
            out(sub_help(name, u, has_json));
            return 0;
        }
    bool json = false;
    for (auto& [k, v] : set)
        if (k == "json")
            json = v == "true";
    if (name == "add-ports") {
        if (rest.empty())
            throw std::runtime_error("no port specified");
        std::vector<port::PortSpec> specs;
        for (const std::string& a : rest)
            specs.push_back(port::parse_port_spec(a));
        std::string sock = socket_path(g);
        for (const port::PortSpec& sp : specs) {
            HttpReply r = call(sock, "POST", "/v1/ports", port::to_json(sp).dump());
            if (r.status / 100 != 2)
                throw std::runtime_error(reply_error(r));
            nlohmann::ordered_json st = nlohmann::ordered_json::parse(r.body);
            out(json ? st.dump() + "\n" : std::to_string(st.value("id", 0)) + "\n");
        }
        return 0;
    }
    if (name == "remove-ports") {
        if (rest.empty())
            throw std::runtime_error("no ID specified");
        for (const std::string& id : rest) {
            if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
                throw std::runtime_error("strconv.Atoi: parsing " + go_quote(id) +
                                         ": invalid syntax");
        }
        std::string sock = socket_path(g);
        for (const std::string& id : rest) {
            HttpReply r = call(sock, "DELETE", "/v1/ports/" + id);
            if (r.status / 100 != 2)
                throw std::runtime_error(reply_error(r));
            out(id + "\n");
        }
        return 0;
    }
    HttpReply r = call(socket_path(g), "GET", "/v1/ports");
    if (r.status / 100 != 2)
        throw std::runtime_error(reply_error(r));
    nlohmann::ordered_json all = nlohmann::ordered_json::parse(r.body);
    if (json) {
        for (const auto& st : all)
            out(st.dump() + "\n");
        return 0;
    }
    out(format_ports(all));
    return 0;
}

} // namespace

HttpReply api_call(const std::string& sock, const std::string& method, const std::string& path,
                   const std::string& body) {
    return call(sock, method, path, body);
}

std::string format_info(const nlohmann::ordered_json& j) {
    auto list = [](const nlohmann::ordered_json& a) {
        std::string s = "[";
        for (size_t i = 0; i < a.size(); ++i) {
            if (i)
                s += ' '; // not `(i ? " " : "") + …`: g++ 12 -O3 warns -Wrestrict on it (GCC
                          // PR105651)
            s += a[i].get<std::string>();
        }
        return s + "]";
    };
    std::string s = "- REST API version: " + j.value("apiVersion", "") + "\n";
    s += "- Implementation version: " + j.value("version", "") + "\n";
    s += "- State Directory: " + j.value("stateDir", "") + "\n";
    s += "- Child PID: " + std::to_string(j.value("childPID", 0)) + "\n";
    if (j.contains("networkDriver")) {
        const auto& n = j["networkDriver"];
        s += "- Network Driver: " + n.value("driver", "") + "\n";
        s += "  - DNS: " + list(n.value("dns", nlohmann::ordered_json::array())) + "\n";
        if (n.contains("childIP"))
            s += "  - IP: " + n.value("childIP", "") + "\n";
    }
    if (j.contains("portDriver")) {
        const auto& p = j["portDriver"];
        s += "- Port Driver: " + p.value("driver", "") + "\n";
        s +=
            "  - Supported protocols: " + list(p.value("protos", nlohmann::ordered_json::array())) +
            "\n";
    }
    return s;
}

std::string format_ports(const nlohmann::ordered_json& all) {
    std::vector<std::vector<std::string>> rows{
        {"ID", "PROTO", "PARENTIP", "PARENTPORT", "CHILDIP", "CHILDPORT"}};
    if (all.is_array()) {
        for (const auto& st : all) {
            const auto& sp = st.value("spec", nlohmann::ordered_json::object());
            rows.push_back({std::to_string(st.value("id", 0)), sp.value("proto", ""),
                            sp.value("parentIP", ""), std::to_string(sp.value("parentPort", 0)),
                            sp.value("childIP", ""), std::to_string(sp.value("childPort", 0))});
        }
    }
    // text/tabwriter(minwidth 4, padding 4): every cell ends with a tab, so all are padded.
    std::vector<size_t> width(6, 4);
    for (const auto& row : rows)
        for (size_t c = 0; c < 6; ++c)
            width[c] = std::max(width[c], row[c].size() + 4);
    std::string s;
    for (const auto& row : rows) {
        for (size_t c = 0; c < 6; ++c)
            s += row[c] + std::string(width[c] - row[c].size(), ' ');
        s += "\n";
    }
    return s;
}

std::string indent_json(const nlohmann::ordered_json& j) {
    return j.dump(4) + "\n";
}

HttpReply parse_reply(const std::string& raw) {
    size_t end = raw.find("\r\n\r\n");
    size_t eol = raw.find("\r\n");
    if (end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0)
        throw std::runtime_error("malformed HTTP response " + go_quote(raw.substr(0, 64)));
    HttpReply r;
    std::string line = raw.substr(0, eol);
    size_t sp = line.find(' ');
    r.status = atoi(line.c_str() + sp + 1);
    size_t sp2 = line.find(' ', sp + 1);
    r.status_text = sp2 == std::string::npos ? "" : line.substr(sp2 + 1);
    r.body = raw.substr(end + 4);
    return r;
}

std::string reply_error(const HttpReply& r) {
    try {
        nlohmann::json j = nlohmann::json::parse(r.body);
        if (j.is_object() && j.contains("message") && j["message"].is_string())
            return j["message"].get<std::string>();
    } catch (const std::exception&) {
    }
    return "unexpected HTTP status " + r.status_text + ", body=" + go_quote(r.body);
}

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        Global g;
        size_t i = 0;
        std::vector<std::pair<std::string, std::string>> set;
        std::vector<std::string> rest;
        try {
            rest = parse_flags(args, i, {"debug", "help", "h", "version", "v"}, {"socket"}, set);
        } catch (const Usage& e) {
            out(std::string("Incorrect Usage. ") + e.what() + "\n\n" + main_help_text());
            throw;
        }
        for (auto& [k, v] : set) {
            if (k == "debug")
                g.debug = v == "true";
            else if (k == "help" || k == "h")
                g.help = v == "true";
            else if (k == "version" || k == "v")
                g.version = v == "true";
            else if (k == "socket")
                g.socket = v;
        }
        if (g.help || (rest.empty() && !g.version)) {
            out(main_help_text());
            return 0;
        }
        if (g.version) {
            out(std::string("rootlessctl version ") + version + "\n");
            return 0;
        }
        std::string cmd = rest[0];
        std::vector<std::string> sub(rest.begin() + 1, rest.end());
        if (cmd == "info")
            return cmd_info(g, sub);
        if (cmd == "list-ports" || cmd == "add-ports" || cmd == "remove-ports")
            return cmd_ports(g, cmd, sub);
        if (cmd == "help" || cmd == "h") {
            out(main_help_text());
            return 0;
        }
        common::log::error("No help topic for '%s'", cmd.c_str());
        return 3;
    } catch (const std::exception& e) {
        common::log::error("error: %s", e.what());
        return 1;
    }
}

} // namespace rlk::ctl
