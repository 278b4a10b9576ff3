// SPDX-License-Identifier: Apache-2.0
// docker_proxy.cc — rootlesskit-docker-proxy (upstream cmd/rootlesskit-docker-proxy)
//
// Theory of operation. Docker < 28 with `--userland-proxy-path=rootlesskit-docker-proxy` runs
// this inside the child's namespaces for each published port. It asks RootlessKit's API
// ($ROOTLESSKIT_STATE_DIR/api.sock) to forward hostIP:hostPort from the host to the same port
// on the namespace's loopback (or the network driver's child IP when the port driver refuses
// loopback; with the builtin driver, the container's own address, so that it sees the client's
// address), then runs the real `docker-proxy` there (listening on that address, fd 3 passed
// on so it reports "0\n" to dockerd). SIGINT or SIGTERM (or the real proxy ending) removes the
// port again. Errors go to fd 3 as "1\n<error>" and to stderr, exit status 1; flag errors exit 2
// and -h exits 0, as Go's flag package does. Without a port driver the real docker-proxy is
// exec'd with the same arguments (upstream v2+).

#include "rootlesskit/docker_proxy.h"

#include "common/log.h"
#include "rootlesskit/cli.h"
#include "rootlesskit/ctl.h"
#include "rootlesskit/process.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rlk::docker_proxy {
namespace {

constexpr const char* real_proxy = "docker-proxy";

const char* const usage_text = "Usage of rootlesskit-docker-proxy:\n"
                               "  -container-ip string\n    \tcontainer ip\n"
                               "  -container-port int\n    \tcontainer port (default -1)\n"
                               "  -host-ip string\n    \thost ip\n"
                               "  -host-port int\n    \thost port (default -1)\n"
                               "  -proto string\n    \tproxy protocol (default \"tcp\")\n";

bool is_ipv6(const std::string& ip) {
    unsigned char b[16];
    return inet_pton(AF_INET6, ip.c_str(), b) == 1 && ip.find('.') == std::string::npos;
}

long long parse_int(const std::string& name, const std::string& v) {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v.c_str(), &end, 0);
    if (v.empty() || *end || errno)
        throw std::invalid_argument("invalid value " + go_quote(v) + " for flag -" + name +
                                    ": parse error");
    return n;
}

// Go's log.Fatal prefix: "2009/11/10 23:00:00 ".
void log_line(const std::string& msg) {
    time_t t = time(nullptr);
    tm lt{};
    localtime_r(&t, &lt);
    char ts[32];
    strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &lt);
    common::log::error("%s %s", ts, msg.c_str());
}

void report_error(const std::string& msg) {
    std::string s = "1\n" + msg;
    (void)!write(3, s.data(), s.size());
    log_line(msg);
}

std::vector<std::string> real_argv(const Args& a, const std::string& host_ip) {
    return {real_proxy,
            "-container-ip",
            a.container_ip,
            "-container-port",
            std::to_string(a.container_port),
            "-host-ip",
            host_ip,
            "-host-port",
            std::to_string(a.host_port),
            "-proto",
            a.proto};
}

[[noreturn]] void exec_real(const std::vector<std::string>& argv) {
    std::string path = look_path(real_proxy);
    std::vector<char*> c;
    for (const std::string& s : argv)
        c.push_back(const_cast<char*>(s.c_str()));
    c.push_back(nullptr);
    execv(path.c_str(), c.data());
    throw std::runtime_error("error while starting docker-proxy: " + go_errno(errno));
}

int run(const Args& a) {
    const char* sd = getenv("ROOTLESSKIT_STATE_DIR");
    if (!sd || !*sd)
        throw std::runtime_error("$ROOTLESSKIT_STATE_DIR needs to be set");
    std::string sock = std::string(sd) + "/api.sock";
    ctl::HttpReply info_r;
    try {
        info_r = ctl::api_call(sock, "GET", "/v1/info");
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("failed to call info API, probably RootlessKit binary "
                                             "is too old (needs to be v0.14.0 or later): ") +
                                 e.what());
    }
    nlohmann::json info = nlohmann::json::parse(info_r.body, nullptr, false);
    const nlohmann::json* pd =
        info.is_object() && info.contains("portDriver") ? &info["portDriver"] : nullptr;
    std::string driver = pd && (*pd).contains("driver") ? (*pd)["driver"].get<std::string>() : "";
    if (!pd || driver.empty() || driver == "none" || driver == "implicit")
        exec_real(real_argv(a, a.host_ip)); // nothing to register: the real proxy does it all
    std::string proto = api_proto(a.proto, a.host_ip);
    bool supported = false;
    for (const auto& p : (*pd).value("protos", nlohmann::json::array()))
        supported = supported || (p.is_string() && p.get<std::string>() == proto);
    std::string child_ip = is_ipv6(a.host_ip) ? "::1" : "127.0.0.1";
    bool disallow_loopback = (*pd).value("disallowLoopbackChildIP", false);
    if (disallow_loopback && info.contains("networkDriver"))
        child_ip = info["networkDriver"].value("childIP", child_ip);
    // Where RootlessKit delivers: upstream sends everything to the real proxy (child_ip:hostPort),
    // which connects to the container from the bridge address. A driver that may dial any
    // address (builtin) is pointed at the container itself, so that it sees the client's
    // address (--source-ip-transparent); the real proxy still serves the port in the namespace.
    std::string deliver_ip = child_ip;
    long long deliver_port = a.host_port;
    if (!disallow_loopback && !a.container_ip.empty() && a.container_port > 0) {
        deliver_ip = a.container_ip;
        deliver_port = a.container_port;
    }
    int id = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    if (!supported) {
        // upstream #250: report success to dockerd without proxying (e.g. tcp6 with the
        // slirp4netns driver), and wait to be stopped
        log_line("protocol \"" + proto + "\" is not supported by the RootlessKit port driver \"" +
                 driver + "\", ignoring request for \"" + a.host_ip + ":" +
                 std::to_string(a.host_port) + "\"");
        (void)!write(3, "0\n", 2);
        for (;;) {
            int sig = sigwaitinfo(&set, nullptr);
            if (sig == SIGINT || sig == SIGTERM)
                return 0;
        }
    } else {
        ctl::HttpReply r = ctl::api_call(sock, "POST", "/v1/ports",
                                         port_request(a, proto, deliver_ip, deliver_port));
        if (r.status != 201)
            throw std::runtime_error("error while calling PortManager.AddPort(): " +
                                     ctl::reply_error(r));
        id = nlohmann::json::parse(r.body).value("id", 0);
    }
    auto remove_port = [&] {
        if (id == 0)
            return;
        try {
            ctl::HttpReply r = ctl::api_call(sock, "DELETE", "/v1/ports/" + std::to_string(id));
            if (r.status != 200)
                log_line("error while calling PortManager.RemovePort(): " + ctl::reply_error(r));
        } catch (const std::exception& e) {
            log_line(std::string("error while calling PortManager.RemovePort(): ") + e.what());
        }
    };
    std::vector<std::string> argv = real_argv(a, child_ip);
    std::string path;
    try {
        path = look_path(real_proxy);
    } catch (const std::exception& e) {
        remove_port();
        throw std::runtime_error(std::string("error while starting docker-proxy: ") + e.what());
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        remove_port();
        throw std::runtime_error("error while starting docker-proxy: fork: " + go_errno(errno));
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        sigprocmask(SIG_UNBLOCK, &set, nullptr);
        std::vector<char*> c;
        for (const std::string& s : argv)
            c.push_back(const_cast<char*>(s.c_str()));
        c.push_back(nullptr);
        execv(path.c_str(), c.data());
        _exit(127);
    }
    int code = 0;
    for (;;) {
        int sig = sigwaitinfo(&set, nullptr);
        if (sig == SIGINT || sig == SIGTERM) {
            kill(pid, SIGKILL);
            (void)wait_pid(pid);
            break;
        }
        int ws = 0;
        if (sig == SIGCHLD && waitpid(pid, &ws, WNOHANG) == pid) {
            code = exit_code_of(ws); // the real proxy failed (it told dockerd on fd 3)
            break;
        }
    }
    remove_port();
    return code;
}

} // namespace

Args parse_args(const std::vector<std::string>& argv) {
    Args a;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string s = argv[i];
        if (s.size() < 2 || s[0] != '-')
            break;
        if (s == "--")
            break;
        std::string name = s.substr(s[1] == '-' ? 2 : 1);
        std::string value;
        bool has_value = false;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            has_value = true;
        }
        if (name == "h" || name == "help") {
            a.help = true;
            return a;
        }
        bool known = name == "container-ip" || name == "container-port" || name == "host-ip" ||
                     name == "host-port" || name == "proto";
        if (!known)
            throw std::invalid_argument("flag provided but not defined: -" + name);
        if (!has_value) {
            if (i + 1 >= argv.size())
                throw std::invalid_argument("flag needs an argument: -" + name);
            value = argv[++i];
        }
        if (name == "container-ip")
            a.container_ip = value;
        else if (name == "host-ip")
            a.host_ip = value;
        else if (name == "proto")
            a.proto = value;
        else if (name == "container-port")
            a.container_port = parse_int(name, value);
        else
            a.host_port = parse_int(name, value);
    }
    return a;
}

std::string api_proto(const std::string& proto, const std::string& host_ip) {
    if (!proto.empty() && (proto.back() == '4' || proto.back() == '6'))
        return proto;
    return proto + (is_ipv6(host_ip) ? "6" : "4");
}

std::string port_request(const Args& a, const std::string& proto, const std::string& child_ip,
                         long long child_port) {
    nlohmann::ordered_json j;
    j["proto"] = proto;
    if (!a.host_ip.empty())
        j["parentIP"] = a.host_ip;
    j["parentPort"] = a.host_port;
    j["childPort"] = child_port;
    j["childIP"] = child_ip;
    return j.dump();
}

int main(int argc, char** argv) {
    Args a;
    try {
        a = parse_args(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::invalid_argument& e) {
        fprintf(stderr, "%s\n%s", e.what(), usage_text);
        return 2;
    }
    if (a.help) {
        fputs(usage_text, stderr);
        return 0;
    }
    try {
        return run(a);
    } catch (const std::exception& e) {
        report_error(e.what());
        return 1;
    }
}

} // namespace rlk::docker_proxy
